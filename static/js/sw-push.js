/* Walk and Talk: the push side of the app's service worker (imported by it with importScripts).

   A push carries JSON {title, body, url, tag} (walkandtalk/outbox/push.py: PushContent), written to
   be discreet on a lock screen: never a resident's name. Tapping the notification focuses a window of
   the app already on that page, or opens it. */
self.addEventListener("push", function (event) {
  var message = {};
  try { message = event.data ? event.data.json() : {}; } catch (e) { message = {}; }
  var title = message.title || "Walk and Talk";
  var options = {
    body: message.body || "Open the app to see what changed.",
    tag: message.tag || undefined,
    renotify: Boolean(message.tag),
    data: { url: message.url || self.registration.scope }
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL((event.notification.data && event.notification.data.url) || self.registration.scope, self.location.origin);
  // Only ever our own pages: a payload cannot send her elsewhere (the app's start, /app/, otherwise).
  if (target.origin !== self.location.origin) { target = new URL(self.registration.scope); }
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === target.href && "focus" in windows[i]) { return windows[i].focus(); }
      }
      return self.clients.openWindow(target.href);
    })
  );
});
