// The report form with JavaScript: "use my location", photo previews, the public preview as
// the citizen types, the address search, and the checks the server makes too (photos,
// e-mail) said before anything is uploaded. The form posts the same fields without it;
// report-form-flow.js and report-form-photos.js add what keeps the citizen in flow.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var status = document.getElementById("place-status");

  // The coordinates changed here, not by typing or the map: the change says where from
  // (report-form-flow.js keeps it for the server's messages about the place).
  function placeChanged(source) {
    lat.dispatchEvent(new CustomEvent("change", { bubbles: true, detail: { source: source } }));
  }

  var locate = document.getElementById("use-location");
  if (locate) {
    if (!navigator.geolocation) {
      locate.parentNode.hidden = true;
    }
    locate.addEventListener("click", function () {
      status.textContent = locate.dataset.locating;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          lat.value = position.coords.latitude.toFixed(6);
          lon.value = position.coords.longitude.toFixed(6);
          placeChanged("device");
          status.textContent = locate.dataset.located;
        },
        function () {
          status.textContent = locate.dataset.failed;
        },
        { enableHighAccuracy: true, timeout: 15000 }
      );
    });
  }

  if (!form) return;
  var preview = document.getElementById("public-preview");
  var empty = preview.dataset.empty;

  function setPreview(name, text) {
    var target = preview.querySelector('[data-preview="' + name + '"]');
    if (target) target.textContent = text || empty;
  }

  function answersText() {
    var parts = [];
    form.querySelectorAll("fieldset.question, .field").forEach(function (group) {
      var inputs = group.querySelectorAll('[name^="answer."]');
      if (!inputs.length) return;
      var question = group.querySelector("legend, label");
      var chosen = [];
      inputs.forEach(function (input) {
        if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
        if (!input.value) return;
        var label = form.querySelector('label[for="' + input.id + '"]');
        chosen.push(input.type === "radio" || input.type === "checkbox" ? label.textContent : input.value);
      });
      if (chosen.length) parts.push(question.firstChild.textContent.trim() + " " + chosen.join(", "));
    });
    return parts.join("; ");
  }

  function refresh() {
    setPreview("description", document.getElementById("description").value.trim());
    var address = document.getElementById("address").value.trim();
    var place = address || (lat.value && lon.value ? lat.value + ", " + lon.value : "");
    setPreview("place", place);
    setPreview("answers", answersText());
  }
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);

  // A problem found in the browser is said beside its field, before anything is uploaded.
  function say(check, input, message) {
    check.textContent = message;
    check.hidden = !message;
    var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== check.id;
    });
    var fromServer = document.getElementById(input.id + "-error");
    if (message) {
      ids.push(check.id);
      input.setAttribute("aria-invalid", "true");
    } else if (!fromServer || fromServer.hidden) {
      input.removeAttribute("aria-invalid");
    }
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  // Photos: at most `data-most`, each at most `data-max-bytes`; sizes as the server says them.
  var photos = document.getElementById("photos");
  var previews = document.getElementById("photo-previews");
  var photosCheck = document.getElementById("photos-check");
  function megabytes(bytes) {
    return (Math.ceil(bytes * 10 / 1048576) / 10).toLocaleString(form.dataset.lang);
  }
  function photoProblem() {
    var files = Array.prototype.slice.call(photos.files);
    if (files.length > Number(photos.dataset.most)) {
      return photos.dataset.tooMany.replace("{count}", files.length);
    }
    var maxBytes = Number(photos.dataset.maxBytes);
    return files.map(function (file, index) {
      if (file.size <= maxBytes) return "";
      return photos.dataset.tooLarge.replace("{n}", index + 1)
        .replace("{size}", megabytes(file.size)).replace("{name}", file.name);
    }).filter(Boolean).join(" ");
  }
  // Previews: the citizen sees what will be public before sending, and only what can be sent.
  photos.addEventListener("change", function () {
    var fromServer = document.getElementById("photos-error");
    if (fromServer) fromServer.hidden = true;
    var problem = photoProblem();
    say(photosCheck, photos, problem);
    previews.textContent = "";
    var files = problem ? [] : Array.prototype.slice.call(photos.files);
    files.forEach(function (file, index) {
      var item = document.createElement("li");
      var image = document.createElement("img");
      image.src = URL.createObjectURL(file);
      image.alt = previews.dataset.alt.replace("{n}", index + 1);
      item.appendChild(image);
      previews.appendChild(item);
    });
    setPreview("photos", files.map(function (file) { return file.name; }).join(", "));
  });

  // "Tell me by e-mail" needs an address: without one the report could not keep the promise.
  var email = document.getElementById("email");
  var emailCheck = document.getElementById("email-check");
  function emailProblem() {
    var byEmail = document.getElementById("contact-email");
    if (!byEmail || !byEmail.checked) return "";
    if (!email.value.trim()) return email.dataset.missing;
    return email.validity.typeMismatch ? email.dataset.invalid : "";
  }
  function recheckEmail() {
    if (!emailCheck.hidden) say(emailCheck, email, emailProblem());
  }
  email.addEventListener("input", recheckEmail);
  form.addEventListener("change", recheckEmail);

  // Refused here before sending: photos the server would refuse, which would be uploaded in
  // vain, and, when photos are chosen, a missing e-mail, as no browser keeps chosen photos
  // when the form comes back. Without photos the server says it with every other problem and
  // keeps what was typed. An answer that stops the report is never held up: its advice is
  // urgent.
  form.addEventListener("submit", function (event) {
    // The address search without the script posts the form; with it, it never submits.
    if (event.submitter && event.submitter.name === "action") return;
    if (form.querySelector("[data-stops]:checked")) return;
    var photoMessage = photoProblem();
    var emailMessage = photos.files.length ? emailProblem() : "";
    say(photosCheck, photos, photoMessage);
    say(emailCheck, email, emailMessage);
    if (photoMessage || emailMessage) {
      event.preventDefault();
      (photoMessage ? photos : email).focus();
    }
  });

  // Contact fields are not needed when the citizen chooses to stay anonymous.
  var contactFields = document.getElementById("contact-fields");
  function contactChoice() {
    var anonymous = document.getElementById("contact-anonymous");
    contactFields.hidden = Boolean(anonymous && anonymous.checked);
  }
  form.addEventListener("change", contactChoice);
  contactChoice();

  // Address search: the places found inside the city as a radio group; choosing one fills the
  // coordinates, which moves the map's marker. Without the script the button posts the form.
  var searchButton = document.getElementById("search-address");
  var results = document.getElementById("address-results");
  var address = document.getElementById("address");
  function choosePlace(radio) {
    var parts = radio.value.split(",");
    lat.value = parts[0];
    lon.value = parts[1];
    placeChanged("search");
    status.textContent = results.dataset.chosen.replace("{name}", radio.nextSibling.textContent);
  }
  function showPlaces(answer) {
    results.textContent = "";
    var message = document.createElement("p");
    message.className = "status-line";
    message.textContent = answer.message || "";
    results.appendChild(message);
    if (!answer.places || !answer.places.length) return;
    var group = document.createElement("fieldset");
    group.className = "question";
    var legend = document.createElement("legend");
    legend.textContent = results.dataset.title;
    var hint = document.createElement("p");
    hint.className = "hint";
    hint.textContent = results.dataset.choose;
    group.appendChild(legend);
    group.appendChild(hint);
    answer.places.forEach(function (place, index) {
      var option = document.createElement("div");
      option.className = "option";
      var radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "place";
      radio.id = "place-" + (index + 1);
      radio.value = place.lat.toFixed(6) + "," + place.lon.toFixed(6);
      var label = document.createElement("label");
      label.htmlFor = radio.id;
      label.textContent = place.name;
      radio.addEventListener("change", function () { choosePlace(radio); });
      option.appendChild(radio);
      option.appendChild(label);
      group.appendChild(option);
    });
    results.appendChild(group);
  }
  function searchAddress(event) {
    event.preventDefault();
    var query = new URLSearchParams({ q: address.value.trim(), lang: form.dataset.lang });
    status.textContent = searchButton.dataset.searching;
    fetch("/places?" + query.toString(), { headers: { accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (answer) { status.textContent = ""; showPlaces(answer); })
      .catch(function () {
        status.textContent = "";
        showPlaces({ message: searchButton.dataset.failed, places: [] });
      });
  }
  if (searchButton && results) {
    searchButton.addEventListener("click", searchAddress);
    // Enter in the address field searches instead of sending the whole report.
    address.addEventListener("keydown", function (event) {
      if (event.key === "Enter") searchAddress(event);
    });
    results.querySelectorAll('input[name="place"]').forEach(function (radio) {
      radio.addEventListener("change", function () { choosePlace(radio); });
    });
  }

  refresh();
})();
