/* Walk and Talk: the sergeant's dashboard charts (Chart.js) and concern map (Leaflet + markercluster).
   Every chart has a table with the same figures beside it, for screen readers and for print. */
(function () {
  "use strict";
  function data(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : [];
  }
  var brand = "#3a2a6b", second = "#c2185b", third = "#00796b";

  function chart(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") { return; }
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    new Chart(canvas, config);
  }

  var ratings = data("rating-data");
  chart("chart-ratings", {
    type: "bar",
    data: {
      labels: ratings.map(function (r) { return String(r.rating); }),
      datasets: [
        { label: "At sign-up", data: ratings.map(function (r) { return r.baseline; }), backgroundColor: brand },
        { label: "After walks", data: ratings.map(function (r) { return r.after; }), backgroundColor: second }
      ]
    }
  });

  var weeks = data("weeks-data");
  chart("chart-weeks", {
    type: "line",
    data: {
      labels: weeks.map(function (w) { return w.week; }),
      datasets: [
        { label: "Walks completed", data: weeks.map(function (w) { return w.walks; }), borderColor: brand, yAxisID: "y" },
        { label: "Concerns logged", data: weeks.map(function (w) { return w.concerns; }), borderColor: second, yAxisID: "y" },
        { label: "Mean rating", data: weeks.map(function (w) { return w.rating; }), borderColor: third, yAxisID: "rating" }
      ]
    },
    options: { scales: { y: { beginAtZero: true }, rating: { position: "right", min: 1, max: 5 } } }
  });

  [["chart-categories", "category-data"], ["chart-wards", "ward-data"]].forEach(function (pair) {
    var rows = data(pair[1]);
    chart(pair[0], {
      type: "bar",
      data: {
        labels: rows.map(function (r) { return r.label; }),
        datasets: [{ label: "Concerns", data: rows.map(function (r) { return r.count; }), backgroundColor: brand }]
      },
      options: { indexAxis: "y", plugins: { legend: { display: false } } }
    });
  });

  // The map's pins come from their own JSON endpoint after the page (issue 16): the page itself stays
  // small and fast, and the map fills in a moment later.
  var mapElement = document.getElementById("concern-map");
  if (mapElement && typeof L !== "undefined") {
    var map = L.map(mapElement, { scrollWheelZoom: false }).setView([51.47, -0.10], 12);
    L.tileLayer(mapElement.dataset.tileUrl, { maxZoom: 19, attribution: mapElement.dataset.attribution }).addTo(map);
    var cluster = typeof L.markerClusterGroup === "function" ? L.markerClusterGroup() : L.layerGroup();
    cluster.addTo(map);
    var select = document.getElementById("map-status");
    var count = document.getElementById("map-count");
    var concernUrl = mapElement.dataset.concernUrl;
    var points = [];

    function link(point) {
      var a = document.createElement("a");
      a.href = concernUrl.replace("/0/", "/" + point.id + "/");
      a.textContent = point.category + (point.place ? ": " + point.place : "") + " (" + point.status + ")";
      return a;
    }

    function draw() {
      cluster.clearLayers();
      var shown = points.filter(function (p) { return !select.value || p.status === select.value; });
      var bounds = [];
      shown.forEach(function (point) {
        var marker = L.circleMarker([point.lat, point.lng], {
          radius: 8, color: "#000", weight: 1, fillColor: point.colour, fillOpacity: 0.9
        });
        marker.bindPopup(link(point));
        cluster.addLayer(marker);
        bounds.push([point.lat, point.lng]);
      });
      count.textContent = shown.length + (shown.length === 1 ? " concern" : " concerns") + " with a map pin";
      if (bounds.length) { map.fitBounds(bounds, { maxZoom: 16, padding: [20, 20] }); }
    }
    select.addEventListener("change", draw);
    fetch(mapElement.dataset.pinsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (body) { points = body.points; draw(); })
      .catch(function () { count.textContent = "The map’s concerns could not be loaded. Reload the page to try again."; });
  }
})();
(function () {
  "use strict";
  var button = document.getElementById("print-report");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
})();
