// Tollgate portals: copy buttons and as-you-type checks of the API design form. No framework, no CDN.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.textContent.trim();
    var done = function () { button.classList.add("done"); setTimeout(function () { button.classList.remove("done"); }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { select(source); });
    } else {
      select(source);
    }
  });
  function select(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) e.preventDefault();
  });

  var form = document.querySelector("form[data-validate-url]");
  if (!form) return;
  var touched = {};
  var timer = null;
  var seq = 0;
  var fields = { name: "name", context: "context", version: "version", endpoint: "endpoint.production", plans: "plans" };
  function check() {
    var params = new URLSearchParams();
    Object.keys(fields).forEach(function (input) {
      var el = form.elements[input];
      if (!el) return;
      if (el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { params.append(input, o.value); });
      } else {
        params.append(input, el.value);
      }
    });
    params.append("touched", Object.keys(touched).join(","));
    var mine = ++seq;
    fetch(form.getAttribute("data-validate-url") + "?" + params.toString(), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) {
        if (!answer || mine !== seq) return;
        Object.keys(fields).forEach(function (input) {
          var key = fields[input];
          var slot = form.querySelector('[data-error-for="' + key + '"]');
          if (slot && touched[key]) slot.textContent = answer.errors[key] || "";
        });
        var both = form.querySelector("#create-and-publish");
        if (both) both.hidden = !answer.createAndPublish;
        form.setAttribute("data-checked", String(mine));
      })
      .catch(function () { /* the server checks again on submit */ });
  }
  function changed(e) {
    var name = e.target.name;
    if (!fields[name]) return;
    touched[fields[name]] = true;
    clearTimeout(timer);
    timer = setTimeout(check, 200);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
})();
