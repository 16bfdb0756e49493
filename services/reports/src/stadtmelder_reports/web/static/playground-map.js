// Draws the playgrounds' outlines on the page's map, over the points pages.js drew; the list
// below the map says the same without JavaScript.
(function () {
  "use strict";
  var data = document.getElementById("playground-outlines");
  var maps = window.stadtmelder && window.stadtmelder.maps;
  var map = maps && maps["playground-map"];
  if (!data || !map || !window.L) return;
  var outlines;
  try {
    outlines = JSON.parse(data.textContent);
  } catch (error) {
    return;
  }
  var layer = L.geoJSON(outlines, {
    style: { color: "#00468c", weight: 2, fillOpacity: 0.15 },
    interactive: false,
  }).addTo(map);
  // One playground's page shows its whole outline.
  if (data.dataset.fit && layer.getLayers().length) map.fitBounds(layer.getBounds(), { maxZoom: 18 });
})();
