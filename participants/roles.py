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
