/* Walk and Talk: nothing lost offline. While the officer types, the concern form is kept on the
   phone (localStorage). A submit with no signal is queued on the phone and sent when the
   connection returns. Each draft carries a key; the server makes one concern per key, so a draft
   sent twice (a retry, a flaky connection) never makes two. */
(function () {
  "use strict";
  var form = document.getElementById("concern-form");
  if (!form || !window.localStorage || !window.fetch) { return; }
  var DRAFT = "walkandtalk:concern-draft:" + form.dataset.walk;
  var OUTBOX = "walkandtalk:concern-outbox";
  var status = document.getElementById("draft-status");
  var keyField = form.elements.namedItem("draft_key");
  // Not form.action: the form has a field named "action" ("What you will do"), which shadows it.
  var url = form.getAttribute("action");
  var sending = false;

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
      if (el.type === "radio") { if (el.checked) { data[el.name] = el.value; } } else { data[el.name] = el.value; }
    });
    return data;
  }

  function write(data) {
    fields().forEach(function (el) {
      if (!(el.name in data)) { return; }
      if (el.type === "radio") { el.checked = el.value === data[el.name]; } else { el.value = data[el.name]; }
    });
  }

  function saveDraft() { localStorage.setItem(DRAFT, JSON.stringify(read())); }
  function clearDraft() { localStorage.removeItem(DRAFT); }

  function outbox() { try { return JSON.parse(localStorage.getItem(OUTBOX)) || []; } catch (e) { return []; } }
  function setOutbox(items) { localStorage.setItem(OUTBOX, JSON.stringify(items)); }

  function csrfToken() { return form.elements.namedItem("csrfmiddlewaretoken").value; }

  function post(url, pairs) {
    return fetch(url, {
      method: "POST",
      body: new URLSearchParams(pairs),
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    });
  }

  function startNextConcern() {
    // form.reset() leaves hidden inputs as they are, so the last pin would go with the next concern:
    // clear it as she would (marker, fields, status), before the draft is cleared.
    var clearPin = document.getElementById("pin-clear");
    if (clearPin) { clearPin.click(); }
    clearDraft();
    form.reset();
    keyField.value = newKey();
  }

  // Send queued concerns one by one; stop at the first network failure and try again later.
  function flush() {
    var items = outbox();
    if (sending || !items.length || !navigator.onLine) { return; }
    sending = true;
    var item = items[0];
    post(item.url, item.pairs).then(function (result) {
      setOutbox(outbox().filter(function (other) { return other.key !== item.key; }));
      sending = false;
      if (result.body.ok) {
        say("Back online: a concern saved on this phone has been sent.");
      } else {
        // The server refused it (a rule, not the network): bring it back to fix it.
        var data = {};
        item.pairs.forEach(function (pair) { data[pair[0]] = pair[1]; });
        localStorage.setItem(DRAFT, JSON.stringify(data));
        write(data);
        say("A concern saved on this phone could not be sent: " + Object.values(result.body.errors || {}).join(" ") +
            " It is back in the form to fix.");
      }
      flush();
    }).catch(function () { sending = false; });
  }

  function queue(pairs) {
    var items = outbox();
    items.push({ key: keyField.value, url: url, pairs: pairs });
    setOutbox(items);
    startNextConcern();
    say("No signal: this concern is saved on your phone and will be sent when you are back online. " +
        "You can log the next one.");
  }

  // Restore an unsent draft, unless the server has just shown this form back with errors.
  if (form.dataset.bound !== "true") {
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
    var pairs = Array.from(new FormData(form).entries());
    if (!navigator.onLine) { queue(pairs); return; }
    post(url, pairs).then(function (result) {
      if (result.body.ok) { clearDraft(); window.location.assign(result.body.next); return; }
      form.dataset.bound = "true";
      clearDraft();
      HTMLFormElement.prototype.submit.call(form); // let the server show the errors beside the fields
    }).catch(function () { queue(pairs); });
  });
  window.addEventListener("online", flush);
  flush();
})();
