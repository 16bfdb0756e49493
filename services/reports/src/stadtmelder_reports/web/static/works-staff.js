// The staff works form: the rectangle field takes the map's current view, so staff can zoom to
// the street and take it instead of typing four numbers. Without a map the field is typed.
(function () {
  "use strict";
  var maps = (window.stadtmelder && window.stadtmelder.maps) || {};
  var map = maps["works-map"];
  var button = document.getElementById("works-from-map");
  var field = document.getElementById("works-rectangle");
  if (!map || !button || !field) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var view = map.getBounds();
    var corners = [view.getWest(), view.getSouth(), view.getEast(), view.getNorth()];
    field.value = corners.map(function (degrees) { return degrees.toFixed(6); }).join(",");
    field.focus();
  });
})();
