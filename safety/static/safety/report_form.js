/* Report form: pin on a Leaflet map (tiles optional), geolocation, nearby duplicates. */
(function () {
  "use strict";
  var form = document.querySelector("form.report-form");
  if (!form) { return; }
  var latInput = document.getElementById("id_lat");
  var longInput = document.getElementById("id_long");
  var nearby = document.getElementById("nearby");
  var list = document.getElementById("nearby-list");
  var itemTemplate = document.getElementById("nearby-item");
  var declinedAt = null;
  var map = null;
  var marker = null;

  function format(label, name, value) {
    return label.replace("%(" + name + ")s", String(value));
  }

  function showNearby(reports) {
    list.textContent = "";
    reports.forEach(function (report) {
      var item = itemTemplate.content.cloneNode(true);
      var link = item.querySelector(".nearby-link");
      link.href = report.url;
      link.textContent = report.status_label;
      item.querySelector(".nearby-meta").textContent =
        format(form.dataset.distanceLabel, "distance", report.distance_m) + " · " +
        format(form.dataset.weightLabel, "weight", report.weight);
      item.querySelector("form").action = report.follow_url;
      list.appendChild(item);
    });
    nearby.hidden = reports.length === 0;
  }

  function checkNearby() {
    var lat = parseFloat(latInput.value);
    var long = parseFloat(longInput.value);
    if (!isFinite(lat) || !isFinite(long)) { nearby.hidden = true; return; }
    var key = lat.toFixed(5) + "," + long.toFixed(5);
    if (declinedAt === key) { return; }
    var url = form.dataset.nearbyUrl + "?" + new URLSearchParams({
      service_code: form.dataset.serviceCode, lat: lat, long: long
    }).toString();
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (reports) {
        // An answer for an earlier pin, or one the citizen has declined meanwhile, is stale.
        var now = parseFloat(latInput.value).toFixed(5) + "," + parseFloat(longInput.value).toFixed(5);
        if (now === key && declinedAt !== key) { showNearby(reports); }
      })
      .catch(function () { nearby.hidden = true; });
  }

  function place(lat, long, fromMap) {
    latInput.value = lat.toFixed(6);
    longInput.value = long.toFixed(6);
    if (map) {
      if (!marker) { marker = L.marker([lat, long]).addTo(map); } else { marker.setLatLng([lat, long]); }
      // Street level needs tiles; the offline base map has only districts and the coast: at 12
      // the pin keeps its district's name, the neighbours and the shore in view (at 14 and more
      // a phone shows an empty district). Zooming in stays possible.
      if (!fromMap) { map.setView([lat, long], Math.max(map.getZoom(), form.dataset.tileUrl ? 16 : 12)); }
    }
    checkNearby();
  }

  document.getElementById("nearby-decline").addEventListener("click", function () {
    declinedAt = parseFloat(latInput.value).toFixed(5) + "," + parseFloat(longInput.value).toFixed(5);
    nearby.hidden = true;
  });

  document.getElementById("use-location").addEventListener("click", function () {
    if (!navigator.geolocation) { return; }
    navigator.geolocation.getCurrentPosition(function (position) {
      place(position.coords.latitude, position.coords.longitude, false);
    });
  });

  [latInput, longInput].forEach(function (input) {
    input.addEventListener("change", function () {
      var lat = parseFloat(latInput.value);
      var long = parseFloat(longInput.value);
      if (isFinite(lat) && isFinite(long)) { place(lat, long, false); }
    });
  });

  function initMap() {
    if (typeof L === "undefined") { return; }
    var element = document.getElementById("report-map");
    map = L.map(element, { maxZoom: 19 }).setView([35.16, 129.06], 11);
    if (form.dataset.tileUrl) {
      L.tileLayer(form.dataset.tileUrl, { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(map);
    }
    window.BusanBasemap.draw(map, Boolean(form.dataset.tileUrl));
    map.on("click", function (event) { place(event.latlng.lat, event.latlng.lng, true); });
    var lat = parseFloat(latInput.value);
    var long = parseFloat(longInput.value);
    if (isFinite(lat) && isFinite(long)) { place(lat, long, false); }
  }

  if (document.readyState === "complete") { initMap(); } else { window.addEventListener("load", initMap); }
})();
