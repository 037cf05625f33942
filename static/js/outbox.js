/* Walk and Talk: the officer's outbox — what she did on the phone with no signal, until the server has
   it (issues 14 and 17). Loaded on every officer page (templates/includes/outbox.html), so what waits
   is sent from whichever page she is on when the signal returns — on load, on the "online" event,
   every 30 s while anything waits, and when she taps "Send now" — in the order she did it, one at a
   time. With no page open, the service worker sends it on Background Sync. Both use one sender and one
   queue in IndexedDB (outbox-queue.js), under one lock; this page shows the queue (the banner at the
   top of every page says what is still waiting) and hears when the worker or another tab changed it.

   What it holds: a new concern (concern-draft.js), and the forms marked data-outbox — start, finish,
   no-show, "nothing to log", a follow-up update. Each carries its key (the concern's draft key, or an
   action key made when she taps): the server does each key once, so sending twice (two tabs, a retry)
   never does it twice.

   An item leaves the waiting list only on a definite yes from the server (JSON {ok: true}). A network
   error, a 5xx or anything that is not the server's JSON answer (a sign-in page after the session ran
   out) keeps it. A refusal (a 4xx: the walk was cancelled, the concern closed…) is kept too, shown with
   the reason and what she typed, until she dismisses it. A damaged entry (unreadable storage) is
   listed as such with its raw text, never dropped silently, and never stops the others.

   Each item keeps when she acted (actedAt: the phone's clock when she tapped, ISO 8601 with its
   offset). A queued item sends it as acted_at when it is replayed, so the server records the walk as
   started at 14:05, not when the signal came back at 15:10 (within bounds it sets, since a phone's
   clock can be wrong: patrols/acted_at.py). A send made at once, with signal, leaves it out: the
   server's clock is used. The banner names that time, and so does the walk's page once it is sent.

   A sent start, finish or no-show stays (marked sent) until a page fresh from the server shows it, so
   a page kept for no signal still shows what she did (the walk "started"); signing out removes sent
   items and the session the worker sends with, and leaves what waits (it is hers to send). */
