"""Project-wide middleware: staff must have a second factor; staff sessions are short; headers that
keep pages out of caches and the browser's powerful features to ourselves."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from participants.roles import LOGIN_AT, is_staff_member

log = logging.getLogger("walkandtalk.security")


class StaffSecondFactorMiddleware:
    """Officers and sergeants see no resident data until they have set up a second factor (allauth has no
    setting that forces it). Until then every page sends them to set it up; the account pages (to set it
    up, or sign out) and public pages stay open. Staff sessions also end after STAFF_SESSION_HOURS."""

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
            if not request.path.startswith(self.OPEN_PREFIXES) and not is_mfa_enabled(user):
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
        return response
