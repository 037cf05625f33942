/* Walk and Talk: the officer's phone app (issue 17), on every officer page. Registers the service
   worker (frontend/service-worker.js, served at /app/service-worker.js: its scope is /app/, where all
   her pages are); on Today, asks it to fetch and keep the pages she may need with no signal (the list
   is the server's: patrols/offline.py); and on sign-out
   empties every cache on this phone and the outbox's sent items before the sign-out goes. */
(function () {
  "use strict";
  var app = document.getElementById("officer-app");
  if (!app || !("serviceWorker" in navigator)) { return; }

  function tell(worker, message) {
    // Resolves when the worker has done it (or after 3 s: signing out must not hang on it).
    return new Promise(function (resolve) {
      var channel = new MessageChannel();
      channel.port1.onmessage = function () { resolve(); };
      worker.postMessage(message, [channel.port2]);
      window.setTimeout(resolve, 3000);
    });
  }

  navigator.serviceWorker.register(app.dataset.worker, { scope: app.dataset.scope }).catch(function () {
    /* no worker (private mode, an old browser): the pages still work online, and the outbox too */
  });
  // A phone that had the app before it moved to /app/ has a worker at scope "/" too: it goes (its
  // caches go with the retired worker the old URL now serves, patrols/views/app.py).
  var scope = new URL(app.dataset.scope, window.location.href).href;
  if (navigator.serviceWorker.getRegistrations) {
    navigator.serviceWorker.getRegistrations().then(function (registrations) {
      registrations.forEach(function (registration) {
        if (registration.scope !== scope) { registration.unregister(); }
      });
    }).catch(function () {});
  }

  var warm = document.getElementById("offline-urls");
  var banner = document.getElementById("offline-banner");
  if (warm && banner && banner.hidden) {
    // Only from a page fresh from the server (a kept copy is not "with signal").
    navigator.serviceWorker.ready.then(function (registration) {
      var urls = JSON.parse(warm.textContent);
      return tell(registration.active, { type: "warm", urls: urls });
    }).then(function () {
      document.documentElement.dataset.offlineReady = "true";
    });
  }

  var signOut = document.getElementById("sign-out-form");
  if (signOut) {
    signOut.addEventListener("submit", function (event) {
      if (signOut.dataset.cleared === "true") { return; }
      event.preventDefault();
      // The push script's listener sends the form again when its own work is done: this one's work is
      // under way then, and not started twice (signing out waits for the longer of the two, not both).
      if (signOut.dataset.cleared === "pending") { return; }
      signOut.dataset.cleared = "pending";
      var forgotten = window.WalkAndTalkOutbox ? window.WalkAndTalkOutbox.forgetSent() : Promise.resolve();
      var cleared = window.caches ? caches.keys().then(function (names) {
        return Promise.all(names.map(function (name) { return caches.delete(name); }));
      }) : Promise.resolve();
      var worker = navigator.serviceWorker.controller;
      var told = worker ? tell(worker, { type: "signed-out" }) : Promise.resolve();
      Promise.all([forgotten, cleared, told]).catch(function () {}).then(function () {
        signOut.dataset.cleared = "true";
        if (signOut.requestSubmit) { signOut.requestSubmit(); } else { signOut.submit(); }  // the push script's listener runs too
      });
    });
  }
})();