(function () {
  "use strict";
  var root = document.getElementById("outbox");
  var banner = document.getElementById("outbox-banner");
  var Q = window.WalkAndTalkQueue; // static/js/outbox-queue.js: the queue in IndexedDB, and its sender
  if (!root || !banner || !Q || !window.indexedDB || !window.fetch) { return; }
  // Where phones kept the queue until IndexedDB (issues 14 to 17): moved once, on the first page load.
  var LEGACY_KEY = "walkandtalk:concern-outbox";
  var RETRY_MS = 30000;
  var STUCK_MS = 60 * 60 * 1000; // "waiting to send" notification after an hour
  var SENT_KEEP_MS = 24 * 60 * 60 * 1000;
  var user = root.dataset.user;
  // When the server made this page (its clock, as is a sent item's sentAt: the phone's may be off).
  var renderedAt = Date.parse(document.documentElement.dataset.renderedAt || "") || 0;
  var offlineCopy = Boolean(document.getElementById("offline-banner") &&
                            !document.getElementById("offline-banner").hidden);
  var summary = document.getElementById("outbox-summary");
  var list = document.getElementById("outbox-items");
  var sendNow = document.getElementById("outbox-send");
  var news = document.getElementById("outbox-news");
  var inFlight = {}; // keys this page is sending right now
  var heldHere = {}; // keys a form on this page is sending itself
  var timer = null;
  var flushing = false;
  // What this page last read of the queue (IndexedDB is asynchronous; the banner renders from this).
  var state = { items: [], damaged: [] };

  // Walk actions: what the banner calls them, and what they make of the walk.
  var ACTIONS = {
    start: { noun: "Start walk", becomes: "in_progress" },
    finish: { noun: "Finish walk", becomes: "completed" },
    no_show: { noun: "Resident didn’t come", becomes: "no_show" },
    nothing_to_log: { noun: "Nothing to log" },
    update: { noun: "Follow-up" }
  };

  var valid = Q.valid;

  function readAll() { return state.items; }
  function readDamaged() { return state.damaged; }
  function read() { return readAll().filter(valid); }
  // Read again, then show: after any change here, in another tab or by the service worker.
  function refresh() { return Q.load().then(function (s) { state = s; render(); }); }
  function mine(item) { return Q.mine(item, user); }
  function update(key, change) {
    return Q.change(function (s) {
      s.items.forEach(function (item) { if (valid(item) && item.key === key) { change(item); } });
    }).then(changed);
  }
  function remove(key) {
    return Q.change(function (s) {
      s.items = s.items.filter(function (item) { return !valid(item) || item.key !== key; });
    }).then(changed);
  }
  function changed() { Q.tell({ type: "changed" }); return refresh(); }

  function value(item, name) {
    for (var i = 0; i < item.pairs.length; i += 1) { if (item.pairs[i][0] === name) { return item.pairs[i][1]; } }
    return "";
  }
  function kind(item) { return item.kind || "concern"; }
  function changesWalk(item) { var action = ACTIONS[kind(item)]; return Boolean(action && action.becomes); }
  // The phone's local time of an ISO string, as the pages write times (14:05); "" if unreadable.
  function clock(iso) {
    var t = Date.parse(iso || "");
    if (!t) { return ""; }
    var d = new Date(t);
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }
  // Now, ISO 8601 with this phone's offset (2026-12-02T14:05:00.000+00:00), for actedAt.
  function nowWithOffset() {
    var d = new Date();
    var minutes = -d.getTimezoneOffset();
    var sign = minutes < 0 ? "-" : "+";
    var abs = Math.abs(minutes);
    var local = new Date(d.getTime() + minutes * 60000).toISOString().slice(0, -1);
    return local + sign + String(Math.floor(abs / 60)).padStart(2, "0") + ":" + String(abs % 60).padStart(2, "0");
  }
  // "Start walk — 14:00, done at 14:05": what it is, and when she did it on the phone.
  function describeWithTime(item) {
    var when = clock(item.actedAt);
    return when ? describe(item) + ", done at " + when : describe(item);
  }
  function describe(item) {
    var label = item.label || {};
    if (kind(item) !== "concern") {
      var action = ACTIONS[kind(item)] || { noun: "An action" };
      return label.text ? action.noun + " — " + label.text : action.noun;
    }
    var what = label.category || "A concern";
    var where = label.place || value(item, "location_text") || (value(item, "latitude") ? "pinned on the map" : "");
    return where ? what + " — " + where : what;
  }

  function csrfToken() {
    var field = banner.querySelector("[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  /* A form's own send, at once (outbox-queue.js's sendNow, under the queue's lock). Resolves to
     {kind: "sent", body}, {kind: "refused", reason, body} or {kind: "failed", reason}; never rejects. */
  function send(item) {
    inFlight[item.key] = true;
    return saving.then(function () { return Q.sendNow(item, csrfToken()); }).then(function (result) {
      delete inFlight[item.key];
      return refresh().then(function () { return result; });
    });
  }

  function waiting() {
    return read().filter(function (item) { return mine(item) && !item.refused && !item.sentAt && !heldHere[item.key]; });
  }
  function refused() { return read().filter(function (item) { return mine(item) && item.refused && !item.sentAt; }); }
  function damagedEntries() {
    var inList = readAll().filter(function (item) { return !valid(item); })
      .map(function (item) { return { raw: JSON.stringify(item), inList: true }; });
    return inList.concat(readDamaged());
  }

  // Sent items a page fresh from the server already shows are done with; any after a day are too.
  function prune() {
    var now = Date.now();
    return Q.change(function (s) {
      s.items = s.items.filter(function (item) {
        if (!valid(item) || !item.sentAt) { return true; }
      var sent = Date.parse(item.sentAt);
      if (now - sent > SENT_KEEP_MS) { return false; }
        return offlineCopy || !renderedAt || sent > renderedAt;
      });
    });
  }

  function render() {
    var items = waiting();
    var stopped = refused();
    var broken = damagedEntries();
    list.textContent = "";
    // One waiting item is named in the summary; more, or any refused or damaged, are listed one by one.
    var listed = items.length > 1 ? items.concat(stopped) : stopped;
    listed.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "mb-2";
      var text = document.createElement("span");
      text.textContent = describeWithTime(item);
      li.appendChild(text);
      if (item.refused) {
        li.appendChild(document.createTextNode(" "));
        var why = document.createElement("strong");
        why.textContent = "Not sent: " + item.refused;
        li.appendChild(why);
        li.appendChild(details(item));
        var actions = document.createElement("div");
        actions.className = "d-flex flex-wrap gap-2";
        actions.appendChild(button("Try again", function () {
          update(item.key, function (it) { delete it.refused; }).then(function () { flush(true); });
        }));
        actions.appendChild(button("Dismiss", function () {
          remove(item.key).then(function () { say("Dismissed: " + describe(item) + "."); });
        }));
        li.appendChild(actions);
      }
      list.appendChild(li);
    });
    broken.forEach(function (entry, index) {
      var li = document.createElement("li");
      li.className = "mb-2";
      var why = document.createElement("strong");
      why.textContent = "A saved entry on this phone is damaged and cannot be sent.";
      li.appendChild(why);
      var box = document.createElement("details");
      var title = document.createElement("summary");
      title.textContent = "What is left of it";
      box.appendChild(title);
      var raw = document.createElement("pre");
      raw.className = "small text-wrap text-break mb-1";
      raw.textContent = entry.raw;
      box.appendChild(raw);
      li.appendChild(box);
      li.appendChild(button("Dismiss", function () { dismissDamaged(entry, index); }));
      list.appendChild(li);
    });
    list.hidden = !(listed.length || broken.length);
    var parts = [];
    var concerns = items.every(function (item) { return kind(item) === "concern"; });
    var noun = function (n) { return concerns ? (n === 1 ? " concern" : " concerns") : (n === 1 ? " action" : " actions"); };
    if (items.length) {
      parts.push(items.length + noun(items.length) + " waiting to send" +
                 (items.length === 1 ? ": " + describeWithTime(items[0]) : ""));
    }
    if (stopped.length) {
      concerns = stopped.every(function (item) { return kind(item) === "concern"; });
      parts.push(stopped.length + noun(stopped.length) + " could not be sent");
    }
    if (broken.length) { parts.push(broken.length + (broken.length === 1 ? " damaged entry" : " damaged entries")); }
    summary.textContent = parts.join(". ");
    sendNow.hidden = !items.length;
    banner.hidden = !(items.length || stopped.length || broken.length);
    if (items.length && !timer) { timer = window.setInterval(function () { flush(false); }, RETRY_MS); }
    if (!items.length && timer) { window.clearInterval(timer); timer = null; }
    showWalkState();
    notifyIfStuck(items);
    document.dispatchEvent(new CustomEvent("outbox:change"));
  }

  function dismissDamaged(entry, index) {
    var inListCount = readAll().filter(function (item) { return !valid(item); }).length;
    Q.change(function (s) {
      if (entry.inList) {
        var bad = s.items.filter(function (item) { return !valid(item); });
        var gone = bad[index];
        s.items = s.items.filter(function (item) { return item !== gone; });
      } else {
        s.damaged.splice(index - inListCount, 1);
      }
    }).then(changed).then(function () { say("Dismissed the damaged entry."); });
  }

  // What she typed, so a refused item is never lost: she can copy it into a new one.
  function details(item) {
    var box = document.createElement("details");
    var title = document.createElement("summary");
    title.textContent = "What you typed";
    box.appendChild(title);
    var dl = document.createElement("dl");
    dl.className = "small mb-1";
    [["location_text", "Street or landmark"], ["resident_said", "What she said"], ["action", "What you will do"],
     ["note", "What happened"], ["closed_reason", "Reason for closing"]]
      .forEach(function (field) {
        var text = value(item, field[0]);
        if (!text) { return; }
        var dt = document.createElement("dt"); dt.textContent = field[1];
        var dd = document.createElement("dd"); dd.textContent = text;
        dl.appendChild(dt); dl.appendChild(dd);
      });
    if (!dl.children.length) {
      var dt = document.createElement("dt"); dt.textContent = "Nothing typed";
      var dd = document.createElement("dd"); dd.textContent = "Do it again from the walk’s page if it still applies.";
      dl.appendChild(dt); dl.appendChild(dd);
    }
    box.appendChild(dl);
    return box;
  }

  function button(label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-outline-dark";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function say(text, warning) {
    news.textContent = text;
    news.className = !text ? "mb-0" : warning ? "alert alert-warning" : "alert alert-success";
  }

  /* A walk on this page as she left it: the server's status, then what she did on the phone that this
     page does not show yet (waiting, or sent after the page was made). Blocks marked data-when show
     for the statuses they list. */
  function walkStatus(walk, status) {
    var when = "";
    read().forEach(function (item) {
      if (!mine(item) || item.refused || String(item.walk) !== String(walk)) { return; }
      if (item.sentAt && !offlineCopy && renderedAt && Date.parse(item.sentAt) <= renderedAt) { return; }
      var action = ACTIONS[kind(item)];
      if (action && action.becomes) { status = action.becomes; when = clock(item.doneAt || item.actedAt); }
    });
    return { status: status, when: when };
  }
  function showWalkState() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-walk-status]"), function (box) {
      var server = box.dataset.walkStatus;
      var state = walkStatus(box.dataset.walk, server);
      var now = state.status;
      Array.prototype.forEach.call(box.querySelectorAll("[data-when]"), function (el) {
        el.hidden = el.dataset.when.split(" ").indexOf(now) === -1;
      });
      Array.prototype.forEach.call(box.querySelectorAll("[data-status-label]"), function (el) {
        if (!el.dataset.serverLabel) { el.dataset.serverLabel = el.textContent; }
        el.textContent = now === server ? el.dataset.serverLabel
          : (STATUS_LABELS[now] || now) + (state.when ? " at " + state.when : "") + " (on this phone)";
      });
    });
  }
  var STATUS_LABELS = { in_progress: "In progress", completed: "Completed", no_show: "No-show" };

  /* The "concern waiting to send" push cannot come from the server (the phone has no signal), so
     the phone says it itself: once per item, when it has waited an hour, if she allowed notifications.
     Checked whenever the outbox is rendered: each page load, each send attempt (every 30 s while
     something waits) and each change. Discreet: no name, no place. */
  function notifyIfStuck(items) {
    if (!("Notification" in window) || Notification.permission !== "granted" || !navigator.serviceWorker) { return; }
    var now = Date.now();
    var stuck = items.filter(function (item) {
      return !item.notifiedAt && item.queuedAt && now - Date.parse(item.queuedAt) >= STUCK_MS;
    });
    if (!stuck.length) { return; }
    stuck.forEach(function (item) { update(item.key, function (it) { it.notifiedAt = new Date().toISOString(); }); });
    navigator.serviceWorker.ready.then(function (registration) {
      registration.showNotification("Walk and Talk", {
        body: "Something you saved is still waiting to send. Open the app when you have signal.",
        tag: "walkandtalk-outbox-waiting"
      });
    }).catch(function () { /* no worker: the banner still says it */ });
  }

  // "Start walk — 14:00, recorded as done at 14:05": the time the server kept (it may have moved a
  // time the phone's clock got wrong), else the one she acted at.
  function sentText(item, body) {
    var when = clock(body && body.done_at) || clock(item.actedAt);
    return when ? describe(item) + ", recorded as done at " + when : describe(item);
  }

  // Send what is waiting, one at a time, in order; stop at the first failure (no signal) and try later.
  // The sender is outbox-queue.js's, the one the service worker uses too, under the same lock.
  function flush(asked) {
    if (flushing) { return Promise.resolve(); }
    flushing = true;
    return saving.then(function () {
      return Q.flush({ user: user, token: csrfToken(), skip: heldHere, onEach: function () { refresh(); } });
    }).then(function (report) {
      flushing = false;
      return refresh().then(function () {
        var sent = report.sent.map(function (pair) { return sentText(pair[0], pair[1]); });
        var problem = report.failed === null ? "" : report.failed ||
          (asked ? "Still no signal: it stays on this phone and is sent when you are back online." : "");
        var text = sent.length ? "Sent from this phone: " + sent.join("; ") + "." : "";
        if (problem) { text = (text ? text + " " : "") + problem; }
        if (text) { say(text, Boolean(problem)); }
      });
    }, function () { flushing = false; });
  }

  function askForSync() {
    // Background Sync (where the browser has it): the worker is woken when the signal is back and
    // sends the queue itself, with or without a page open (frontend/service-worker.js, "sync").
    if (!navigator.serviceWorker || !navigator.serviceWorker.controller) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) { return registration.sync.register("walkandtalk-outbox"); }
    }).catch(function () { /* not granted: the online event and page loads still send it */ });
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = Math.random() * 16 | 0; return (c === "x" ? r : (r & 0x3 | 0x8)).toString(16);
    });
  }

  /* The walk and follow-up forms (data-outbox): into the outbox first, then sent; with no signal the
     item waits, the page shows the walk as she left it, and she carries on. */
  function queueForm(form, event) {
    event.preventDefault();
    var pairs = Array.from(new FormData(form).entries()).filter(function (pair) {
      return pair[0] !== "action_key" && typeof pair[1] === "string";
    });
    var item = {
      key: newKey(), kind: form.dataset.outbox, walk: form.dataset.walk || "",
      url: form.getAttribute("action") || window.location.pathname,
      label: { text: form.dataset.label || "" }
    };
    pairs.push(["action_key", item.key]);
    item.pairs = pairs;
    var submit = form.querySelector("[type=submit]");
    if (submit) { submit.disabled = true; }
    api.add(item, true);
    send(item).then(function (result) {
      if (submit) { submit.disabled = false; }
      if (result.kind === "sent") { window.location.assign(result.body.next || window.location.href); return; }
      api.release(item.key);
      if (result.kind === "refused") {
        say("Not done: " + result.reason, true);
        return;
      }
      askForSync();
      if (result.reason) { say(result.reason, true); return; }
      say("No signal: " + describe(item) + " is saved on this phone and is sent when you are back online.", true);
      if (form.dataset.then) { window.location.assign(form.dataset.then); return; }
      form.reset();
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.outbox) { queueForm(form, event); }
  });

  sendNow.addEventListener("click", function () { flush(true); });
  window.addEventListener("online", function () { flush(false); });
  // Another tab, or the service worker, changed the queue (sent it, most often): show it as it is now.
  if (typeof BroadcastChannel === "function") {
    new BroadcastChannel(Q.CHANNEL).addEventListener("message", function () { refresh(); });
  }

  // Every change waits for the ones before it, so a send never starts before its item is saved.
  var saving = Promise.resolve();
  function queue(step) { saving = saving.then(step).catch(function () {}); return saving; }

  var api = window.WalkAndTalkOutbox = {
    /* A form: put an item in the queue (before sending it, so nothing is lost if the page goes), then
       send it itself — `hold` keeps it out of the banner while it does. Resolves once it is saved. */
    add: function (item, hold) {
      item.user = user;
      item.queuedAt = new Date().toISOString();
      // When she tapped (kept with the item; sent when it is replayed). A form may have set it already.
      if (typeof item.actedAt !== "string") { item.actedAt = nowWithOffset(); }
      if (hold) { heldHere[item.key] = true; }
      return queue(function () {
        return Q.change(function (s) {
          s.items = s.items.filter(function (other) { return !valid(other) || other.key !== item.key; });
          s.items.push(item);
        }).then(changed);
      });
    },
    send: function (item) { return send(item); },
    release: function (key) { delete heldHere[key]; render(); askForSync(); },
    forget: function (key) { delete heldHere[key]; return remove(key); },
    flush: flush,
    /* Signing out (static/js/app.js): what was sent goes, and the session the worker sends with;
       what waits stays, it is hers to send when she signs in again. Resolves when done. */
    forgetSent: function () {
      return queue(function () {
        return Q.change(function (s) {
          s.items = s.items.filter(function (item) { return !valid(item) || !item.sentAt; });
          s.session = null;
        });
      });
    }
  };

  // The session the service worker sends with when no page is open: who is signed in, and this
  // page's CSRF token (the worker has no page and cannot read cookies; the token is per session).
  function keepSession() {
    if (offlineCopy) { return Promise.resolve(); } // a kept copy's token may be an older session's
    return Q.change(function (s) { s.session = { user: user, token: csrfToken() }; });
  }

  queue(function () {
    return Q.migrate(window.localStorage, LEGACY_KEY).catch(function () { /* stays there: next load */ })
      .then(keepSession).then(prune).then(refresh);
  }).then(function () { flush(false); });
})();
