/* A dataset page's chart: one measure by one dimension, from the page's
   <script type="application/json" id="data-chart-data"> (data the Content-Security-Policy lets a page carry,
   unlike an inline script): {type: "bar"|"line", lang, label, caption, labels: [...], values: [...]}, the
   labels already written in the page's digits and calendar. Drawn with Chart.js 4 (the global Chart) into
   canvas#data-chart, which gets data-drawn="1". Right to left on the Persian page. */
(function () {
  "use strict";
  var canvas = document.getElementById("data-chart");
  var source = document.getElementById("data-chart-data");
  if (!canvas || !source || !window.Chart) { return; }
  var chart = JSON.parse(source.textContent);
  var rtl = chart.lang === "fa";
  var locale = rtl ? "fa-IR" : "en-US";
  var colour = "#00695c";
  window.Chart.defaults.font.family = '"Vazirmatn", "Noto Sans Arabic", "Noto Naskh Arabic", Tahoma, "DejaVu Sans", sans-serif';
  new window.Chart(canvas, {
    type: chart.type,
    data: {
      labels: chart.labels,
      datasets: [{ label: chart.label, data: chart.values, backgroundColor: colour, borderColor: colour }]
    },
    options: {
      animation: false,
      locale: locale,
      plugins: {
        legend: { display: false },
        title: { display: false },
        tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" }
      },
      scales: {
        x: { reverse: rtl },
        y: {
          beginAtZero: true,
          position: rtl ? "right" : "left",
          ticks: { callback: function (value) { return Number(value).toLocaleString(locale); } }
        }
      }
    }
  });
  canvas.setAttribute("data-drawn", "1");
})();
