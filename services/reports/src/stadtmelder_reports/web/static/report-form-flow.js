// What keeps the citizen in flow on the report form: open reports nearby shown below the map
// right after the place is set (announced, never taking the focus, and never switching off
// the server's check unless the citizen says "mine is different"), the emergency numbers
// beside a dangerous answer at once, a counter for the description, and where the place came
// from, for the server's messages about it. Without this file the server says all of it.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var source = document.getElementById("place_source");
  var different = document.getElementById("different");

  // Where the place came from: typed coordinates, else the map's click (pages.js), else what
  // report-form.js names in its change ("device", "search").
  var typing = false;
  [lat, lon].forEach(function (input) {
    input.addEventListener("input", function () { typing = true; });
  });

  // Open reports of the same kind nearby: support one, or say this one is different.
  var box = document.getElementById("js-duplicates");
  var announce = document.getElementById("duplicates-status");
  var asked = "";

  function element(tag, text, className) {
    var made = document.createElement(tag);
    if (text) made.textContent = text;
    if (className) made.className = className;
    return made;
  }

  function card(entry, index) {
    var item = element("li", "", "card");
    var head = element("p");
    head.appendChild(element("strong", entry.report.category.name));
    head.appendChild(document.createTextNode(" · " + box.dataset.distance.replace("{distance}", Math.round(entry.distance_m))));
    var support = element("form");
    support.method = "post";
    support.action = "/reports/" + encodeURIComponent(entry.report.id) + "/support";
    var label = element("label", box.dataset.emailLabel);
    label.htmlFor = "js-support-email-" + index;
    var email = element("input");
    email.type = "email";
    email.name = "email";
    email.id = label.htmlFor;
    email.autocomplete = "email";
    email.value = document.getElementById("email").value;
    var button = element("button", box.dataset.support, "button");
    button.type = "submit";
    support.appendChild(label);
    support.appendChild(email);
    support.appendChild(button);
    item.appendChild(head);
    item.appendChild(element("p", entry.report.description, "prewrap"));
    item.appendChild(support);
    return item;
  }

  function chooseDifferent() {
    different.value = "1";
    var title = document.getElementById("js-duplicates-title");
    box.textContent = "";
    box.appendChild(title);
    var said = element("p", announce.dataset.different, "status-line");
    said.tabIndex = -1;
    box.appendChild(said);
    // The button just pressed is gone: the focus goes to what replaced it, not to the page.
    said.focus();
  }

  function showDuplicates(found) {
    box.textContent = "";
    if (!found.length) {
      box.hidden = true;
      return;
    }
    var title = element("h2", box.dataset.title);
    title.id = "js-duplicates-title";
    box.appendChild(title);
    box.appendChild(element("p", box.dataset.intro));
    var list = element("ul", "", "cards");
    found.forEach(function (entry, index) { list.appendChild(card(entry, index)); });
    box.appendChild(list);
    var mine = element("button", box.dataset.different, "button button-secondary");
    mine.type = "button";
    mine.addEventListener("click", chooseDifferent);
    box.appendChild(element("p")).appendChild(mine);
    box.hidden = false;
    announce.textContent = announce.dataset.found.replace("{count}", found.length);
    // Into view where the citizen is looking, below the map; the focus stays where it is.
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    box.scrollIntoView({ block: "nearest", behavior: still ? "auto" : "smooth" });
  }

  function lookForDuplicates() {
    var a = parseFloat(lat.value);
    var b = parseFloat(lon.value);
    if (isNaN(a) || isNaN(b) || a + "," + b === asked) return;
    asked = a + "," + b;
    var query = new URLSearchParams({ category: form.dataset.category, lat: a, lon: b, lang: form.dataset.lang });
    fetch("/api/v1/reports/nearby?" + query.toString(), { headers: { accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(showDuplicates)
      .catch(function () { /* the server checks again when the form is sent */ });
  }

  function placeChanged(event) {
    source.value = (event.detail && event.detail.source) || (typing ? "typed" : "map");
    typing = false;
    // A new place may have other reports nearby: the server asks again unless told again.
    different.value = "";
    lookForDuplicates();
  }
  lat.addEventListener("change", placeChanged);
  lon.addEventListener("change", placeChanged);

  // A dangerous answer: the advice and the emergency numbers beside the question, at once.
  function warnOfDanger() {
    form.querySelectorAll(".danger-warning").forEach(function (region) {
      var code = region.id.replace(/^answer-/, "").replace(/-danger$/, "");
      var chosen = form.querySelector('[name="answer.' + code + '"][data-stops]:checked');
      if (chosen && !region.firstChild) {
        region.appendChild(document.getElementById(region.id + "-text").content.cloneNode(true));
      } else if (!chosen) {
        region.textContent = "";
      }
    });
  }
  form.addEventListener("change", warnOfDanger);
  warnOfDanger();

  // The description's counter: always in sight, said aloud only when a step near the limit
  // is crossed, so typing stays quiet. Nothing is cut: over the limit it says by how much.
  var description = document.getElementById("description");
  var counter = document.getElementById("description-count");
  var live = document.getElementById("description-count-live");
  var most = Number(counter.dataset.most);
  var lastStep = "";
  function number(count) { return count.toLocaleString(form.dataset.lang); }
  function left() {
    // Code points, as the server counts them; a line break is one, as the server keeps it.
    return most - Array.from(description.value.trim()).length;
  }
  function count() {
    var rest = left();
    var text = rest > 0 ? counter.dataset.left.replace("{count}", number(rest))
      : rest === 0 ? counter.dataset.full : counter.dataset.over.replace("{count}", number(-rest));
    counter.textContent = text;
    counter.classList.toggle("field-error", rest < 0);
    if (rest < 0) description.setAttribute("aria-invalid", "true");
    else if (!document.getElementById("description-error")) description.removeAttribute("aria-invalid");
    var step = rest < 0 ? "over" : rest === 0 ? "full" : rest <= 20 ? "20" : rest <= 100 ? "100" : rest <= 200 ? "200" : "";
    if (step !== lastStep) {
      lastStep = step;
      if (step) live.textContent = text;
    }
  }
  description.addEventListener("input", count);
  count();

  form.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.name === "action") return;
    if (left() < 0 && !form.querySelector("[data-stops]:checked")) {
      event.preventDefault();
      live.textContent = counter.textContent;
      description.focus();
    }
  });
})();
