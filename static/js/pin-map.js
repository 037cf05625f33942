/* Walk and Talk: an optional map pin for a meeting point (Leaflet). Without JavaScript the form
   still works: the pin is optional and the place's name is what matters. */
(function () {
  "use strict";
  var element = document.getElementById("meeting-map");
  if (!element || typeof L === "undefined") { return; }
  var lat = document.getElementById(element.dataset.latField);
  var lng = document.getElementById(element.dataset.lngField);
  var status = document.getElementById("map-status");
  var clear = document.getElementById("map-clear");
  var centre = [51.4700, -0.0950]; // between Southwark and Lambeth
  var map = L.map(element, { scrollWheelZoom: false }).setView(centre, 13);
  L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
  var marker = null;

  function place(latlng) {
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { keyboard: false }).addTo(map); }
    lat.value = latlng.lat.toFixed(6);
    lng.value = latlng.lng.toFixed(6);
    status.textContent = "Pin placed.";
  }

  if (lat.value && lng.value) {
    var saved = L.latLng(parseFloat(lat.value), parseFloat(lng.value));
    place(saved);
    map.setView(saved, 16);
  }
  map.on("click", function (event) { place(event.latlng); });
  clear.addEventListener("click", function () {
    if (marker) { map.removeLayer(marker); marker = null; }
    lat.value = ""; lng.value = "";
    status.textContent = "No pin yet: tap the map to place one.";
  });
})();
