/* Public report page: where the report is, on a small map (tiles only when configured). */
(function () {
  "use strict";
  function init() {
    var element = document.getElementById("report-location");
    if (!element || typeof L === "undefined") { return; }
    var point = [parseFloat(element.dataset.lat), parseFloat(element.dataset.long)];
    var map = L.map(element, { maxZoom: 19, scrollWheelZoom: false }).setView(point, element.dataset.tileUrl ? 16 : 14);
    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(map);
    }
    window.BusanBasemap.draw(map, Boolean(element.dataset.tileUrl));
    L.marker(point, { keyboard: false }).addTo(map);
  }
  if (document.readyState === "complete") { init(); } else { window.addEventListener("load", init); }
})();
