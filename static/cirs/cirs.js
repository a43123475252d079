// Progressive enhancement only: every page works without this file.
// A form marked data-once disables its submit buttons after the first submit, so a
// double click creates one referral (the server also refuses a stale second post).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches("form[data-once]")) return;
  if (form.dataset.submitted === "1") { event.preventDefault(); return; }
  form.dataset.submitted = "1";
  form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
    setTimeout(function () { b.disabled = true; }, 0);
  });
});

// Error summary (GOV.UK Design System pattern): focus it when the page opens, so a
// screen reader reads it first; its links move focus to the field and show its label.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    var legend = field.closest("fieldset") && field.closest("fieldset").querySelector("legend");
    var label = legend || (field.labels && field.labels[0]) || field;
    label.scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();
