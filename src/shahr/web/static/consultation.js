/* A consultation page's charts and zone map: the figures embedded in the page as JSON
   (<script type="application/json" id="consultation-figures">, data the Content-Security-Policy lets a
   page carry, unlike an inline script) drawn by the policy lab's own chart script into #lab-charts. */
(function () {
  "use strict";
  var root = document.getElementById("lab-charts");
  var data = document.getElementById("consultation-figures");
  if (!root || !data || !window.shahrLabCharts) { return; }
  window.shahrLabCharts.render(root, JSON.parse(data.textContent), root.getAttribute("data-lang"));
})();
