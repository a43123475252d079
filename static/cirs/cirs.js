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
