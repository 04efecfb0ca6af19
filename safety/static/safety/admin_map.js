/* Admin queue: the filtered reports on a map (no tiles needed). */
(function () {
  "use strict";
  function init() {
    var element = document.getElementById("queue-map");
    var data = document.getElementById("queue-points");
    if (!element || !data || typeof L === "undefined") { return; }
    var points = JSON.parse(data.textContent);
    var map = L.map(element, { maxZoom: 19 }).setView([35.16, 129.06], 11);
    if (element.dataset.tileUrl) { L.tileLayer(element.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
    window.BusanBasemap.draw(map, Boolean(element.dataset.tileUrl));
    var clusters = L.markerClusterGroup();
    points.forEach(function (point) {
      clusters.addLayer(L.marker([point.lat, point.long], { title: point.status + " " + point.id.slice(0, 8) }));
    });
    map.addLayer(clusters);
  }
  if (document.readyState === "complete") { init(); } else { window.addEventListener("load", init); }
})();
