// The report form names the playground within 50 m of the chosen place ("Spielplatz Kantpark?"),
// so a citizen sees their report will appear under it. The form works the same without this.
(function () {
  "use strict";
  var hint = document.getElementById("playground-hint");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  if (!hint || !lat || !lon || !window.fetch) return;
  var asked = 0;

  function look() {
    var a = parseFloat(lat.value);
    var b = parseFloat(lon.value);
    if (isNaN(a) || isNaN(b)) return;
    var mine = ++asked;
    fetch("/api/v1/playgrounds/near?" + new URLSearchParams({ lat: a, lon: b }))
      .then(function (response) { return response.ok ? response.json() : { playground: null }; })
      .then(function (found) {
        if (mine !== asked) return; // a later place was chosen meanwhile
        var playground = found.playground;
        hint.textContent = playground
          ? hint.dataset.question.replace("{name}", playground.name || hint.dataset.unnamed)
          : "";
      })
      .catch(function () { hint.textContent = ""; });
  }

  lat.addEventListener("change", look);
  lon.addEventListener("change", look);
  look();
})();
