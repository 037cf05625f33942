"""Who may open what. Every view states its rule with one of these."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from .backends import NOT_READ, officer_read_with
from .models import Officer, Resident
from .roles import role_of


def role_required(*roles: str) -> Callable:
    """Signed in (else to the sign-in page) and in one of these roles (else 403)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args, **kwargs):
            if role_of(request.user) not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def resident_of(request: HttpRequest) -> Resident:
    """The signed-in resident's own profile, or 404 (she has not completed one yet)."""
    try:
        return Resident.objects.select_related("ward__borough", "user").get(user=request.user)
    except Resident.DoesNotExist:
        raise Http404("No profile yet") from None


def officer_of(request: HttpRequest) -> Officer:
    """The signed-in officer's own profile (read with her user row: no query), or 404."""
    officer = officer_read_with(request.user)
    if officer is NOT_READ:
        officer = Officer.objects.filter(user=request.user).first()
    if officer is None:
        raise Http404("No officer profile")
    return officer
