/* Walk and Talk: the officer's phone app's service worker (issue 17). Built by `make install`
   (scripts/build-sw.mjs: Workbox's injectManifest writes the list of app files below) into
   build/service-worker.js, and served at /app/service-worker.js by patrols/views/app.py, which puts
   self.WALKANDTALK (where Django serves each file) in front of it. Its scope is /app/, where all the
   officer's pages are: a resident's or the sergeant's page is never in it.

   What it keeps, and why:
   - the app's own files (CSS, scripts, icons) and its offline page, at install (Workbox precaching);
   - an officer's page only when the server marked the response as one to keep (X-Offline-Cache,
     patrols/offline.py), fetched on purpose when she opens Today with signal ("warm" message), and
     never for longer than 24 hours;
   - nothing else: a page she browses is fetched from the network every time (no page of a resident or
     the sergeant, nothing the server did not mark, is ever written to a cache).
   With no signal a kept page is shown marked "No signal — as of HH:MM"; any other page gets the app's
   own offline page. Signing out empties every cache ("signed-out" message, and the sign-out
   response's Clear-Site-Data header). */
/* global workbox */
"use strict";

var CONFIG = self.WALKANDTALK;
importScripts(CONFIG.staticUrl + "vendor/workbox/workbox-sw.js");
workbox.setConfig({ modulePathPrefix: CONFIG.staticUrl + "vendor/workbox/", debug: false });
workbox.loadModule("workbox-core");
workbox.loadModule("workbox-routing");
workbox.loadModule("workbox-strategies");
workbox.loadModule("workbox-precaching");
workbox.loadModule("workbox-expiration");
workbox.loadModule("workbox-cacheable-response");
// Web Push (issue 17, point 4): its "push" and "notificationclick" listeners, from the push work.
importScripts(CONFIG.static["js/sw-push.js"] || CONFIG.staticUrl + "js/sw-push.js");
// The offline queue (issue 17, point 3): in IndexedDB, with the one sender pages use too.
importScripts(CONFIG.static["js/outbox-queue.js"] || CONFIG.staticUrl + "js/outbox-queue.js");

var PAGES = "walkandtalk-officer-pages";
var STATIC = "walkandtalk-static";
var DAY_MS = 24 * 60 * 60 * 1000;
var MARK = "X-Offline-Cache";
// Its scope (/app/): no page outside it is ever served or kept by this worker.
var SCOPE = new URL(self.registration.scope).pathname;
function inScope(url) { return url.origin === self.location.origin && url.pathname.indexOf(SCOPE) === 0; }

self.skipWaiting();
workbox.core.clientsClaim();

// The app's own files, listed at build time with their revisions; Django says where each is served.
var SHELL = /*shell*/self.__WB_MANIFEST/*end shell*/;
workbox.precaching.precacheAndRoute(
  SHELL.map(function (entry) {
    return { url: CONFIG.static[entry.url] || CONFIG.staticUrl + entry.url, revision: entry.revision };
  }).concat([{ url: CONFIG.offlinePage, revision: CONFIG.offlineRevision }])
);

// Other static files (the map's, Bootstrap's): no one's data, so kept and refreshed in the background.
workbox.routing.registerRoute(
  function (options) {
    return options.url.origin === self.location.origin && options.url.pathname.indexOf(CONFIG.staticUrl) === 0;
  },
  new workbox.strategies.StaleWhileRevalidate({
    cacheName: STATIC,
    plugins: [new workbox.expiration.ExpirationPlugin({ maxEntries: 80, maxAgeSeconds: 7 * 24 * 60 * 60 })]
  })
);

function fresh(response) {
  var date = Date.parse(response.headers.get("Date") || "");
  return !isNaN(date) && Date.now() - date < DAY_MS;
}

// A kept page, shown with no signal: marked so (the banner the server put in it, hidden until now).
function asOffline(response) {
  return response.text().then(function (html) {
    var headers = new Headers(response.headers);
    return new Response(html.replace(/(<p[^>]*\sid="offline-banner"[^>]*?)\shidden(?=[\s>])/, "$1"), {
      status: 200, headers: headers
    });
  });
}

function keptPage(url) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match(url).then(function (response) {
      if (!response) { return null; }
      if (!fresh(response)) { return cache.delete(url).then(function () { return null; }); }
      return asOffline(response);
    });
  });
}

var pages = new workbox.strategies.NetworkOnly({
  networkTimeoutSeconds: 8,
  plugins: [{
    // Signed out (here or elsewhere: the server sends her to sign in), or someone is signing in on
    // this phone: nothing of hers stays. (Chromium's Clear-Site-Data "cache" leaves Cache Storage.)
    fetchDidSucceed: function (options) {
      var response = options.response;
      var path = new URL(response.url).pathname;
      if (path === CONFIG.signInPage || (response.redirected && path.indexOf(CONFIG.accountsPrefix) === 0)) {
        return caches.delete(PAGES).then(function () { return response; });
      }
      return response;
    }
  }]
});

workbox.routing.registerRoute(
  function (options) { return options.request.mode === "navigate" && inScope(options.url); },
  function (options) {
    return pages.handle(options).catch(function () {
      var url = options.url;
      return keptPage(url.pathname + url.search).then(function (kept) {
        return kept || workbox.precaching.matchPrecache(CONFIG.offlinePage);
      });
    });
  }
);

// Today, opened with signal, lists the pages to keep ({url: fetched, key: kept as}).
function warm(entries) {
  return caches.open(PAGES).then(function (cache) {
    return Promise.all(entries.map(function (entry) {
      if (!inScope(new URL(entry.key, self.location.href))) { return null; }
      return fetch(entry.url, { credentials: "same-origin", headers: { "X-Offline-Warm": "1" } })
        .then(function (response) {
          if (response.ok && !response.redirected && response.headers.get(MARK) === "officer") {
            return cache.put(entry.key, response);
          }
          return cache.delete(entry.key); // no longer hers to keep (moved, cancelled, signed out)
        })
        .catch(function () { /* the signal went meanwhile: keep what there was */ });
    })).then(sweep);
  });
}

// Nothing older than 24 hours stays, whether or not she opens it again.
function sweep() {
  return caches.open(PAGES).then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.map(function (request) {
        return cache.match(request).then(function (response) {
          if (!response || !fresh(response)) { return cache.delete(request); }
        });
      }));
    });
  });
}

function clearAll() {
  return caches.keys().then(function (names) {
    return Promise.all(names.map(function (name) { return caches.delete(name); }));
  });
}

self.addEventListener("activate", function (event) { event.waitUntil(sweep()); });

self.addEventListener("message", function (event) {
  var data = event.data || {};
  var reply = function () { if (event.ports && event.ports[0]) { event.ports[0].postMessage({ done: true }); } };
  if (data.type === "warm" && Array.isArray(data.urls)) { event.waitUntil(warm(data.urls).then(reply)); }
  if (data.type === "signed-out") { event.waitUntil(clearAll().then(reply)); }
});

// Background Sync: the browser wakes the worker when the signal is back, and the worker sends the
// queue itself (static/js/outbox-queue.js), with the session the pages last saw, whether or not a page
// of the app is open; open pages hear of it (BroadcastChannel) and update their banner. Stopped by no
// signal, the promise fails, so the browser tries again later.
self.addEventListener("sync", function (event) {
  if (event.tag !== "walkandtalk-outbox") { return; }
  event.waitUntil(self.WalkAndTalkQueue.flush({ fromSession: true }).then(function (report) {
    if (report.failed !== null && report.failed !== "signed out") { throw new Error("outbox: not all sent"); }
  }));
});
