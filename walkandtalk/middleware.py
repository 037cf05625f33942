"""Project-wide middleware: staff must have a second factor; staff sessions are short; headers that
keep pages out of caches and the browser's powerful features to ourselves; a page that needs the cache
while Redis is down answers 503, not 500."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis.exceptions
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import loader
from django.urls import reverse

from participants.roles import LOGIN_AT, has_second_factor, is_staff_member

from .context_processors import scheme

log = logging.getLogger("walkandtalk.security")
availability_log = logging.getLogger("walkandtalk.availability")


class StaffSecondFactorMiddleware:
    """Officers and sergeants see no resident data until they have set up a second factor (allauth has no
    setting that forces it). Until then every page sends them to set it up; the account pages (to set it
    up, or sign out) and public pages stay open. Staff sessions also end after STAFF_SESSION_HOURS.

    Whether she has a second factor was read with her row (participants/backends.py), fresh on every
    request: removing her last authenticator sends her back here on the next one."""

    OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz", "/privacy/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and is_staff_member(user):
            if self._session_too_old(request):
                log.info("staff session expired user=%s", user.pk)
                logout(request)
                messages.info(
                    request, "For safety, staff are signed out after 12 hours. Please sign in again."
                )
                return redirect(settings.LOGIN_URL)
            if not request.path.startswith(self.OPEN_PREFIXES) and not has_second_factor(user):
                log.info(
                    "staff without a second factor sent to set one up user=%s path=%s", user.pk, request.path
                )
                messages.info(
                    request,
                    "Before you can see residents’ details, "
                    "set up two-step sign-in with an authenticator app.",
                )
                return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    @staticmethod
    def _session_too_old(request: HttpRequest) -> bool:
        started = request.session.get(LOGIN_AT)
        if started is None:
            request.session[LOGIN_AT] = time.time()  # sessions from before this rule: count from now
            return False
        return time.time() - started > settings.STAFF_SESSION_HOURS * 3600


class PrivateResponseMiddleware:
    """Signed-in pages are never stored by browsers or proxies (a shared phone, a back button); the
    browser's powerful features are for this site only, geolocation alone allowed."""

    PERMISSIONS_POLICY = (
        "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), magnetometer=(), "
        "gyroscope=(), accelerometer=(), interest-cohort=()"
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.headers["Cache-Control"] = "no-store, private"
        if request.method == "POST" and request.path == reverse("account_logout"):
            # Signing out on a shared or lost phone (issue 17): the browser drops its HTTP cache. The
            # officer app's own caches (Cache Storage) are emptied by the page first (static/js/app.js):
            # "storage" would also clear them, but with the outbox's unsent items, which are hers.
            response.headers["Clear-Site-Data"] = '"cache"'
        return response


class CacheUnavailableMiddleware:
    """Redis is the cache, and allauth keeps its rate limits there (sign-in, sign-up, password reset,
    used TOTP codes). When Redis cannot be reached the view raises, so nothing was done and no limit
    was skipped (failing closed); the visitor gets a plain 503 "try again in a minute" instead of a 500.

    The page is rendered without the request: no session, no messages, no cache (any of which may be
    what is down). It is logged as a warning, not as a server error: the outage is not a bug, and the
    broker's own logs say when Redis went away and came back."""

    RETRY_AFTER_SECONDS = 60
    UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, self.UNAVAILABLE):
            return None
        availability_log.warning(
            "cache unavailable (%s): %s %s answered 503",
            type(exception).__name__,
            request.method,
            request.path,
        )
        context = {
            "request": request,  # the footer's language switcher returns her to this page
            "user": AnonymousUser(),
            "role": None,
            "messages": [],
            **scheme(),
        }
        response = HttpResponse(loader.render_to_string("503.html", context), status=503)
        response.headers["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        response.headers["Cache-Control"] = "no-store"
        # Already logged above, as a warning: django.request would log every 5xx again as an error.
        response._has_been_logged = True
        return response
