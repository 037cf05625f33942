/* Walk and Talk: concerns on a map (Leaflet), coloured by category. Anonymised points only. */
(function () {
  "use strict";
  var element = document.getElementById("area-map");
  if (!element || typeof L === "undefined") { return; }
  var points = JSON.parse(document.getElementById(element.dataset.points).textContent);
  var map = L.map(element, { scrollWheelZoom: false }).setView([51.4700, -0.0950], 12);
  L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
  var bounds = [];
  points.forEach(function (point) {
    var marker = L.circleMarker([point.lat, point.lng], {
      radius: 7, color: "#000", weight: 1, fillColor: point.colour, fillOpacity: 0.85
    }).addTo(map);
    marker.bindPopup(document.createTextNode(point.category + " — " + point.status));
    bounds.push([point.lat, point.lng]);
  });
  if (bounds.length) { map.fitBounds(bounds, { maxZoom: 16, padding: [20, 20] }); }
})();
