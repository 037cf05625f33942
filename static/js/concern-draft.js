/* Walk and Talk: nothing lost offline. While the officer types, the concern form is kept on the
   phone (localStorage). A submit goes into the phone's outbox (outbox.js, on every officer
   page; kept in IndexedDB by outbox-queue.js) before it is sent, and leaves it only when the server has it; with no signal it waits there
   and is sent from whichever page she is on when the connection returns. Each draft carries a key;
   the server makes one concern per key, so a draft sent twice (a retry, a flaky connection) never
   makes two. */
(function () {
  "use strict";
  var form = document.getElementById("concern-form");
  if (!form || !window.localStorage || !window.fetch) { return; }
  var DRAFT = "walkandtalk:concern-draft:" + form.dataset.walk;
  var status = document.getElementById("draft-status");
  var keyField = form.elements.namedItem("draft_key");
  // Not form.action: the form has a field named "action" ("What you will do"), which shadows it.
  var url = form.getAttribute("action");

  function say(text) { status.textContent = text; status.hidden = false; }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = Math.random() * 16 | 0; return (c === "x" ? r : (r & 0x3 | 0x8)).toString(16);
    });
  }

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrfmiddlewaretoken" && el.type !== "submit" && el.type !== "button";
    });
  }

  function read() {
    var data = {};
    fields().forEach(function (el) {
      if (el.type === "radio") { if (el.checked) { data[el.name] = el.value; } }
      // A checkbox keeps whether it is ticked, not its value ("on" either way): her words are shared
      // with partners only if the officer ticked the box.
      else if (el.type === "checkbox") { data[el.name] = el.checked ? el.value : ""; }
      else { data[el.name] = el.value; }
    });
    return data;
  }

  function write(data) {
    fields().forEach(function (el) {
      if (!(el.name in data)) { return; }
      if (el.type === "radio" || el.type === "checkbox") { el.checked = el.value === data[el.name]; }
      else { el.value = data[el.name]; }
    });
  }

  function saveDraft() { localStorage.setItem(DRAFT, JSON.stringify(read())); }
  function clearDraft() { localStorage.removeItem(DRAFT); }

  function startNextConcern() {
    // form.reset() leaves hidden inputs as they are, so the last pin would go with the next concern:
    // clear it as she would (marker, fields, status), before the draft is cleared.
    var clearPin = document.getElementById("pin-clear");
    if (clearPin) { clearPin.click(); }
    clearDraft();
    form.reset();
    keyField.value = newKey();
  }

  // What the banner calls it: "Badly lit — Rye Lane alley".
  function label() {
    var category = form.elements.namedItem("category");
    var option = category && category.selectedIndex > 0 ? category.options[category.selectedIndex] : null;
    var place = form.elements.namedItem("location_text").value.trim();
    var lat = form.elements.namedItem("latitude");
    return { category: option ? option.text : "", place: place || (lat && lat.value ? "pinned on the map" : "") };
  }

  function queued() {
    startNextConcern();
    say("No signal: this concern is saved on your phone and will be sent when you are back online. " +
        "You can log the next one.");
  }

  // Restore an unsent draft, unless the server has just shown this form back with errors.
  if (form.dataset.bound !== "true") {
    // A key of this phone's own for each new concern: the server's is the same every time a copy of
    // the form kept for no signal is opened (issue 17), and two concerns with one key would be one.
    keyField.value = newKey();
    try {
      var saved = JSON.parse(localStorage.getItem(DRAFT));
      if (saved && Object.keys(saved).length) {
        write(saved);
        say("Your unsent draft is back.");
        var lat = form.elements.namedItem("latitude");
        if (lat) { lat.dispatchEvent(new Event("draft-restored")); }
      }
    } catch (e) { clearDraft(); }
  }
  if (!keyField.value) { keyField.value = newKey(); }

  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var outbox = window.WalkAndTalkOutbox;
    var pairs = Array.from(new FormData(form).entries());
    var item = { key: keyField.value, url: url, pairs: pairs, label: label() };
    if (!outbox) { HTMLFormElement.prototype.submit.call(form); return; }
    // Into the phone's outbox first: if the page goes while this is on its way (she taps a link,
    // the signal drops mid-request), the concern is still on the phone and the next page sends it.
    if (!navigator.onLine) { outbox.add(item, false).then(queued); return; }
    outbox.add(item, true);
    clearDraft(); // it is in the outbox now: a draft left behind would come back as if unsent
    outbox.send(item).then(function (result) {
      if (result.kind === "sent") { clearDraft(); window.location.assign(result.body.next); return; }
      if (result.kind === "refused" && result.body && result.body.errors) {
        // The server said what to fix: show the form back with its errors beside the fields. The
        // draft stays on the phone until a save goes through.
        outbox.forget(item.key);
        saveDraft();
        form.dataset.bound = "true";
        HTMLFormElement.prototype.submit.call(form);
        return;
      }
      outbox.release(item.key); // no signal (or a refusal with no form to fix): the banner has it now
      if (result.kind === "failed") { queued(); } else { startNextConcern(); }
    });
  });
})();
