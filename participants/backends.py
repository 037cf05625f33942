"""Authentication backends that load the signed-in user with her role and second factor in one query.

Every signed-in request used to pay three or four queries before the page did anything: the session,
the user, her groups (the navigation, the access rules) and, for staff, her authenticators (the
second-factor rule in walkandtalk.middleware). Here the groups and the authenticator are subqueries of
the SELECT that loads the user (`participants.roles.with_access`), so a request costs the session and
that one row: 2 queries.

Why this, and not the role kept in the session at sign-in or a cached session backend: both of those
keep a copy that must be invalidated whenever a sergeant takes someone out of a group in the admin,
an officer adds or removes her authenticator, an account is deactivated or a resident erased, from
every place that can do it (the admin, allauth's views, the retention job, the shell). Read with the
row, it is as fresh as the row itself on every request, with nothing to forget to invalidate, and no
cache to hold security decisions.

Sessions signed in before these backends name Django's and allauth's own classes (so do the bench's):
`AuthenticationMiddleware` below moves them on to these, so nobody is signed out by the change.
"""

from __future__ import annotations

from functools import cache

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth import backends as django_backends
from django.contrib.auth import middleware as django_middleware
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from .roles import LANGUAGE, OFFICER_COLUMNS, ROLE_GROUP, ROLE_OF_GROUP, SECOND_FACTOR, with_access


@cache
def _user_with_access_sql() -> str:
    """`with_access` for one user, as SQL written once. Every signed-in request runs it: building the same
    query through the ORM each time (a CASE, a subquery, an EXISTS) cost about 2 ms of Python per request
    at London scale (bench, issue 16), more than PostgreSQL takes to answer it (0.3 ms)."""
    from allauth.mfa.models import Authenticator

    from .models import Officer, Resident

    model = get_user_model()
    user_groups = model.groups.through._meta.db_table
    group_table = model.groups.field.related_model._meta.db_table
    names = ", ".join(["%s"] * len(ROLE_OF_GROUP))
    rank = " ".join(f"WHEN %s THEN {i}" for i in range(len(ROLE_OF_GROUP)))
    authenticators = Authenticator._meta.db_table
    residents = Resident._meta.db_table
    officer_columns = "".join(
        f', o."{field.column}" AS "{OFFICER_COLUMNS}{field.column}"'
        for field in Officer._meta.concrete_fields
    )
    # Only table and column names from the models' own metadata go into the text; every value is a
    # parameter.
    return (
        f'SELECT u.*, (SELECT g.name FROM "{group_table}" g JOIN "{user_groups}" ug ON ug.group_id = g.id '  # noqa: S608
        f"WHERE ug.user_id = u.id AND g.name IN ({names}) ORDER BY CASE g.name {rank} END LIMIT 1) "
        f'AS "{ROLE_GROUP}", EXISTS (SELECT 1 FROM "{authenticators}" a WHERE a.user_id = u.id) '
        f'AS "{SECOND_FACTOR}", (SELECT r.language FROM "{residents}" r WHERE r.user_id = u.id) '
        f'AS "{LANGUAGE}"{officer_columns} FROM "{model._meta.db_table}" u '
        f'LEFT JOIN "{Officer._meta.db_table}" o ON o.user_id = u.id WHERE u.id = %s'
    )


NOT_READ = object()


def officer_read_with(user):
    """Her officer profile from the columns read with her user row (`_user_with_access_sql`): every
    officer page needs it, and a query of its own, through the ORM, was a sixth of Today's time (issue
    16). None if she has none; NOT_READ if the row was loaded some other way."""
    from .models import Officer

    if not hasattr(user, f"{OFFICER_COLUMNS}id"):
        return NOT_READ
    if getattr(user, f"{OFFICER_COLUMNS}id") is None:
        return None
    fields = Officer._meta.concrete_fields
    officer = Officer.from_db(
        user._state.db,
        [field.attname for field in fields],
        [getattr(user, f"{OFFICER_COLUMNS}{field.column}") for field in fields],
    )
    Officer.user.field.set_cached_value(officer, user)
    return officer


def _user_with_access(user_id):
    model = get_user_model()
    groups = list(ROLE_OF_GROUP)
    try:
        pk = model._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    rows = list(model._default_manager.raw(_user_with_access_sql(), [*groups, *groups, pk]))
    return rows[0] if rows else None


class WithAccessMixin:
    """`get_user` as Django's ModelBackend's, the row read with its role and second factor
    (`participants.roles.with_access`, as SQL written once)."""

    def get_user(self, user_id):
        user = _user_with_access(user_id)
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        model = get_user_model()
        try:
            user = await with_access(model._default_manager.all()).aget(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class ModelBackend(WithAccessMixin, django_backends.ModelBackend):
    pass


class AuthenticationBackend(WithAccessMixin, allauth_backends.AuthenticationBackend):
    pass


# Sessions made before these backends: the class they name → the one that replaces it.
RENAMED = {
    "django.contrib.auth.backends.ModelBackend": "participants.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": "participants.backends.AuthenticationBackend",
}


class AuthenticationMiddleware(django_middleware.AuthenticationMiddleware):
    """Django's, which first moves a session that names a replaced backend on to its replacement (one
    session write, once), and lists it in her sessions (allauth's usersessions) in case allauth
    dropped it there while it named a backend no longer configured."""

    def process_request(self, request: HttpRequest) -> None:
        renamed = RENAMED.get(request.session.get(BACKEND_SESSION_KEY))
        if renamed:
            request.session[BACKEND_SESSION_KEY] = renamed
        super().process_request(request)
        if renamed and request.user.is_authenticated:
            from allauth.usersessions.models import UserSession

            UserSession.objects.create_from_request(request)
