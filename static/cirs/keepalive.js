// Nothing anyone types is lost to the 30-minute idle sign-out.
// - While someone is typing, tell the server about once a minute (typing is activity).
// - If a form holds unsaved typing and the page has been quiet for nearly the idle
//   limit, press its "save" button (marked data-autosave), so the words are kept on the
//   server as a draft before the session ends. Reading alone keeps nothing alive.
(function () {
  var meta = document.querySelector('meta[name="cirs-session"]');
  if (!meta || !window.fetch) return;
  var idleMs = parseInt(meta.dataset.idleSeconds, 10) * 1000;
  var lastContact = Date.now();
  var typedSinceContact = false;
  var dirtyForm = null;

  document.addEventListener("input", function (event) {
    typedSinceContact = true;
    if (event.target.form) dirtyForm = event.target.form;
  });
  document.addEventListener("submit", function () { dirtyForm = null; });

  function stillHere() {
    fetch(meta.dataset.keepalive, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": meta.dataset.csrf },
    }).then(function (response) {
      if (!response.ok) return;
      lastContact = Date.now();
      meta.dataset.lastContact = String(lastContact); // when the server last heard from us
    });
  }

  setInterval(function () {
    var quiet = Date.now() - lastContact;
    if (typedSinceContact && quiet > 60 * 1000) {
      typedSinceContact = false;
      stillHere();
      return;
    }
    if (dirtyForm && quiet > idleMs - 3 * 60 * 1000) {
      var button = dirtyForm.querySelector("[data-autosave]");
      if (button) {
        var form = dirtyForm;
        dirtyForm = null;
        form.requestSubmit(button);
      }
    }
  }, 20 * 1000);
})();
