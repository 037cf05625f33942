"""Roles: membership of the Residents, Officers and Sergeants groups decides what a user may do."""

from __future__ import annotations

from typing import Any

RESIDENTS = "Residents"
OFFICERS = "Officers"
SERGEANTS = "Sergeants"
GROUPS = (RESIDENTS, OFFICERS, SERGEANTS)

RESIDENT = "resident"
OFFICER = "officer"
SERGEANT = "sergeant"
STAFF_ROLES = (OFFICER, SERGEANT)

# When a staff member signed in (a session key): set at sign-in (participants/receivers.py), read by
# walkandtalk.middleware, which signs staff out after STAFF_SESSION_HOURS.
LOGIN_AT = "staff_login_at"


def role_of(user: Any) -> str | None:
    """The user's role, the most senior when she has several; None when signed out or none.

    The group names are read once per request object and cached on the user.
    """
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_role_cache", False)
    if cached is not False:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = None
    if SERGEANTS in names:
        role = SERGEANT
    elif OFFICERS in names:
        role = OFFICER
    elif RESIDENTS in names:
        role = RESIDENT
    user._role_cache = role
    return role


def is_staff_member(user: Any) -> bool:
    """Officers, sergeants and Django staff: they need a second factor and get short sessions."""
    return bool(user.is_authenticated and (user.is_staff or role_of(user) in STAFF_ROLES))
