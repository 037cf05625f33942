"""Which language each page is in (issue 18).

- A signed-in resident: the language on her profile (`Resident.language`), read with her user row
  (participants/backends.py), so it costs no query. Messages to her use the same field, at send time
  (participants/messages.py `ToPerson.language`).
- Officers, the sergeant and Django staff: English, always (their screens are not translated).
- Anyone else (the public, a partner following a link): the language picked in the switcher, kept in
  Django's language cookie; English until she picks one. The browser's Accept-Language is not used:
  partners are organisations and read English by default, and a phone set to a language we do not
  ship would give English anyway.

An unknown or unsupported code, from the cookie or the profile (Bengali, Turkish... are on the
profile for pairing with an officer who speaks it, but not translated yet), gives English, never an
error. URLs carry no language prefix: a link in a message, a bookmark or a calendar invite stays the
same whatever the language.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from participants.languages import ENGLISH, profile_code, supported
from participants.models import Resident
from participants.roles import STAFF_ROLES, preferred_language, role_of


def for_request(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if user.is_staff or role_of(user) in STAFF_ROLES:
            return ENGLISH
        code = preferred_language(user)
        if code:
            return supported(code)
    return supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))


class LanguageMiddleware:
    """Instead of Django's LocaleMiddleware (placed after AuthenticationMiddleware: it reads the user).
    Activates the page's language for the view and the templates, and sets `request.LANGUAGE_CODE`,
    which cache_page keys its copies on (the "You said, we did" pages are cached per language)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = for_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


@csrf_exempt
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The switcher on every public page: remembers the choice in Django's language cookie and, for a
    signed-in resident, on her profile (so her messages follow too). As django.conf.urls.i18n's
    `set_language`, but an unknown code is English rather than ignored, and `next` must be our own.

    Exempt from CSRF: the "You said, we did" pages are cached whole, so an anonymous visitor's form
    cannot carry a token of her own, and choosing a language for the next page harms nobody. Her
    profile, though, changes only with a valid token (the form has one when she is signed in)."""
    language = supported(request.POST.get("language"))
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = "/"
    response = HttpResponseRedirect(target)
    user = request.user
    if (
        user.is_authenticated
        and role_of(user) not in STAFF_ROLES
        and not user.is_staff
        and _has_valid_csrf_token(request)
    ):
        Resident.objects.filter(user=user, erased_at__isnull=True).update(language=profile_code(language))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _protected(request: HttpRequest) -> None:
    """Not a view: what the CSRF check of her profile change is run against (not exempt)."""


def _has_valid_csrf_token(request: HttpRequest) -> bool:
    check = CsrfViewMiddleware(lambda request: HttpResponse())
    return check.process_view(request, _protected, (), {}) is None
