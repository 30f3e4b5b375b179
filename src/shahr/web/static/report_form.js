/* The report form: show only the chosen category's extra questions (without JavaScript, all are shown,
   and the server reads only the chosen category's). */
(function () {
  "use strict";
  var select = document.getElementById("category");
  if (!select) { return; }
  function show() {
    document.querySelectorAll("fieldset.attributes").forEach(function (set) {
      set.hidden = set.dataset.category !== select.value;
    });
  }
  select.addEventListener("change", show);
  show();
})();
