"""Roles: membership of the Residents, Officers and Sergeants groups decides what a user may do.

The signed-in user's role and whether she has a second factor are read with her row, in the one query
that loads `request.user` (participants/backends.py, `with_access`): no page pays for them again.
"""

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


# The most senior first: a user in several groups has the first one's role.
ROLE_OF_GROUP = {SERGEANTS: SERGEANT, OFFICERS: OFFICER, RESIDENTS: RESIDENT}

# The annotations `with_access` adds to a user row.
ROLE_GROUP = "access_role_group"
SECOND_FACTOR = "access_second_factor"
# A resident's preferred language (issue 18), read with the same row: her pages are in it at no cost.
LANGUAGE = "access_language"
# An officer's own profile row, read with the same row (participants.backends): each of its columns
# under this prefix, all NULL for anyone who is not an officer. `officer_of` builds it from them.
OFFICER_COLUMNS = "access_officer__"


def role_of(user: Any) -> str | None:
    """The user's role, the most senior when she has several; None when signed out or none.

    Read with the row when it was loaded by `with_access` (every `request.user`), else from her groups
    once per user object; either way cached on it, so a request never asks twice.
    """
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_role_cache", False)
    if cached is not False:
        return cached
    if hasattr(user, ROLE_GROUP):
        role = ROLE_OF_GROUP.get(getattr(user, ROLE_GROUP))
    else:
        names = set(user.groups.values_list("name", flat=True))
        role = next((role for group, role in ROLE_OF_GROUP.items() if group in names), None)
    user._role_cache = role
    return role


def preferred_language(user: Any) -> str | None:
    """A signed-in resident's chosen language code (participants.models.Language), None for anyone else;
    read with the row when it was loaded by `with_access`, else one query."""
    if user is None or not user.is_authenticated:
        return None
    if hasattr(user, LANGUAGE):
        return getattr(user, LANGUAGE)
    resident = getattr(user, "resident", None) if hasattr(user, "resident") else None
    return resident.language if resident is not None else None


def has_second_factor(user: Any) -> bool:
    """Whether she has an authenticator (TOTP or recovery codes), as allauth's `is_mfa_enabled` says;
    read with the row when it was loaded by `with_access`."""
    if user is None or not user.is_authenticated:
        return False
    if hasattr(user, SECOND_FACTOR):
        return bool(getattr(user, SECOND_FACTOR))
    from allauth.mfa.utils import is_mfa_enabled

    return is_mfa_enabled(user)


def with_access(queryset):
    """Users with their most senior role's group name and whether they have a second factor, as
    subqueries of the same SELECT (both read indexes by user id: user_groups, mfa_authenticator)."""
    from allauth.mfa.models import Authenticator
    from django.contrib.auth.models import Group
    from django.db.models import Case, Exists, IntegerField, OuterRef, Subquery, Value, When

    from .models import Resident

    seniority = Case(
        *(When(name=group, then=Value(rank)) for rank, group in enumerate(ROLE_OF_GROUP)),
        output_field=IntegerField(),
    )
    senior_group = (
        Group.objects.filter(user=OuterRef("pk"), name__in=list(ROLE_OF_GROUP))
        .order_by(seniority)
        .values("name")[:1]
    )
    return queryset.annotate(
        **{
            ROLE_GROUP: Subquery(senior_group),
            SECOND_FACTOR: Exists(Authenticator.objects.filter(user=OuterRef("pk"))),
            LANGUAGE: Subquery(Resident.objects.filter(user=OuterRef("pk")).values("language")[:1]),
        }
    )


def is_staff_member(user: Any) -> bool:
    """Officers, sergeants and Django staff: they need a second factor and get short sessions."""
    return bool(user.is_authenticated and (user.is_staff or role_of(user) in STAFF_ROLES))
