// Shared by the console's scripts: POST JSON with the session's CSRF token.
"use strict";
window.consolePost = function (url, body) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    cache: "no-store",
    headers: { "content-type": "application/json", "x-csrf-token": meta ? meta.content : "" },
    body: JSON.stringify(body)
  }).then(function (r) {
    return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
  });
};
window.consoleEl = function (tag, text, cls) {
  var e = document.createElement(tag);
  if (text !== undefined && text !== null) { e.textContent = String(text); }
  if (cls) { e.className = cls; }
  return e;
};
