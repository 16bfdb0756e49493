// Says before sending that the place picked lies inside current or planned works (a Baustelle),
// from /api/v1/works/here; the report can still be sent. Without JavaScript nothing is shown.
(function () {
  "use strict";
  var hint = document.getElementById("works-hint");
  if (!hint || !window.fetch) return;
  var lat = document.getElementById("lat"), lon = document.getElementById("lon");
  if (!lat || !lon) return;
  var asked = 0;

  function show(sentences) {
    hint.textContent = "";
    sentences.forEach(function (sentence) {
      var line = document.createElement("p");
      line.textContent = sentence;
      hint.appendChild(line);
    });
    hint.hidden = sentences.length === 0;
  }

  function look() {
    var a = parseFloat(lat.value);
    var b = parseFloat(lon.value);
    if (isNaN(a) || isNaN(b)) return show([]);
    var mine = ++asked;
    var query = new URLSearchParams({ lat: a, lon: b, lang: hint.dataset.lang || "de" });
    fetch("/api/v1/works/here?" + query.toString(), { headers: { accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { sentences: [] }; })
      .then(function (found) { if (mine === asked) show(found.sentences || []); })
      .catch(function () { /* no hint; the report is sent and routed all the same */ });
  }

  lat.addEventListener("change", look);
  lon.addEventListener("change", look);
  look();
})();
