/* Offline base map of Busan (vendored GeoJSON, drawn with Leaflet): districts with their names in
   the page's language, the land around the city and the coastline. Without a tile server it is
   the whole map; with tiles only the district borders are drawn over them. */
(function () {
  "use strict";

  var STYLES = {
    neighbour: { color: "#b9b5a8", weight: 1, fillColor: "#e3e0d6", fillOpacity: 1 },
    district: { color: "#8b8fa0", weight: 1.2, dashArray: "4 3", fillColor: "#fbfaf5", fillOpacity: 1 },
    coastline: { color: "#2f6aa3", weight: 1.6, fill: false },
    districtOverTiles: { color: "#1f5fa8", weight: 1.5, dashArray: "4 3", fill: false }
  };

  function settings() {
    var meta = document.querySelector('meta[name="busan-basemap"]');
    return meta ? { url: meta.content, attribution: meta.dataset.attribution || "" } : null;
  }

  function isKorean() {
    return (document.documentElement.lang || "").toLowerCase().indexOf("ko") === 0;
  }

  function extent(feature) {
    var bounds = L.geoJSON(feature).getBounds();
    return (bounds.getEast() - bounds.getWest()) * (bounds.getNorth() - bounds.getSouth());
  }

  function overlaps(a, b) {
    return !(a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top);
  }

  /* Leaflet does not declutter labels: hide those that would overlap a bigger district's label
     or stick out of the map, again after every zoom or move. */
  function declutter(map, labels) {
    var box = map.getContainer().getBoundingClientRect();
    var shown = [];
    labels.forEach(function (label) {
      var element = label.tooltip.getElement();
      if (!element) { return; }
      element.classList.remove("basemap-label-hidden");
      var rect = element.getBoundingClientRect();
      var inside = rect.left >= box.left && rect.right <= box.right && rect.top >= box.top && rect.bottom <= box.bottom;
      var clear = inside && shown.every(function (other) { return !overlaps(rect, other); });
      if (clear) { shown.push(rect); } else { element.classList.add("basemap-label-hidden"); }
    });
  }

  function draw(map, hasTiles) {
    var config = settings();
    if (!config) { return Promise.resolve(null); }
    var container = map.getContainer();
    if (!hasTiles) { container.classList.add("basemap-offline"); }
    return fetch(config.url, { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.json(); })
      .then(function (collection) {
        var korean = isKorean();
        var layers = { neighbour: [], district: [], coastline: [] };
        collection.features.forEach(function (feature) { layers[feature.properties.layer].push(feature); });
        var group = L.featureGroup();
        if (!hasTiles) {
          L.geoJSON(layers.neighbour, { interactive: false, style: STYLES.neighbour, className: "basemap-neighbour" }).addTo(group);
        }
        L.geoJSON(layers.district, {
          interactive: false,
          className: "basemap-district",
          style: hasTiles ? STYLES.districtOverTiles : STYLES.district
        }).addTo(group);
        if (!hasTiles) {
          L.geoJSON(layers.coastline, { interactive: false, style: STYLES.coastline, className: "basemap-coastline" }).addTo(group);
        }
        group.addTo(map);
        container.dataset.basemapDistricts = String(layers.district.length);
        var labels = [];
        if (!hasTiles) {
          // Bigger districts' labels win a collision; the small central ones show when zoomed in.
          layers.district.slice().sort(function (a, b) { return extent(b) - extent(a); }).forEach(function (feature) {
            var properties = feature.properties;
            var tooltip = L.tooltip({
              permanent: true, direction: "center", interactive: false, className: "basemap-label"
            }).setLatLng([properties.label[1], properties.label[0]])
              .setContent(korean ? properties.name_ko : properties.name_en);
            tooltip.addTo(map);
            tooltip.getElement().dataset.district = properties.code;
            labels.push({ tooltip: tooltip });
          });
          var run = function () { declutter(map, labels); };
          map.on("zoomend moveend resize", run);
          run();
        }
        if (config.attribution && map.attributionControl) {
          map.attributionControl.addAttribution(config.attribution);
        }
        container.dataset.basemap = "ready";
        return group;
      })
      .catch(function () { container.dataset.basemap = "failed"; return null; });
  }

  window.BusanBasemap = { draw: draw };
})();
