/* Public map: report markers clustered by markercluster, or, when the viewport holds many
   reports, the server's clusters (one marker a grid cell with its count; a tap zooms in);
   tiles only when configured. */
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
    var cells = L.layerGroup();
    map.addLayer(clusters);
    map.addLayer(cells);

    function cellMarker(feature) {
      var coordinates = feature.geometry.coordinates;
      var count = feature.properties.count;
      var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
      var label = document.createElement("span");
      label.textContent = String(count);
      var inner = document.createElement("div");
      inner.appendChild(label);
      var marker = L.marker([coordinates[1], coordinates[0]], {
        title: String(count),
        icon: L.divIcon({ html: inner, className: "marker-cluster marker-cluster-" + size, iconSize: L.point(40, 40) })
      });
      marker.on("click", function () { map.setView(marker.getLatLng(), Math.min(map.getZoom() + 2, 19)); });
      return marker;
    }

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
          cells.clearLayers();
          element.dataset.count = String(collection.count);
          element.dataset.clustered = String(collection.clustered);
          if (collection.clustered) {
            collection.features.forEach(function (feature) { cells.addLayer(cellMarker(feature)); });
            return;
          }
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
