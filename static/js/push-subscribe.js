/* Walk and Talk: notifications on this phone (Web Push), for an officer.

   On "Notifications on this phone" (participants/push.html): "Turn on" asks the browser for
   permission, subscribes through the app's service worker with the scheme's VAPID public key and
   sends the subscription to the server; "Turn off" unsubscribes here and tells the server. The page
   says which state this phone is in, and why when it cannot (no service worker yet, blocked, no
   signal).

   On every officer page (loaded by base.html): signing out first unsubscribes this browser, so the
   push service forgets the phone too (the server removes the session's subscription on sign-out in
   any case). Sign-out waits for that at most two seconds. */
(function () {
  "use strict";
  var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  var WAIT_MS = 3000;

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  function withTimeout(promise, ms) {
    return Promise.race([promise, new Promise(function (resolve) { setTimeout(function () { resolve(null); }, ms); })]);
  }
  // The app's service worker registration (the PWA's, scope /app/; it imports sw-push.js), or null.
  var app = document.getElementById("officer-app");
  var scope = app && app.dataset.scope ? app.dataset.scope : "/app/";
  function registration() {
    if (!supported) { return Promise.resolve(null); }
    return navigator.serviceWorker.getRegistration(scope).then(function (found) {
      if (!found) { return null; }
      return found.active ? found : withTimeout(navigator.serviceWorker.ready, WAIT_MS);
    }).catch(function () { return null; });
  }
  function currentSubscription() {
    return registration().then(function (reg) { return reg ? reg.pushManager.getSubscription() : null; });
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok) { throw new Error(answer.error || "The server did not accept it. Try again."); }
        return answer;
      });
    });
  }
  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  // --- Signing out: this browser forgets its subscription too -----------------------------------
  // requestSubmit (not submit) when done: the sign-out's other listeners (the app's, emptying its
  // caches) see the submit again and finish their own work before the form goes.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-sign-out], #sign-out-form"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!supported || form.dataset.pushDone === "1") { return; }
      event.preventDefault();
      if (form.dataset.pushDone === "pending") { return; }  // under way (the app's listener sent it again)
      form.dataset.pushDone = "pending";
      var go = function () {
        form.dataset.pushDone = "1";
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      };
      withTimeout(currentSubscription().then(function (sub) { return sub && sub.unsubscribe(); }), 2000)
        .catch(function () { return null; }).then(go, go);
    });
  });

  // --- The page -------------------------------------------------------------------------------------
  var root = document.getElementById("push");
  var stateText = document.getElementById("push-state");
  var onButton = document.getElementById("push-on");
  var offButton = document.getElementById("push-off");
  if (!root || !stateText || !onButton || !offButton) { return; }

  function show(text, on) {
    stateText.textContent = text;
    onButton.hidden = on !== false;
    offButton.hidden = on !== true;
  }
  function busy(yes) { onButton.disabled = yes; offButton.disabled = yes; }

  if (!supported) {
    show("This browser cannot show notifications. Use Chrome, Edge, Firefox or Safari on your phone (on an iPhone, add the app to the home screen first).", null);
    return;
  }

  function refresh() {
    return registration().then(function (reg) {
      if (!reg) {
        show("Notifications need the app on this phone: open Today with signal, then come back here.", null);
        return;
      }
      if (Notification.permission === "denied") {
        show("Notifications are blocked for this site. Allow them in the browser’s site settings, then reload this page.", null);
        return;
      }
      return reg.pushManager.getSubscription().then(function (sub) {
        if (sub && root.dataset.on === "true") {
          show("Notifications are on for this phone.", true);
        } else {
          show("Notifications are off for this phone.", false);
        }
      });
    });
  }

  function subscribe(reg) {
    var options = { userVisibleOnly: true, applicationServerKey: keyBytes(root.dataset.publicKey) };
    return reg.pushManager.subscribe(options).catch(function (error) {
      // Subscribed earlier with another key (the scheme changed its keys): start afresh, once.
      if (error && error.name === "InvalidStateError") {
        return reg.pushManager.getSubscription().then(function (old) {
          return (old ? old.unsubscribe() : null);
        }).then(function () { return reg.pushManager.subscribe(options); });
      }
      throw error;
    });
  }

  onButton.addEventListener("click", function () {
    busy(true);
    stateText.textContent = "Turning notifications on…";
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        throw new Error("Notifications were not allowed. Allow them for this site in the browser’s settings, then try again.");
      }
      return registration();
    }).then(function (reg) {
      if (!reg) { throw new Error("Notifications need the app on this phone: open Today with signal, then try again."); }
      return subscribe(reg).catch(function () {
        throw new Error("This phone could not reach its notification service. Try again with signal.");
      });
    }).then(function (sub) {
      return post(root.dataset.subscribeUrl, sub.toJSON());
    }).then(function () {
      root.dataset.on = "true";
      show("Notifications are on for this phone.", true);
      window.location.reload(); // the list of devices now has this one
    }).catch(function (error) {
      show(error.message || "Notifications could not be turned on. Try again.", false);
    }).then(function () { busy(false); });
  });

  offButton.addEventListener("click", function () {
    busy(true);
    stateText.textContent = "Turning notifications off…";
    currentSubscription().then(function (sub) {
      var endpoint = sub ? sub.endpoint : "";
      return (sub ? sub.unsubscribe() : Promise.resolve()).then(function () {
        return post(root.dataset.unsubscribeUrl, { endpoint: endpoint });
      });
    }).then(function () {
      root.dataset.on = "false";
      show("Notifications are off for this phone.", false);
      window.location.reload();
    }).catch(function (error) {
      show(error.message || "Notifications could not be turned off. Try again.", true);
    }).then(function () { busy(false); });
  });

  refresh();
})();
