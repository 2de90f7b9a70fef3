/* ledgerbridge console: the few behaviours plain HTML lacks. No inline scripts anywhere, so
   the Content-Security-Policy can forbid them (script-src 'self'). */
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches("select[data-autosubmit]")) {
    target.form.submit();
  }
  if (target.matches("input[data-select-all]")) {
    var scope = document.getElementById(target.getAttribute("data-select-all"));
    scope.querySelectorAll("input[type=checkbox][name=selected]").forEach(function (box) {
      box.checked = target.checked;
    });
  }
  if (target.matches("input[name=selected]")) {
    updateBulk(target.form);
  }
  if (target.matches("input[data-select-all]")) {
    updateBulk(target.form);
  }
});
function updateBulk(form) {
  if (!form) { return; }
  var chosen = form.querySelectorAll("input[name=selected]:checked").length;
  form.querySelectorAll("[data-bulk]").forEach(function (button) {
    button.disabled = chosen === 0;
  });
  var count = form.querySelector("[data-selected-count]");
  if (count) { count.textContent = chosen ? chosen + " selected" : ""; }
}
function updateAllBulk() {
  document.querySelectorAll("form[data-bulk-form]").forEach(updateBulk);
}
document.addEventListener("DOMContentLoaded", updateAllBulk);
document.addEventListener("htmx:afterSettle", updateAllBulk); /* a refreshed table */
