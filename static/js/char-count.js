/* Walk and Talk: a character count on text fields with a limit (data-maxlength, set by the forms).
   The limit is also in the field's help text ("Up to 1,000 characters."), for no JavaScript and for
   screen readers; the server refuses a longer text with a message and keeps what was typed. The
   browser's maxlength is not used: it silently cuts a pasted text, and nothing may be cut.
   Like the GOV.UK character count: the visible count changes as she types; screen readers hear it
   once she pauses, not at every key. Short fields show it only near their limit. */
(function () {
  "use strict";
  var SHORT_FIELD_THRESHOLD = 0.75;
  var ANNOUNCE_AFTER_MS = 1000;

  // Django's JavaScript catalogue (/jsi18n/, issue 18) when the page loaded it, else English
  var gettext = window.gettext || function (text) { return text; };
  var ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  var interpolate = window.interpolate || function (text, values) {
    return text.replace(/%\((\w+)\)s/g, function (match, name) { return values[name]; });
  };

  function attach(field) {
    var limit = parseInt(field.getAttribute("data-maxlength"), 10);
    if (!limit) { return; }
    var long = field.tagName === "TEXTAREA";
    var visible = document.createElement("div");
    visible.className = "form-text char-count";
    visible.setAttribute("aria-hidden", "true");
    var spoken = document.createElement("div");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    var anchor = document.getElementById(field.id + "_helptext") || field;
    anchor.insertAdjacentElement("afterend", visible);
    visible.insertAdjacentElement("afterend", spoken);
    var timer = null;

    // Counted as the server counts: characters (not UTF-16 units: an emoji is one or two, not four),
    // a line break as two (the browser sends CR LF), and without the spaces at either end (stripped).
    function length() { return Array.from(field.value.trim().replace(/\r?\n/g, "\r\n")).length; }

    function message() {
      var left = limit - length();
      if (left >= 0) {
        return interpolate(ngettext("You have %(count)s character remaining",
          "You have %(count)s characters remaining", left), { count: left.toLocaleString("en-GB") }, true);
      }
      return interpolate(ngettext("You have %(count)s character too many",
        "You have %(count)s characters too many", -left), { count: (-left).toLocaleString("en-GB") }, true);
    }

    function update(announce) {
      var count = length();
      var show = long || count >= limit * SHORT_FIELD_THRESHOLD;
      visible.hidden = !show;
      visible.textContent = message();
      visible.classList.toggle("text-danger", count > limit);
      visible.classList.toggle("fw-semibold", count > limit);
      if (!announce) { return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { spoken.textContent = show ? message() : ""; }, ANNOUNCE_AFTER_MS);
    }

    field.addEventListener("input", function () { update(true); });
    update(false);
  }

  Array.prototype.forEach.call(document.querySelectorAll("textarea[data-maxlength], input[data-maxlength]"), attach);
})();
