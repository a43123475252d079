// The admin, to WCAG 2.2 AA: names for the parts Django's own scripts and widgets leave
// unnamed. Runs on every admin page, and again whenever the admin's scripts add to it.
(function () {
  "use strict";

  function textBefore(node) {
    for (var prev = node.previousSibling; prev; prev = prev.previousSibling) {
      if (prev.nodeType === Node.TEXT_NODE && prev.textContent.trim()) {
        return prev.textContent.trim().replace(/:$/, "");
      }
      if (prev.nodeType === Node.ELEMENT_NODE && prev.tagName !== "BR") break;
    }
    return "";
  }

  function name(root) {
    // The filter boxes' search icon is a span with a label: say it is an image.
    root.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
    // The split date and time fields: "Last login, Date" and "Last login, Time".
    root.querySelectorAll("p.datetime input").forEach(function (input) {
      if ((input.labels && input.labels.length) || input.hasAttribute("aria-label")) return;
      var fieldset = input.closest("fieldset");
      var legend = fieldset && fieldset.querySelector("legend");
      var field = legend ? legend.textContent.trim().replace(/:$/, "") : "";
      var part = textBefore(input);
      input.setAttribute("aria-label", [field, part].filter(Boolean).join(", "));
    });
  }

  function start() {
    name(document);
    new MutationObserver(function () { name(document); })
      .observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
