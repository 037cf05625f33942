/* Walk and Talk: the officer's outbox of concerns saved on the phone with no signal. Loaded on every
   officer page (templates/includes/outbox.html), so a queued concern is sent from whichever page she
   is on when the signal returns — on load, on the "online" event, every 30 s while anything waits,
   and when she taps "Send now" — and the banner at the top of the page says what is still waiting.

   An item leaves the queue only on a definite yes from the server (JSON {ok: true}). A network
   error, a 5xx or anything that is not the server's JSON answer (a sign-in page after the session
   ran out) keeps it. A refusal (a 4xx: the walk was cancelled, reassigned…) is kept too, shown with
   the reason and what she typed, until she dismisses it. Each item carries its draft key: the server
   makes one concern per key, so sending twice (two tabs, a retry) never makes two.

   The concern form (concern-draft.js) writes its concern into this queue before it sends it, so a
   request cut off as she leaves the page is still here on the next one. */
(function () {
  "use strict";
  var root = document.getElementById("outbox");
  var banner = document.getElementById("outbox-banner");
  if (!root || !banner || !window.localStorage || !window.fetch) { return; }
  var KEY = "walkandtalk:concern-outbox";
  var RETRY_MS = 30000;
  var user = root.dataset.user;
  var summary = document.getElementById("outbox-summary");
  var list = document.getElementById("outbox-items");
  var sendNow = document.getElementById("outbox-send");
  var news = document.getElementById("outbox-news");
  var inFlight = {}; // draft keys this page is sending right now
  var heldHere = {}; // draft keys the concern form on this page is sending itself
  var timer = null;
  var flushing = false;

  function read() {
    try {
      var items = JSON.parse(localStorage.getItem(KEY));
      return Array.isArray(items) ? items : [];
    } catch (e) { return []; }
  }
  function write(items) { localStorage.setItem(KEY, JSON.stringify(items)); }
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
  function describe(item) {
    var label = item.label || {};
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
    // This page's token, not the one saved with the draft: she may have signed in again since.
    var pairs = item.pairs.filter(function (pair) { return pair[0] !== "csrfmiddlewaretoken"; });
    var headers = { "Accept": "application/json", "X-CSRFToken": csrfToken() };
    if (background) { headers["X-Concern-Outbox"] = "1"; }
    inFlight[item.key] = true;
    return fetch(item.url, {
      method: "POST", body: new URLSearchParams(pairs), headers: headers, credentials: "same-origin"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var json = type.indexOf("application/json") !== -1 ? response.json() : Promise.resolve(null);
      return json.catch(function () { return null; }).then(function (body) {
        if (response.ok && body && body.ok) { remove(item.key); return { kind: "sent", body: body }; }
        if (response.redirected && /\/accounts\//.test(response.url)) {
          return { kind: "failed", reason: "Sign in again to send it." };
        }
        if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          var reason = body && body.errors ? flatten(body.errors) : refusal(response.status);
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
  function refusal(status) {
    if (status === 404) { return "This walk is no longer yours to log concerns on (it may have been reassigned)."; }
    if (status === 403) { return "You are not allowed to log concerns on this walk."; }
    return "The server refused it (" + status + ").";
  }

  function waiting() {
    return read().filter(function (item) { return mine(item) && !item.refused && !heldHere[item.key]; });
  }
  function refused() { return read().filter(function (item) { return mine(item) && item.refused; }); }

  function render() {
    var items = waiting();
    var stopped = refused();
    list.textContent = "";
    // One waiting concern is named in the summary; more, or any refused, are listed one by one.
    var listed = items.length > 1 ? items.concat(stopped) : stopped;
    listed.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "mb-2";
      var text = document.createElement("span");
      text.textContent = describe(item);
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
    list.hidden = !listed.length;
    var parts = [];
    if (items.length) {
      parts.push(items.length + (items.length === 1 ? " concern" : " concerns") + " waiting to send" +
                 (items.length === 1 ? ": " + describe(items[0]) : ""));
    }
    if (stopped.length) {
      parts.push(stopped.length + (stopped.length === 1 ? " concern" : " concerns") + " could not be sent");
    }
    summary.textContent = parts.join(". ");
    sendNow.hidden = !items.length;
    banner.hidden = !(items.length || stopped.length);
    if (items.length && !timer) { timer = window.setInterval(function () { flush(false); }, RETRY_MS); }
    if (!items.length && timer) { window.clearInterval(timer); timer = null; }
  }

  // What she typed, so a refused concern is never lost: she can copy it into a new one.
  function details(item) {
    var box = document.createElement("details");
    var title = document.createElement("summary");
    title.textContent = "What you typed";
    box.appendChild(title);
    var dl = document.createElement("dl");
    dl.className = "small mb-1";
    [["location_text", "Street or landmark"], ["resident_said", "What she said"], ["action", "What you will do"]]
      .forEach(function (field) {
        var text = value(item, field[0]);
        if (!text) { return; }
        var dt = document.createElement("dt"); dt.textContent = field[1];
        var dd = document.createElement("dd"); dd.textContent = text;
        dl.appendChild(dt); dl.appendChild(dd);
      });
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

  // Send what is waiting, one at a time; stop at the first failure (no signal) and try again later.
  function flush(asked) {
    if (flushing) { return; }
    var items = waiting().filter(function (item) { return !inFlight[item.key]; });
    if (!items.length) { render(); return; }
    flushing = true;
    var sent = [];
    function next(index) {
      if (index >= items.length) { done(""); return; }
      send(items[index], true).then(function (result) {
        if (result.kind === "sent") { sent.push(describe(items[index])); render(); next(index + 1); return; }
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

  sendNow.addEventListener("click", function () { flush(true); });
  window.addEventListener("online", function () { flush(false); });
  // Another tab (or the concern form in this one) changed the queue.
  window.addEventListener("storage", function (event) { if (event.key === KEY) { render(); } });

  window.WalkAndTalkOutbox = {
    /* The concern form: put a concern in the queue (before sending it, so nothing is lost if the
       page goes), then send it itself — `hold` keeps it out of the banner while it does. */
    add: function (item, hold) {
      item.user = user;
      item.queuedAt = new Date().toISOString();
      var items = read().filter(function (other) { return other.key !== item.key; });
      items.push(item);
      write(items);
      if (hold) { heldHere[item.key] = true; }
      render();
    },
    send: function (item) { return send(item, false); },
    release: function (key) { delete heldHere[key]; render(); },
    forget: function (key) { delete heldHere[key]; remove(key); render(); },
    flush: flush
  };

  render();
  flush(false);
})();
