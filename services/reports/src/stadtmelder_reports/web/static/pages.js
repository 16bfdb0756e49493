// Enhancements for every page: maps (when Leaflet is served) and parts shown only with JavaScript.
// Every page works without this file; it only adds to what the server rendered.
(function () {
  "use strict";
  var DUISBURG = [51.4325, 6.7652];

  document.querySelectorAll(".js-only").forEach(function (element) {
    element.hidden = false;
  });

  // A form sent back with problems: keyboard and screen-reader users start at the list of them.
  var problems = document.getElementById("error-summary");
  if (problems) problems.focus();

  function readPoints(id) {
    var data = document.getElementById(id + "-points");
    try {
      return data ? JSON.parse(data.textContent) : [];
    } catch (error) {
      return [];
    }
  }

  function note(box, text) {
    if (box.querySelector(".map-note")) return;
    var p = document.createElement("p");
    p.className = "map-note";
    p.textContent = text;
    box.appendChild(p);
  }

  function drawMap(element) {
    element.hidden = false;
    var map = L.map(element, { scrollWheelZoom: false });
    var box = element.parentNode;
    if (element.dataset.tiles) {
      var failed = false;
      L.tileLayer(element.dataset.tiles, {
        attribution: element.dataset.attribution,
        maxZoom: 19,
      })
        .on("tileerror", function () {
          // The page stays usable without tiles: points and clicks still work.
          if (!failed) note(box, element.dataset.unavailable);
          failed = true;
        })
        .addTo(map);
    } else {
      note(box, element.dataset.unavailable);
    }
    var points = readPoints(element.id);
    var layer = L.featureGroup().addTo(map);
    points.forEach(function (point) {
      var marker = L.circleMarker([point.lat, point.lon], {
        radius: 8,
        weight: 2,
        color: point.open ? "#00468c" : "#1d6b35",
        fillOpacity: 0.7,
      }).addTo(layer);
      var label = document.createElement(point.url ? "a" : "span");
      label.textContent = point.title + " (" + point.id + ")";
      if (point.url) label.href = point.url;
      marker.bindPopup(label);
    });
    // The first view is set once, unanimated, so the map never shows a half-done zoom.
    if (points.length === 1) map.setView([points[0].lat, points[0].lon], 16);
    else if (points.length > 1) map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 16 });
    else map.setView(DUISBURG, 12);
    if (element.dataset.pick) enablePicking(map, element);
    return map;
  }

  function enablePicking(map, element) {
    var lat = document.getElementById("lat");
    var lon = document.getElementById("lon");
    var status = document.getElementById("place-status");
    var marker = null;
    function show(position, announce) {
      if (marker) marker.setLatLng(position);
      else marker = L.marker(position, { keyboard: false }).addTo(map);
      if (announce && status) {
        status.textContent = element.dataset.pointText
          .replace("{lat}", position[0].toFixed(5))
          .replace("{lon}", position[1].toFixed(5));
      }
    }
    map.on("click", function (event) {
      lat.value = event.latlng.lat.toFixed(6);
      lon.value = event.latlng.lng.toFixed(6);
      show([event.latlng.lat, event.latlng.lng], true);
      lat.dispatchEvent(new Event("change", { bubbles: true }));
    });
    function typed(event) {
      var position = [parseFloat(lat.value), parseFloat(lon.value)];
      if (!isNaN(position[0]) && !isNaN(position[1])) {
        show(position, Boolean(event));
        map.setView(position, Math.max(map.getZoom(), 16));
      }
    }
    lat.addEventListener("change", typed);
    lon.addEventListener("change", typed);
    typed();
  }

  window.stadtmelder = { maps: {} };
  if (window.L) {
    document.querySelectorAll(".map").forEach(function (element) {
      window.stadtmelder.maps[element.id] = drawMap(element);
    });
  }
})();
