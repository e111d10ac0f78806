// The mapping page's "Still missing" count, kept live as choices are made.
(function () {
  "use strict";
  var form = document.getElementById("mapping-form");
  var box = document.getElementById("still-missing");
  if (!form || !box) { return; }
  function update() {
    var left = 0;
    form.querySelectorAll("select.needs-choice").forEach(function (s) {
      if (!s.value && !(s.id && s.id.indexOf("sheet-services") === 0)) {
        left += 1;
      }
    });
    box.dataset.count = String(left);
    box.textContent = left
      ? "Still missing: " + left + " (columns, values or sheets to choose below)."
      : "Nothing is missing: save to check the roster.";
  }
  form.addEventListener("change", update);
  update();
}());
