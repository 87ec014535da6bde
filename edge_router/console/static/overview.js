// Overview: re-render the live panel every few seconds (server-rendered HTML fragment,
// parsed and swapped in; no inline script or style, so the page's CSP holds).
"use strict";
(function () {
  var PERIOD_MS = 5000;
  var live = document.getElementById("live");
  var note = document.getElementById("refresh-state");
  if (!live) { return; }
  function refresh() {
    if (document.hidden) { return; }
    fetch("/ui/overview/panel", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        live.replaceChildren.apply(live, Array.prototype.slice.call(doc.body.childNodes));
        live.setAttribute("data-refreshed", String(Date.now()));
        if (note) { note.textContent = ""; }
      })
      .catch(function (err) {
        if (note) { note.textContent = "Refresh failed (" + err.message + "); retrying."; }
      });
  }
  setInterval(refresh, PERIOD_MS);
  document.addEventListener("visibilitychange", refresh);
})();
