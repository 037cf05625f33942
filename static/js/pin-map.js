/* Walk and Talk: an optional map pin (Leaflet) for a meeting point or a concern's place, and an
   optional "use my location" button. Without JavaScript the forms still work: the place in words
   is always an alternative. Markup: <div class="pin-map" data-tile-url data-attribution
   data-lat-field data-lng-field data-status data-clear data-locate> */
(function () {
  "use strict";
  // Django's JavaScript catalogue (/jsi18n/, issue 18) when the page loaded it, else English
  var gettext = window.gettext || function (text) { return text; };
  var ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  var interpolate = window.interpolate || function (text, values) {
    return text.replace(/%\((\w+)\)s/g, function (match, name) { return values[name]; });
  };
  document.querySelectorAll(".pin-map").forEach(function (element) {
    if (typeof L === "undefined") { return; }
    var lat = document.getElementById(element.dataset.latField);
    var lng = document.getElementById(element.dataset.lngField);
    var status = document.getElementById(element.dataset.status);
    var clear = document.getElementById(element.dataset.clear);
    var locate = element.dataset.locate ? document.getElementById(element.dataset.locate) : null;
    var emptyText = status.dataset.empty || gettext("No pin yet.");
    var centre = [51.4700, -0.0950]; // between Southwark and Lambeth
    // Right to left (Arabic, issue 18): the zoom buttons at the top right, where a line starts, and the
    // attribution at the bottom left, as a right-to-left reader expects them.
    var rtl = document.documentElement.dir === "rtl";
    var map = L.map(element, { scrollWheelZoom: false, zoomControl: false, attributionControl: false }).setView(centre, 13);
    // Leaflet's own button titles (what a screen reader says, and the tooltip) are English: ours, in her language
    L.control.zoom({
      position: rtl ? "topright" : "topleft",
      zoomInTitle: gettext("Zoom in"),
      zoomOutTitle: gettext("Zoom out")
    }).addTo(map);
    L.control.attribution({ position: rtl ? "bottomleft" : "bottomright", prefix: L.Control.Attribution.prototype.options.prefix }).addTo(map);
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
    var marker = null;

    function show(text) { status.textContent = text; }

    function place(latlng, text) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { keyboard: false, alt: gettext("Map pin") }).addTo(map); }
      lat.value = latlng.lat.toFixed(6);
      lng.value = latlng.lng.toFixed(6);
      lat.dispatchEvent(new Event("change", { bubbles: true }));
      show(text || gettext("Pin placed."));
    }

    function reset() {
      if (marker) { map.removeLayer(marker); marker = null; }
      lat.value = ""; lng.value = "";
      lat.dispatchEvent(new Event("change", { bubbles: true }));
      show(emptyText);
    }

    function restore() {
      if (lat.value && lng.value) {
        var saved = L.latLng(parseFloat(lat.value), parseFloat(lng.value));
        place(saved);
        map.setView(saved, 16);
      }
    }

    restore();
    // A draft restored from the phone's storage fills the fields after load: follow it.
    lat.addEventListener("draft-restored", restore);
    map.on("click", function (event) { place(event.latlng); });
    if (clear) { clear.addEventListener("click", reset); }
    if (locate) {
      if (!("geolocation" in navigator)) { locate.hidden = true; return; }
      locate.addEventListener("click", function () {
        show(gettext("Finding your location…"));
        navigator.geolocation.getCurrentPosition(function (position) {
          var here = L.latLng(position.coords.latitude, position.coords.longitude);
          place(here, interpolate(gettext("Using your location (within about %(metres)s m)."),
            { metres: Math.round(position.coords.accuracy) }, true));
          map.setView(here, 17);
        }, function () {
          show(gettext("Your location isn’t available. Tap the map or type a street instead."));
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
  });
})();
