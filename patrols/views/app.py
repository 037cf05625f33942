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
from django.shortcuts import render
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
        # The officer's pages share no prefix narrower than the site (/today/, /walks/, /concerns/,
        # /schedule/): the worker keeps only the pages the server marks as hers (patrols/offline.py).
        "scope": "/",
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
    # Checked on every visit, so a new version reaches phones at once; its scope is the whole site.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def offline_page(request: HttpRequest) -> HttpResponse:
    """What the phone shows for a page it never kept, when there is no signal. Kept at install (it is
    the same for everyone, so it names no one and has no session in it)."""
    return render(request, "patrols/app_offline.html", {"today_url": reverse("patrols:today")})


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
