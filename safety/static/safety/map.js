/* Public map: clustered report markers (Leaflet + markercluster), tiles only when configured. */
(function () {
  "use strict";
  function init() {
    var element = document.getElementById("public-map");
    if (!element || typeof L === "undefined") { return; }
    var filters = document.getElementById("map-filters");
    var map = L.map(element, { maxZoom: 19 }).setView([35.16, 129.06], 11);
    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(map);
    }
    window.BusanBasemap.draw(map, Boolean(element.dataset.tileUrl));
    var clusters = L.markerClusterGroup();
    map.addLayer(clusters);

    function load() {
      var bounds = map.getBounds();
      var params = new URLSearchParams({
        bbox: [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
          .map(function (value) { return value.toFixed(6); }).join(","),
        service_code: filters.elements.category.value,
        status: filters.elements.status.value
      });
      fetch(element.dataset.pointsUrl + "?" + params.toString(), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (collection) {
          clusters.clearLayers();
          element.dataset.count = String(collection.features.length);
          collection.features.forEach(function (feature) {
            var coordinates = feature.geometry.coordinates;
            var marker = L.marker([coordinates[1], coordinates[0]], { title: feature.properties.service_name });
            var link = document.createElement("a");
            link.href = feature.properties.url;
            link.textContent = feature.properties.service_name;
            marker.bindPopup(link);
            clusters.addLayer(marker);
          });
        });
    }
    map.on("moveend", load);
    filters.addEventListener("change", load);
    load();
  }
  if (document.readyState === "complete") { init(); } else { window.addEventListener("load", init); }
})();
