/* A live character counter for every text field with a limit (data-limit, set by
   referrals.forms.common.apply_text_limits). The browser's own maxlength is not used on
   purpose: it cuts pasted text off without a word. This only counts and warns; the
   server says the same beside the field and keeps what was typed. No inline script:
   loaded from base.html with the page's nonce. */
(function () {
  "use strict";
  var SHOW_FROM = 0.8; // a one-line box shows its counter from 80% of the limit

  function words(length, limit) {
    if (length > limit) {
      return (length - limit).toLocaleString("en-GB") + " characters over the limit of " +
        limit.toLocaleString("en-GB") + ". Please shorten it a little; everything you typed is kept.";
    }
    return length.toLocaleString("en-GB") + " of " + limit.toLocaleString("en-GB") + " characters";
  }

  function attach(field) {
    var limit = parseInt(field.getAttribute("data-limit"), 10);
    if (!limit || field.type === "hidden" || field.type === "password") {
      return;
    }
    var counter = document.createElement("div");
    counter.className = "form-text cirs-counter";
    counter.id = (field.id || field.name) + "_counter";
    counter.setAttribute("aria-live", "polite");
    counter.setAttribute("data-testid", "counter");
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
    field.insertAdjacentElement("afterend", counter);
    var isLong = field.tagName === "TEXTAREA";

    function update() {
      var length = field.value.length;
      var over = length > limit;
      counter.textContent = words(length, limit);
      counter.classList.toggle("text-danger", over);
      counter.classList.toggle("fw-semibold", over);
      counter.hidden = !isLong && !over && length < limit * SHOW_FROM;
    }
    field.addEventListener("input", update);
    update();
  }

  function start() {
    var fields = document.querySelectorAll("textarea[data-limit], input[data-limit]");
    for (var i = 0; i < fields.length; i++) {
      attach(fields[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
