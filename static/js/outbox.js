/* Walk and Talk: the officer's outbox — what she did on the phone with no signal, until the server has
   it (issues 14 and 17). Loaded on every officer page (templates/includes/outbox.html), so what waits
   is sent from whichever page she is on when the signal returns — on load, on the "online" event,
   when the service worker's Background Sync says the signal is back, every 30 s while anything waits,
   and when she taps "Send now" — in the order she did it, one at a time. The banner at the top of
   every page says what is still waiting.

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
   items. */
(function () {
  "use strict";
  var root = document.getElementById("outbox");
  var banner = document.getElementById("outbox-banner");
  if (!root || !banner || !window.localStorage || !window.fetch) { return; }
  var KEY = "walkandtalk:concern-outbox"; // its name since issue 14: phones have items under it
  var DAMAGED = KEY + ":damaged";
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

  // Walk actions: what the banner calls them, and what they make of the walk.
  var ACTIONS = {
    start: { noun: "Start walk", becomes: "in_progress" },
    finish: { noun: "Finish walk", becomes: "completed" },
    no_show: { noun: "Resident didn’t come", becomes: "no_show" },
    nothing_to_log: { noun: "Nothing to log" },
    update: { noun: "Follow-up" }
  };

  function valid(item) {
    return item && typeof item === "object" && typeof item.key === "string" && item.key &&
      typeof item.url === "string" && item.url.charAt(0) === "/" && Array.isArray(item.pairs) &&
      item.pairs.every(function (pair) { return Array.isArray(pair) && pair.length === 2; });
  }

  function readAll() {
    var raw = localStorage.getItem(KEY);
    if (raw === null) { return []; }
    try {
      var items = JSON.parse(raw);
      if (Array.isArray(items)) { return items; }
    } catch (e) { /* below */ }
    // The whole list is unreadable: keep its text aside (it is hers), and start a new list.
    var damaged = readDamaged();
    damaged.push({ raw: String(raw).slice(0, 4000), at: new Date().toISOString() });
    localStorage.setItem(DAMAGED, JSON.stringify(damaged));
    localStorage.setItem(KEY, "[]");
    return [];
  }
  function readDamaged() {
    try { var d = JSON.parse(localStorage.getItem(DAMAGED)); return Array.isArray(d) ? d : []; }
    catch (e) { return []; }
  }
  function read() { return readAll().filter(valid); }
  function write(items) {
    // Damaged entries inside the list stay where they are, untouched, until she dismisses them.
    var bad = readAll().filter(function (item) { return !valid(item); });
    localStorage.setItem(KEY, JSON.stringify(bad.concat(items)));
  }
  // Items queued by an earlier version carry no user: they are hers (the phone is hers).
  function mine(item) { return !item.user || item.user === user; }
  function update(key, change) {
    write(read().map(function (item) { return item.key === key ? change(item) || item : item; }));
  }
  function remove(key) { write(read().filter(function (item) { return item.key !== key; })); }

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

  /* Send one item. Resolves to {kind: "sent", body}, {kind: "refused", reason, body} or
     {kind: "failed", reason}; never rejects. */
  function send(item, background) {
    // This page's token, not the one saved with the item: she may have signed in again since.
    var pairs = item.pairs.filter(function (pair) { return pair[0] !== "csrfmiddlewaretoken" && pair[0] !== "acted_at"; });
    // A replay says when she acted; a send at once, with signal, lets the server's clock say it.
    if (background && typeof item.actedAt === "string") { pairs.push(["acted_at", item.actedAt]); }
    var headers = { "Accept": "application/json", "X-CSRFToken": csrfToken() };
    if (background) { headers["X-Concern-Outbox"] = "1"; }
    inFlight[item.key] = true;
    return fetch(item.url, {
      method: "POST", body: new URLSearchParams(pairs), headers: headers, credentials: "same-origin"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var json = type.indexOf("application/json") !== -1 ? response.json() : Promise.resolve(null);
      return json.catch(function () { return null; }).then(function (body) {
        if (response.ok && body && body.ok) {
          // A walk's start, finish or no-show stays, marked sent, while a kept page may still show the
          // walk as it was (see walkStatus); anything else has nothing left to show and goes now.
          if (changesWalk(item)) {
            update(item.key, function (it) {
              it.sentAt = body.at || new Date().toISOString();
              if (typeof body.done_at === "string") { it.doneAt = body.done_at; } // as the server recorded it
              delete it.refused;
            });
          } else {
            remove(item.key);
          }
          return { kind: "sent", body: body };
        }
        if (response.redirected && /\/accounts\//.test(response.url)) {
          return { kind: "failed", reason: "You are signed out: sign in again to send what is waiting." };
        }
        if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          var reason = body && body.errors ? flatten(body.errors) : refusal(response.status, item);
          update(item.key, function (it) { it.refused = reason; });
          return { kind: "refused", reason: reason, body: body };
        }
        return { kind: "failed", reason: "" };
      });
    }, function () {
      return { kind: "failed", reason: "" };
    }).then(function (result) { delete inFlight[item.key]; return result; });
  }

  function flatten(errors) {
    var messages = [];
    Object.keys(errors).forEach(function (field) { messages = messages.concat(errors[field]); });
    return messages.join(" ") || "The server refused it.";
  }
  function refusal(status, item) {
    var what = kind(item) === "update" ? "concern" : "walk";
    if (status === 404) { return "This " + what + " is no longer yours (it may have been reassigned)."; }
    if (status === 403) { return "You are not allowed to do that on this " + what + "."; }
    return "The server refused it (" + status + ").";
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
    write(read().filter(function (item) {
      if (!item.sentAt) { return true; }
      var sent = Date.parse(item.sentAt);
      if (now - sent > SENT_KEEP_MS) { return false; }
      return offlineCopy || !renderedAt || sent > renderedAt;
    }));
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
          update(item.key, function (it) { delete it.refused; });
          flush(true);
        }));
        actions.appendChild(button("Dismiss", function () {
          remove(item.key); say("Dismissed: " + describe(item) + "."); render();
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
    if (entry.inList) {
      var all = readAll();
      var bad = all.filter(function (item) { return !valid(item); });
      localStorage.setItem(KEY, JSON.stringify(all.filter(function (item) { return item !== bad[index]; })));
    } else {
      var inListCount = readAll().filter(function (item) { return !valid(item); }).length;
      var damaged = readDamaged();
      damaged.splice(index - inListCount, 1);
      localStorage.setItem(DAMAGED, JSON.stringify(damaged));
    }
    say("Dismissed the damaged entry.");
    render();
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
  function flush(asked) {
    if (flushing) { return; }
    var items = waiting().filter(function (item) { return !inFlight[item.key]; });
    if (!items.length) { render(); return; }
    flushing = true;
    var sent = [];
    function next(index) {
      if (index >= items.length) { done(""); return; }
      send(items[index], true).then(function (result) {
        if (result.kind === "sent") { sent.push(sentText(items[index], result.body)); render(); next(index + 1); return; }
        if (result.kind === "refused") { render(); next(index + 1); return; }
        done(result.reason || (asked ? "Still no signal: it stays on this phone and is sent when you are back online." : ""));
      });
    }
    function done(problem) {
      flushing = false;
      render();
      var text = sent.length ? "Sent from this phone: " + sent.join("; ") + "." : "";
      if (problem) { text = (text ? text + " " : "") + problem; }
      if (text) { say(text, Boolean(problem)); }
    }
    next(0);
  }

  function askForSync() {
    // Background Sync (where the browser has it): the worker is woken when the signal is back and
    // asks the open pages to send (frontend/service-worker.js, "sync").
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
    send(item, false).then(function (result) {
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
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "flush-outbox") { flush(false); }
    });
  }
  // Another tab (or the concern form in this one) changed the queue.
  window.addEventListener("storage", function (event) { if (event.key === KEY || event.key === DAMAGED) { render(); } });

  var api = window.WalkAndTalkOutbox = {
    /* A form: put an item in the queue (before sending it, so nothing is lost if the page goes), then
       send it itself — `hold` keeps it out of the banner while it does. */
    add: function (item, hold) {
      item.user = user;
      item.queuedAt = new Date().toISOString();
      // When she tapped (kept with the item; sent when it is replayed). A form may have set it already.
      if (typeof item.actedAt !== "string") { item.actedAt = nowWithOffset(); }
      var items = read().filter(function (other) { return other.key !== item.key; });
      items.push(item);
      write(items);
      if (hold) { heldHere[item.key] = true; }
      render();
    },
    send: function (item) { return send(item, false); },
    release: function (key) { delete heldHere[key]; render(); askForSync(); },
    forget: function (key) { delete heldHere[key]; remove(key); render(); },
    flush: flush,
    // Signing out (static/js/app.js): what was sent goes; what waits stays, it is hers to send.
    forgetSent: function () { write(read().filter(function (item) { return !item.sentAt; })); }
  };

  prune();
  render();
  flush(false);
})();
