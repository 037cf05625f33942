/* Walk and Talk: "Exit this page", after the GOV.UK Design System's component. A woman using the
   scheme may live with the person she fears. The control is a plain link to a neutral site (it works
   with no JavaScript); this script makes leaving faster and leaves less behind:
   - a click, or Shift pressed three times on its own within 5 seconds of each press, blanks the page at
     once (a white "Loading." overlay, everything else hidden, also from screen readers and the Tab key);
   - the current history entry is first rewritten to the home page, then replaced by the neutral site
     (location.replace), so Back does not return to the page she left. Earlier pages of this site stay in
     the history: no browser lets a page remove them (the privacy notice says how to clear them).
   Loaded straight after the control, before the rest of the page, so it works while the page loads. */
(function () {
  "use strict";
  // Django's JavaScript catalogue (/jsi18n/, issue 18) when the page loaded it, else English
  var gettext = window.gettext || function (text) { return text; };
  var ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  var interpolate = window.interpolate || function (text, values) {
    return text.replace(/%\((\w+)\)s/g, function (match, name) { return values[name]; });
  };
  var TIMEOUT_MS = 5000;
  var PRESSES = 3;
  var root = document.querySelector("[data-quick-exit]");
  if (!root) { return; }
  var link = root.querySelector("[data-quick-exit-link]");
  var status = root.querySelector("[data-quick-exit-status]");
  if (!link || !status) { return; }

  var presses = 0;
  var lastKeyWasModified = false;
  var pressTimer = null;
  var messageTimer = null;
  var overlay = null;

  // Three "lights" on the button that fill as Shift is pressed (for sighted keyboard users).
  var lights = document.createElement("span");
  lights.className = "quick-exit__lights";
  lights.setAttribute("aria-hidden", "true");
  for (var i = 0; i < PRESSES; i += 1) {
    var light = document.createElement("span");
    light.className = "quick-exit__light";
    lights.appendChild(light);
  }
  link.appendChild(lights);

  function showPresses() {
    lights.classList.toggle("quick-exit__lights--visible", presses > 0);
    var each = lights.children;
    for (var j = 0; j < each.length; j += 1) {
      each[j].classList.toggle("quick-exit__light--on", j < presses);
    }
  }

  function clearTimer(id) { if (id) { window.clearTimeout(id); } return null; }

  function exitPage() {
    var target = link.href;
    status.textContent = "";
    document.body.classList.add("quick-exit-hide");
    overlay = document.createElement("div");
    overlay.className = "quick-exit-overlay";
    overlay.setAttribute("role", "alert");
    document.body.appendChild(overlay);
    overlay.textContent = "Loading.";  // set after adding: screen readers announce it more reliably
    document.title = "Loading";
    try {
      // Should the neutral site be slow or never load, the entry she leaves no longer names this page.
      window.history.replaceState(null, "", "/");
    } catch (error) { /* not allowed here: location.replace still replaces the entry */ }
    window.location.replace(target);
  }

  function resetPresses(announce) {
    pressTimer = clearTimer(pressTimer);
    presses = 0;
    showPresses();
    if (announce) {
      status.textContent = gettext("Exit this page expired.");
      messageTimer = clearTimer(messageTimer);
      messageTimer = window.setTimeout(function () { status.textContent = ""; }, TIMEOUT_MS);
    }
  }

  link.addEventListener("click", function (event) {
    event.preventDefault();
    exitPage();
  });

  // Shift on its own, three times. Shift used for a capital (Shift+A) fires a keyup for "A" with
  // shiftKey set, then one for Shift: that Shift is ignored, so typing capitals never exits.
  document.addEventListener("keyup", function (event) {
    if (event.key === "Shift" && !lastKeyWasModified) {
      presses += 1;
      showPresses();
      messageTimer = clearTimer(messageTimer);
      if (presses >= PRESSES) {
        pressTimer = clearTimer(pressTimer);
        presses = 0;
        exitPage();
      } else {
        status.textContent = presses === 1
          ? gettext("Shift, press 2 more times to exit.")
          : gettext("Shift, press 1 more time to exit.");
        pressTimer = clearTimer(pressTimer);
        pressTimer = window.setTimeout(function () { resetPresses(true); }, TIMEOUT_MS);
      }
    } else if (presses > 0) {
      resetPresses(true);  // any other key breaks the sequence
    }
    lastKeyWasModified = event.shiftKey;
  }, true);

  // Coming back to this page from the browser's cache (Back from a later page): take the overlay away,
  // or the page would stay blank and unusable.
  window.addEventListener("pageshow", function () {
    document.body.classList.remove("quick-exit-hide");
    if (overlay) { overlay.remove(); overlay = null; }
    status.textContent = "";
    resetPresses(false);
    messageTimer = clearTimer(messageTimer);
  });
}());
