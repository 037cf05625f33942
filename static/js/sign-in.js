/* Walk and Talk: on the sign-in page. The officer's app keeps some of her pages for no signal
   (frontend/service-worker.js, cache "walkandtalk-officer-pages"). Meeting the sign-in page means her
   session is over (it ran out, or she signed out on another device) or someone else is signing in on
   this phone: what the app kept goes now. The app's worker cannot see this page (its scope is /app/),
   so the page does it itself. */
(function () {
  "use strict";
  if (window.caches) { caches.delete("walkandtalk-officer-pages").catch(function () {}); }
})();
