// Policies: validate pasted YAML through /ui/api/policy-check and list the problems.
"use strict";
(function () {
  var el = window.consoleEl;
  var form = document.getElementById("check-form");
  var yaml = document.getElementById("check-yaml");
  var out = document.getElementById("check-result");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    window.consolePost("/ui/api/policy-check", { yaml: yaml.value }).then(function (res) {
      out.replaceChildren();
      var d = res.data;
      if (!res.ok) {
        out.appendChild(el("p", d && d.error ? d.error.message : "check failed", "error"));
        return;
      }
      if (d.ok) {
        out.appendChild(el("p", "Valid: policy " + d.name + " with " + d.rules + " rules.", "ok"));
        return;
      }
      var list = el("ul", null, "problems");
      d.errors.forEach(function (e) {
        var item = el("li");
        if (e.line !== null) { item.appendChild(el("strong", "line " + e.line + ": ")); }
        item.appendChild(document.createTextNode(e.message));
        list.appendChild(item);
      });
      out.appendChild(el("p", d.errors.length + " problem(s):", "error"));
      out.appendChild(list);
    });
  });
})();
