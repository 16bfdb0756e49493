// Draws the fleet pages' layers on the maps pages.js made: each round as a line from the depot
// through its numbered stops, and the road pieces as hexagons in their condition's colour.
// The lists beside the maps hold everything; the maps only show it in place.
(function () {
  "use strict";
  if (!window.L || !window.stadtmelder) return;
  // Stop numbers stay readable up to this many stops; beyond it they would cover the map.
  var NUMBERED_STOPS = 80;

  function readLayers(id) {
    var data = document.getElementById(id + "-layers");
    try {
      return data ? JSON.parse(data.textContent) : null;
    } catch (error) {
      return null;
    }
  }

  // Titles come from fleet's data: shown as text, never as HTML.
  function popup(title) {
    return function () {
      var text = document.createElement("span");
      text.textContent = title;
      return text;
    };
  }

  function draw(map, layers) {
    var group = L.featureGroup().addTo(map);
    // Thousands of road pieces draw far faster on a canvas than as SVG elements.
    var canvas = L.canvas({ padding: 0.5 });
    (layers.areas || []).forEach(function (area) {
      L.polygon(area.ring, {
        renderer: canvas,
        color: area.colour,
        weight: 1,
        fillColor: area.colour,
        fillOpacity: 0.65,
      })
        .bindPopup(popup(area.title))
        .addTo(group);
    });
    (layers.lines || []).forEach(function (line) {
      L.polyline(line.points, {
        color: line.colour,
        weight: 4,
        opacity: 0.85,
        className: "route-line",
      })
        .bindPopup(popup(line.title))
        .addTo(group);
    });
    var points = layers.points || [];
    points.forEach(function (point) {
      var marker = L.circleMarker([point.lat, point.lon], {
        radius: 9,
        weight: 2,
        color: "#ffffff",
        fillColor: point.colour,
        fillOpacity: 1,
        className: "stop-marker",
      })
        .bindPopup(popup(point.title))
        .addTo(group);
      if (points.length <= NUMBERED_STOPS) {
        marker.bindTooltip(point.label, {
          permanent: true,
          direction: "center",
          className: "stop-number",
        });
      }
    });
    if (layers.depot) {
      L.marker([layers.depot.lat, layers.depot.lon], { title: layers.depot.title, keyboard: false })
        .bindPopup(popup(layers.depot.title))
        .addTo(group);
    }
    var bounds = group.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16, animate: false });
  }

  document.querySelectorAll(".map").forEach(function (element) {
    var map = window.stadtmelder.maps[element.id];
    var layers = readLayers(element.id);
    if (map && layers) draw(map, layers);
  });
})();
