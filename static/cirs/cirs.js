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

// A monitoring PDF being prepared in the background: ask every few seconds whether it
// is ready, then offer the download in the status message (read out by screen
// readers). It stops asking after 10 minutes, so an open page does not keep the
// session from its idle sign-out; "Check again" still works without this.
(function () {
  var box = document.querySelector("[data-report-status]");
  if (!box || !window.fetch) return;
  var status = box.querySelector("[role=status]");
  var started = Date.now();
  var LIMIT = 10 * 60 * 1000;
  function later() {
    var waited = Date.now() - started;
    if (waited < LIMIT) setTimeout(ask, waited < 60 * 1000 ? 3000 : 15000);
  }
  function ask() {
    fetch(box.dataset.reportStatus, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && body.status === "ready") {
          var link = document.createElement("a");
          link.href = box.dataset.reportUrl;
          link.textContent = "Download the report (PDF)";
          status.textContent = "Your report is ready. ";
          status.appendChild(link);
        } else if (body && body.status === "failed") {
          window.location.reload(); // the page then says so, with "try again"
        } else {
          later();
        }
      })
      .catch(later);
  }
  later();
})();
