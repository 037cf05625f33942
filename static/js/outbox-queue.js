/* Walk and Talk: the officer's offline queue itself (issue 17 point 3), shared by the pages
   (static/js/outbox.js, which shows it) and the service worker (frontend/service-worker.js, which
   sends it on Background Sync with no page open). Loaded in both with a plain <script> / importScripts.

   Where it lives: IndexedDB (database "walkandtalk", store "outbox"), which pages and the worker can
   both read; localStorage cannot be read by a worker. Raw IndexedDB, not a library: the queue is one
   record (the list, as it was in localStorage, so an old entry keeps its shape), the damaged entries a
   second, and the signed-in session (user, CSRF token) a third; every change is one read-modify-write
   in one transaction — about thirty lines of IndexedDB, less than a library's build step and loader.

   One sender (flush): in order, one at a time, each exactly once; it stops at the first network failure
   and keeps the rest; a refusal (a 4xx) is kept with its reason and does not stop the rest; a damaged
   entry is kept (shown by the pages) and skipped. The page and the worker never send at once: a flush
   holds the Web Lock "walkandtalk-outbox" (navigator.locks, in windows and workers alike) and re-reads
   the queue under it, so what one sent the other sees as sent. */
(function (scope) {
  "use strict";
  var DB = "walkandtalk";
  var STORE = "outbox";
  var LOCK = "walkandtalk-outbox";
  var CHANNEL = "walkandtalk-outbox";
  var dbPromise = null;

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = scope.indexedDB.open(DB, 1);
        request.onupgradeneeded = function () { request.result.createObjectStore(STORE); };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { dbPromise = null; reject(request.error); };
      });
    }
    return dbPromise;
  }

  // One transaction: read the three records, let `fn` change them, write them back.
  function change(fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, "readwrite");
        var store = tx.objectStore(STORE);
        var state = {};
        var names = ["items", "damaged", "session"];
        var left = names.length;
        names.forEach(function (name) {
          var get = store.get(name);
          get.onsuccess = function () {
            state[name] = get.result;
            left -= 1;
            if (left) { return; }
            if (!Array.isArray(state.items)) {
              // Not a list (a damaged store): keep what is there aside, start a new list.
              if (state.items !== undefined) {
                state.damaged = (Array.isArray(state.damaged) ? state.damaged : []).concat([
                  { raw: String(JSON.stringify(state.items)).slice(0, 4000), at: new Date().toISOString() }
                ]);
              }
              state.items = [];
            }
            if (!Array.isArray(state.damaged)) { state.damaged = []; }
            var result = fn ? fn(state) : undefined;
            if (fn) { names.forEach(function (n) { store.put(state[n], n); }); }
            tx.oncomplete = function () { resolve(result === undefined ? state : result); };
          };
        });
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function load() { return change(null); }

  function valid(item) {
    return Boolean(item && typeof item === "object" && typeof item.key === "string" && item.key &&
      typeof item.url === "string" && item.url.charAt(0) === "/" && Array.isArray(item.pairs) &&
      item.pairs.every(function (pair) { return Array.isArray(pair) && pair.length === 2; }));
  }
  var CHANGES_WALK = { start: true, finish: true, no_show: true };
  function changesWalk(item) { return Boolean(CHANGES_WALK[item.kind]); }
  // Items queued by an earlier version carry no user: they are hers (the phone is hers).
  function mine(item, user) { return !item.user || !user || String(item.user) === String(user); }
  function waiting(item, user) { return valid(item) && mine(item, user) && !item.refused && !item.sentAt; }

  function tell(message) {
    if (typeof scope.BroadcastChannel !== "function") { return; }
    var channel = new scope.BroadcastChannel(CHANNEL);
    channel.postMessage(message);
    channel.close();
  }

  // Under the lock where the browser has Web Locks; else as it comes (the server's key still makes a
  // second send of one entry harmless, and it is recorded as sent, not as a refusal).
  function locked(fn) {
    if (scope.navigator && scope.navigator.locks) { return scope.navigator.locks.request(LOCK, fn); }
    return fn();
  }

  function flatten(errors) {
    var messages = [];
    Object.keys(errors).forEach(function (field) { messages = messages.concat(errors[field]); });
    return messages.join(" ") || "The server refused it.";
  }
  function refusal(status, item) {
    var what = item.kind === "update" ? "concern" : "walk";
    if (status === 404) { return "This " + what + " is no longer yours (it may have been reassigned)."; }
    if (status === 403) { return "You are not allowed to do that on this " + what + "."; }
    return "The server refused it (" + status + ").";
  }

  /* Post one item and record the answer in the queue. Resolves to {kind: "sent", body},
     {kind: "refused", reason, body} or {kind: "failed", reason}; never rejects. `background`: a
     replay, which says when she acted (actedAt) and marks itself X-Concern-Outbox. */
  function post(item, token, background) {
    var pairs = item.pairs.filter(function (pair) { return pair[0] !== "csrfmiddlewaretoken" && pair[0] !== "acted_at"; });
    if (background && typeof item.actedAt === "string") { pairs.push(["acted_at", item.actedAt]); }
    var headers = { "Accept": "application/json", "X-CSRFToken": token || "" };
    if (background) { headers["X-Concern-Outbox"] = "1"; }
    return fetch(item.url, {
      method: "POST", body: new URLSearchParams(pairs), headers: headers, credentials: "same-origin"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var json = type.indexOf("application/json") !== -1 ? response.json() : Promise.resolve(null);
      return json.catch(function () { return null; }).then(function (body) {
        if (response.ok && body && body.ok) {
          return change(function (state) {
            state.items = state.items.filter(function (it) {
              if (!valid(it) || it.key !== item.key) { return true; }
              // A walk's start, finish or no-show stays, marked sent, while a kept page may still show
              // the walk as it was (outbox.js); anything else has nothing left to show and goes now.
              if (!changesWalk(it)) { return false; }
              it.sentAt = body.at || new Date().toISOString();
              if (typeof body.done_at === "string") { it.doneAt = body.done_at; }
              if (typeof body.next === "string") { it.next = body.next; }
              delete it.refused;
              return true;
            });
          }).then(function () { return { kind: "sent", body: body }; });
        }
        if (response.redirected && /\/accounts\//.test(response.url)) {
          return { kind: "failed", reason: "You are signed out: sign in again to send what is waiting." };
        }
        if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          var reason = body && body.errors ? flatten(body.errors) : refusal(response.status, item);
          return change(function (state) {
            state.items.forEach(function (it) { if (valid(it) && it.key === item.key) { it.refused = reason; } });
          }).then(function () { return { kind: "refused", reason: reason, body: body }; });
        }
        return { kind: "failed", reason: "" };
      });
    }, function () {
      return { kind: "failed", reason: "" };
    });
  }

  // An item is still to be sent (nobody sent it meanwhile): the queue's copy of it, or null.
  function current(key) {
    return load().then(function (state) {
      return state.items.filter(function (it) { return valid(it) && it.key === key; })[0] || null;
    });
  }

  /* A form's own send, at once (with signal): under the lock, so that if a flush (this page's, another
     tab's, the worker's) sent it meanwhile it is not posted again but answered as sent. */
  function sendNow(item, token) {
    return locked(function () {
      return current(item.key).then(function (it) {
        if (!it) { return { kind: "sent", body: { ok: true } }; }
        if (it.sentAt) { return { kind: "sent", body: { ok: true, at: it.sentAt, done_at: it.doneAt, next: it.next } }; }
        return post(it, token, false);
      });
    }).then(function (result) { tell({ type: "changed" }); return result; });
  }

  /* Send what waits, in order. options: {user, token, skip: {key: true} (held by a form), onEach}.
     Resolves to {sent: [[item, body]…], refused: n, failed: null | reason-or-"" }. */
  function flush(options) {
    options = options || {};
    var skip = options.skip || {};
    var report = { sent: [], refused: 0, failed: null };
    var tried = {};
    function next() {
      return load().then(function (state) {
        var user = options.user;
        var token = options.token;
        if (options.fromSession) {
          // The worker: the session the pages last saw; none (signed out) sends nothing.
          if (!state.session || !state.session.token) { report.failed = "signed out"; return report; }
          user = state.session.user; token = state.session.token;
        }
        var item = state.items.filter(function (it) {
          return waiting(it, user) && !skip[it.key] && !tried[it.key];
        })[0];
        if (!item) { return report; }
        tried[item.key] = true;
        return post(item, token, true).then(function (result) {
          if (options.onEach) { options.onEach(item, result); }
          if (result.kind === "sent") { report.sent.push([item, result.body]); return next(); }
          if (result.kind === "refused") { report.refused += 1; return next(); }
          report.failed = result.reason || "";
          return report;
        });
      });
    }
    return locked(next).then(function (result) {
      if (result.sent.length || result.refused) { tell({ type: "changed" }); }
      return result;
    });
  }

  /* Once, from a page: the entries phones kept in localStorage (issues 14 to 17) move into the
     queue, in their order and after nothing newer, losing nothing; then localStorage forgets them.
     A second run (the page closed between the two steps) finds their keys there already. */
  function migrate(storage, key) {
    var raw = storage.getItem(key);
    var rawDamaged = storage.getItem(key + ":damaged");
    if (raw === null && rawDamaged === null) { return Promise.resolve(false); }
    return change(function (state) {
      var old = null;
      try { old = raw === null ? [] : JSON.parse(raw); } catch (e) { old = null; }
      if (!Array.isArray(old)) {
        state.damaged.push({ raw: String(raw).slice(0, 4000), at: new Date().toISOString() });
        old = [];
      }
      var have = {};
      state.items.forEach(function (it) { if (valid(it)) { have[it.key] = true; } });
      var seen = {};
      state.items.forEach(function (it) { if (!valid(it)) { seen[JSON.stringify(it)] = true; } });
      var moved = old.filter(function (it) {
        if (valid(it)) { return !have[it.key]; }
        return !seen[JSON.stringify(it)]; // a damaged one stays damaged, listed, until she dismisses it
      });
      state.items = moved.concat(state.items);
      try {
        var damaged = JSON.parse(rawDamaged);
        if (Array.isArray(damaged)) {
          var known = {};
          state.damaged.forEach(function (d) { known[d.raw] = true; });
          state.damaged = state.damaged.concat(damaged.filter(function (d) { return d && !known[d.raw]; }));
        }
      } catch (e) { /* nothing readable beside it */ }
    }).then(function () {
      storage.removeItem(key);
      storage.removeItem(key + ":damaged");
      tell({ type: "changed" });
      return true;
    });
  }

  scope.WalkAndTalkQueue = {
    CHANNEL: CHANNEL, valid: valid, waiting: waiting, mine: mine, changesWalk: changesWalk,
    load: load, change: change, post: post, sendNow: sendNow, flush: flush, migrate: migrate, tell: tell
  };
})(self);
