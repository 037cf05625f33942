"""The officer's phone app (issue 17): its web app manifest, its service worker and its offline page.

All three are public: they hold no one's data (the manifest and the worker are code and metadata a
browser fetches before and without a session; the offline page only says there is no signal). What
the worker keeps is decided per page by the server (patrols/offline.py), for officers only.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

THEME = "#3a2a6b"  # --brand in static/css/site.css
# Built by `make install` (scripts/build-sw.mjs, Workbox's injectManifest) from frontend/service-worker.js.
BUILT_WORKER = Path(settings.BASE_DIR) / "build" / "service-worker.js"


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    today = reverse("patrols:today")
    data = {
        "id": today,
        "name": f"{settings.SCHEME_NAME} — officer",
        "short_name": settings.SCHEME_NAME,
        "description": "Your walks today and tomorrow, concerns and schedule, also with no signal.",
        "start_url": today,
        # The officer's pages, all under /app/ (patrols/urls.py): a resident's or the sergeant's page is
        # never in the app, and the worker (served here too) controls nothing else.
        "scope": reverse("patrols:app_scope"),
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME,
        "background_color": "#ffffff",
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The built worker, with where Django serves each file it keeps (hashed names in production)."""
    source = _built_worker()
    offline_page = reverse("patrols:app_offline")
    config = {
        "staticUrl": settings.STATIC_URL,
        "offlinePage": offline_page,
        "offlineRevision": _offline_revision(),
        "signInPage": reverse("account_login"),
        "accountsPrefix": reverse("account_login").rsplit("/", 2)[0] + "/",  # /accounts/
        "static": {name: static(name) for name in _shell_names(source)},
    }
    body = f"self.WALKANDTALK = {json.dumps(config)};\n{source}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # Checked on every visit, so a new version reaches phones at once. Served under /app/, so its scope
    # is the officer's app and nothing wider (no Service-Worker-Allowed).
    response["Cache-Control"] = "no-cache"
    return response


# What phones that installed the app before it moved to /app/ registered at /service-worker.js, scope
# "/". The browser checks that URL for a new version on every visit to the site, so this one reaches
# them: it removes what the old worker kept (its precache, and kept pages with the old URLs), then
# unregisters itself. (static/js/app.js also unregisters any other scope than /app/ it finds.)
RETIRED_WORKER = """/* Walk and Talk: the officer's app moved to /app/ (/app/service-worker.js). */
"use strict";
var APP = new URL("/app/", self.location).href;
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.map(function (name) {
      // Workbox names its precache after the worker's scope: the old one is "...-" + the site's root.
      if (name.indexOf("workbox-precache") === 0 && name.slice(-self.registration.scope.length) ===
          self.registration.scope) { return caches.delete(name); }
      if (name !== "walkandtalk-officer-pages") { return null; }
      return caches.open(name).then(function (cache) {
        return cache.keys().then(function (requests) {
          return Promise.all(requests.filter(function (request) { return request.url.indexOf(APP) !== 0; })
            .map(function (request) { return cache.delete(request); }));
        });
      });
    }));
  }).then(function () { return self.registration.unregister(); }));
});
// No fetch listener: the pages it still controls until they close go to the network as usual.
"""


@require_GET
def retired_service_worker(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(RETIRED_WORKER, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


# The officer's URLs before they moved under /app/ (issue 17): each is its new one less the "app/".
# (/walks/<pk>/ stays, for the resident and the sergeant: walk_detail sends an officer on.)
MOVED_TO_APP = (
    r"^(?P<old>(?:today/|schedule/|offline/|app\.webmanifest|my-residents/"
    r"|availability/(?:(?:windows|changes)/\d+/delete/)?"
    r"|concerns/(?:area/|\d+/(?:pin/|refer/)?)?"
    r"|notifications/(?:subscribe/|unsubscribe/|devices/\d+/remove/)?"
    r"|walks/\d+/(?:start|finish|no-show|nothing-to-log|concerns/new|disclosures/new)/))$"
)


def moved_to_app(request: HttpRequest, old: str) -> HttpResponse:
    """Anyone (the new URL's own view says who may see it): a permanent redirect to the same path under
    /app/, with the query. A GET is a 301; any other method a 308, which the browser repeats with the
    same method and body: an action queued on a phone with its old URL (static/js/outbox.js keeps the
    URL it posts to) is still done, once (its action key)."""
    query = request.META.get("QUERY_STRING", "")
    target = reverse("patrols:app_scope") + old + (f"?{query}" if query else "")
    return redirect(target, permanent=True, preserve_request=request.method not in ("GET", "HEAD"))


@require_GET
def offline_page(request: HttpRequest) -> HttpResponse:
    """What the phone shows for a page it never kept, when there is no signal. Kept at install (it is
    the same for everyone, so it names no one and has no session in it)."""
    return render(request, "patrols/app_offline.html", {"today_url": reverse("patrols:today")})


@require_GET
def app_scope(request: HttpRequest) -> HttpResponse:
    """/app/ itself: the app's start, Today (whose view says who may see it)."""
    return redirect("patrols:today")


@lru_cache(maxsize=1)
def _built_worker() -> str:
    try:
        return BUILT_WORKER.read_text()
    except FileNotFoundError:
        raise RuntimeError(
            f"{BUILT_WORKER} is missing: run `make install` (it builds the service worker)."
        ) from None


def _shell_names(source: str) -> list[str]:
    """The static files the build listed (Workbox's precache manifest, injected as JSON)."""
    start = source.index("/*shell*/") + len("/*shell*/")
    end = source.index("/*end shell*/")
    return [entry["url"] for entry in json.loads(source[start:end])]


@lru_cache(maxsize=1)
def _offline_revision() -> str:
    template = Path(settings.BASE_DIR) / "templates" / "patrols" / "app_offline.html"
    return hashlib.sha256(template.read_bytes()).hexdigest()[:16]
