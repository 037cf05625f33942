/* Walk and Talk: Web Push in the officer's service worker (issue 17, point 4). Placeholder on the pwa
   branch: the push branch fills this file with the worker's "push" and "notificationclick" listeners
   only. frontend/service-worker.js imports it with importScripts. */
