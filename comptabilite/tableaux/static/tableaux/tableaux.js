// The dashboards' charts: each <canvas data-chart="bar" data-source="ID"> draws the JSON of
// the element #ID ({labels, amounts, previous?}); drawn again when htmx swaps the figures in
// (the period filter). No inline script: the CSP allows only our own files.
(function () {
  "use strict";
  var euro = new Intl.NumberFormat(document.documentElement.lang || "fr", {
    style: "currency", currency: "EUR", maximumFractionDigits: 0,
  });

  function draw(root) {
    if (!window.Chart) { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.source);
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var existing = window.Chart.getChart(canvas);
      if (existing) { existing.destroy(); }
      var datasets = [{
        label: canvas.dataset.label, data: data.amounts, backgroundColor: "#0d6efd",
      }];
      if (data.previous) {
        datasets.push({
          label: canvas.dataset.previousLabel, data: data.previous, backgroundColor: "#adb5bd",
        });
      }
      new window.Chart(canvas, {
        type: canvas.dataset.chart,
        data: { labels: data.labels, datasets: datasets },
        options: {
          animation: false,
          plugins: {
            legend: { display: datasets.length > 1 },
            tooltip: { callbacks: { label: function (item) {
              return item.dataset.label + " : " + euro.format(item.raw);
            } } },
          },
          scales: { y: { ticks: { callback: function (value) { return euro.format(value); } } } },
        },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  // After an outerHTML swap the event's target is the element swapped out: draw the page.
  document.addEventListener("htmx:afterSettle", function () { draw(document); });
})();
