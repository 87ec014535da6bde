// Explain playground: send the pasted text to /ui/api/explain and show the decision,
// the text with detected spans highlighted, and the body a cloud would receive.
// Everything is inserted with textContent: the input is never parsed as HTML.
"use strict";
(function () {
  var el = window.consoleEl;
  var form = document.getElementById("explain-form");
  var input = document.getElementById("explain-input");
  var policy = document.getElementById("explain-policy");
  var errorBox = document.getElementById("explain-error");
  var result = document.getElementById("explain-result");
  var palette = {};
  var PALETTE_SIZE = 8;

  function colour(type) {
    if (!(type in palette)) { palette[type] = Object.keys(palette).length % PALETTE_SIZE; }
    return "ent ent-" + palette[type];
  }
  function set(id, text) { document.getElementById(id).textContent = text; }

  function highlighted(field) {
    var box = el("div", null, "field");
    box.appendChild(el("p", field.path, "hint"));
    var pre = el("pre", null, "spans");
    var text = field.text;
    var pos = 0;
    field.spans.forEach(function (s) {
      if (s.start < pos) { return; } // overlapping span: the first one shown wins
      pre.appendChild(document.createTextNode(text.slice(pos, s.start)));
      var mark = el("mark", text.slice(s.start, s.end), colour(s.type));
      mark.setAttribute("data-type", s.type);
      mark.setAttribute("title", s.type + " (score " + s.score + ")");
      var label = el("span", s.type, "ent-label");
      mark.appendChild(label);
      pre.appendChild(mark);
      pos = s.end;
    });
    pre.appendChild(document.createTextNode(text.slice(pos)));
    box.appendChild(pre);
    return box;
  }

  function show(data) {
    var r = data.report;
    palette = {};
    set("r-route", r.route + (r.redact ? " (redacted)" : ""));
    set("r-action", r.action);
    set("r-rule", r.policy + " / " + r.rule);
    set("r-complexity", r.complexity + " (" + r.complexity_class + ")" +
      (r.complexity_reasons.length ? ": " + r.complexity_reasons.join(", ") : ""));
    set("r-domain", r.domain || "-");
    set("r-target", r.target ? r.target.kind + ": " + r.target.name + (r.target.model ? " (" + r.target.model + ")" : "") : "-");
    var reasons = document.getElementById("r-reasons");
    reasons.replaceChildren();
    r.reasons.forEach(function (code) { reasons.appendChild(el("li", code, "code")); });
    var fields = document.getElementById("r-fields");
    fields.replaceChildren();
    data.fields.forEach(function (f) { fields.appendChild(highlighted(f)); });
    var legend = document.getElementById("r-legend");
    legend.replaceChildren();
    Object.keys(palette).forEach(function (type) { legend.appendChild(el("mark", type, colour(type))); });
    if (!Object.keys(palette).length) { legend.textContent = "Nothing detected."; }
    set("r-outbound-note", data.outbound.note);
    set("r-outbound", data.outbound.body ? JSON.stringify(data.outbound.body, null, 2) : "(none)");
    result.hidden = false;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    errorBox.hidden = true;
    window.consolePost("/ui/api/explain", { input: input.value, policy: policy.value })
      .then(function (res) {
        if (!res.ok) {
          var msg = res.data && res.data.error ? res.data.error.message : "failed";
          throw new Error(msg);
        }
        show(res.data);
      })
      .catch(function (err) {
        errorBox.textContent = err.message;
        errorBox.hidden = false;
        result.hidden = true;
      });
  });
})();
