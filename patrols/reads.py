"""Hand-written reads for the pages every resident and officer opens most (issue 16).

The ORM compiles a queryset afresh on every request and builds a model for every row; for the pages
opened most that was more of their time than the database's. These read only the columns the page
shows, in one statement where the ORM needed two, as plain rows. Every value is a parameter; table and
column names come from the models.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.urls import reverse

from participants.models import Pairing, User
from participants.roles import OFFICER, RESIDENT, SERGEANT, role_of

from .models import Concern, ConcernUpdate, SafetyRating, Walk
from .prepared import Prepared

MY_WALKS_PAST = 50  # the newest past walks My walks lists
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1  # every id's column (BigAutoField and its foreign keys)

_WALK, _RATING, _CONCERN = Walk._meta.db_table, SafetyRating._meta.db_table, Concern._meta.db_table
_OFFICER = Walk._meta.get_field("officer").related_model._meta.db_table

# Hers, booked and not yet over (soonest first), then the rest (newest first, at most %(limit)s):
# `WalkQuerySet.upcoming()` and `.past()` in one round trip.
_HER_WALKS_SQL = f"""
    (SELECT w.id, w.starts_at, w.status, w.meeting_point, w.walk_code, o.display_name, NULL::smallint, true
     FROM {_WALK} w JOIN {_OFFICER} o ON o.id = w.officer_id
     WHERE w.resident_id = %(resident)s AND w.status = %(booked)s AND w.ends_at > %(now)s)
    UNION ALL
    (SELECT w.id, w.starts_at, w.status, '', '', '', r.rating, false
     FROM {_WALK} w LEFT JOIN {_RATING} r ON r.walk_id = w.id
     WHERE w.resident_id = %(resident)s AND NOT (w.status = %(booked)s AND w.ends_at > %(now)s)
     ORDER BY w.starts_at DESC LIMIT %(limit)s)
"""  # noqa: S608 — table names from the models; every value is a parameter
_HER_WALKS = Prepared(_HER_WALKS_SQL, name="her_walks")  # planned once per connection

HER_WALK = ("pk", "starts_at", "status", "meeting_point", "walk_code", "officer", "rating")


def her_walks(resident_id: int, now: datetime) -> tuple[list[dict], list[dict]]:
    """Her upcoming walks (soonest first) and her latest past ones (newest first), as dicts of
    `HER_WALK` (`rating`: her safety rating after it, or None; `officer`'s name on upcoming ones)."""
    params = {"resident": resident_id, "booked": Walk.Status.BOOKED.value, "now": now, "limit": MY_WALKS_PAST}
    with connection.cursor() as cursor:
        _HER_WALKS.execute(cursor, params)
        found = cursor.fetchall()
    upcoming = [dict(zip(HER_WALK, row[:7], strict=True)) for row in found if row[7]]
    past = [dict(zip(HER_WALK, row[:7], strict=True)) for row in found if not row[7]]
    upcoming.sort(key=lambda walk: (walk["starts_at"], walk["pk"]))
    past.sort(key=lambda walk: (walk["starts_at"], walk["pk"]), reverse=True)
    return upcoming, past


def pk_url(name: str):
    """A URL taking one pk (e.g. a walk's page), reversed once for a page's rows, not once per row."""
    start, end = reverse(name, args=[0]).rsplit("/0/", 1)
    return lambda pk: f"{start}/{pk}/{end}"


class Joined:
    """One model's row with the rows it points to, read as `select_related(*paths)` reads them, but
    with the statement written once per process: compiling it afresh on every request was most of
    the cost of reading it (issue 16). `where` and `order` name the tables by alias: `root` for
    the model's own, each path (e.g. `concern__ward`) for the others; its values are parameters.
    Every path is a foreign key that is never null (an inner join), except those also named in
    `optional`: a left join, and None when there is no row (and none below it). `annotations` are more columns
    (SQL on these aliases, e.g. a count), set on the model by name, as `.annotate()` would. `lock`
    names the aliases whose rows the read locks until the transaction ends (`FOR UPDATE OF`), as
    `select_for_update(of=…)` would."""

    def __init__(
        self, model, *paths: str, where: str, order: str = "root.id", annotations=None, lock=(), optional=()
    ) -> None:
        self.model, self.tree = model, []  # (path, parent's alias, field name, model) in join order
        models, joins, columns = {"root": model}, [], [self._columns(model, "root")]
        for path in paths:
            parent, _, name = path.rpartition("__")
            parent = parent or "root"
            field = models[parent]._meta.get_field(name)
            models[path] = related = field.related_model
            self.tree.append((path, parent, name, related))
            join = "LEFT JOIN" if path in optional else "JOIN"
            joins.append(
                f'{join} {related._meta.db_table} "{path}" ON "{path}".id = "{parent}".{field.column}'
            )
            columns.append(self._columns(related, f'"{path}"'))
        self.annotations = list(annotations or {})
        columns += [f'{sql} AS "{name}"' for name, sql in (annotations or {}).items()]
        # Table and column names from the models, `where` from our code; every value is a parameter.
        self.sql = (
            f"SELECT {', '.join(columns)} FROM {model._meta.db_table} root {' '.join(joins)} "  # noqa: S608
            f"WHERE {where} ORDER BY {order}"
        )
        aliases = ", ".join(alias if alias == "root" else f'"{alias}"' for alias in lock)
        self.lock = f" FOR UPDATE OF {aliases}" if lock else ""
        # Planned once per connection: planning a join of six to nine tables was most of its time.
        name = f"joined_{model._meta.model_name}"
        self._first = Prepared(f"{self.sql} LIMIT 1{self.lock}", name=name)
        self._all = Prepared(f"{self.sql}{self.lock}", name=name)

    @staticmethod
    def _columns(model, alias: str) -> str:
        return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)

    @staticmethod
    def _model(model, row: tuple, start: int):
        fields = model._meta.concrete_fields
        end = start + len(fields)
        return model.from_db(connection.alias, [field.attname for field in fields], row[start:end]), end

    @staticmethod
    def _matches_nothing(params) -> bool:
        """A whole number beyond a bigint (say from /walks/99999999999999999999/) equals no id: no row,
        as the ORM answers an out-of-range exact lookup. (The prepared statement types each value as its
        column, so sending it would be an error, not an empty answer.) Integer values here are ids and
        foreign keys, compared for equality."""
        return any(
            isinstance(value, int) and not BIGINT_MIN <= value <= BIGINT_MAX
            for value in params
            if not isinstance(value, bool)
        )

    def first(self, params):
        """The first row (by `order`) as the model, its paths read; None if there is none."""
        if self._matches_nothing(params):
            return None
        with connection.cursor() as cursor:
            self._first.execute(cursor, params)
            row = cursor.fetchone()
        return None if row is None else self._read(row)

    def all(self, params) -> list:
        """Every row (by `order`) as the model, its paths read."""
        if self._matches_nothing(params):
            return []
        with connection.cursor() as cursor:
            self._all.execute(cursor, params)
            return [self._read(row) for row in cursor.fetchall()]

    def _read(self, row: tuple):
        root, end = self._model(self.model, row, 0)
        read = {"root": root}
        for path, parent, name, related in self.tree:
            read[path], end = self._model(related, row, end)
            if read[path].pk is None:  # an optional path with no row
                read[path] = None
            if read[parent] is not None:
                setattr(read[parent], name, read[path])
        for name, value in zip(self.annotations, row[end:], strict=True):
            setattr(root, name, value)
        return root


# Her active pairing (the oldest, if ever two) with her profile and her officer, and her officer's
# user when the page writes to her: `Pairing.objects.active().filter(resident__user=…).select_related(…)`.
_HER_PAIRING = {
    officer_user: Joined(
        Pairing,
        "resident",
        "officer",
        *(["officer__user"] if officer_user else []),
        where="resident.user_id = %s AND root.ended_at IS NULL",
    )
    for officer_user in (False, True)
}


def her_pairing(user: User, *, officer_user: bool = False) -> Pairing | None:
    """Her active pairing, its `resident` (her, with `user` the one given) and `officer` already
    read, and the officer's `user` too with `officer_user`; None when she has no officer."""
    pairing = _HER_PAIRING[officer_user].first([user.pk])
    if pairing is not None:
        pairing.resident.user = user
    return pairing


# An officer's walks that are not cancelled, starting in [start, end), soonest first, each with its
# resident and her ward: `Walk.objects.filter(officer=…).exclude(status=CANCELLED)
# .select_related("resident__ward")`. Today's also count the concerns logged on each walk
# (`.annotate(concern_count=Count("concerns"))`).
_CONCERNS_ON_IT = f"(SELECT count(*) FROM {_CONCERN} c WHERE c.walk_id = root.id)"  # noqa: S608 — as above
_OFFICER_WALKS = {
    counted: Joined(
        Walk,
        "resident",
        "resident__ward",
        where="root.officer_id = %s AND root.starts_at >= %s AND root.starts_at < %s AND root.status <> %s",
        order="root.starts_at, root.id",
        annotations={"concern_count": _CONCERNS_ON_IT} if counted else None,
    )
    for counted in (False, True)
}


def officer_walks(officer_id: int, start: datetime, end: datetime, *, concern_count=False) -> list[Walk]:
    """Her walks (not cancelled) starting from `start` until `end`, soonest first, `resident` and
    her `ward` read; with `concern_count`, each walk's number of concerns too."""
    cancelled = Walk.Status.CANCELLED.value
    return _OFFICER_WALKS[concern_count].all([officer_id, start, end, cancelled])


_HER_OPEN_CONCERNS_SQL = f"""
    SELECT id FROM {_CONCERN} WHERE officer_id = %s AND status IN (%s, %s) ORDER BY created_at, id LIMIT %s
"""  # noqa: S608 — the table name from the model; every value is a parameter
_HER_OPEN_CONCERNS = Prepared(_HER_OPEN_CONCERNS_SQL, name="her_open_concerns")


def her_open_concerns(officer_id: int, limit: int) -> list[int]:
    """The ids of the concerns she logged that are open or referred, oldest first, at most `limit`:
    `Concern.objects.filter(officer=…).unresolved().order_by("created_at", "pk")`."""
    statuses = [Concern.Status.OPEN.value, Concern.Status.REFERRED.value]
    with connection.cursor() as cursor:
        _HER_OPEN_CONCERNS.execute(cursor, [officer_id, *statuses, limit])
        return [pk for (pk,) in cursor.fetchall()]


# A walk with everyone it concerns, as `access.walk_for` reads it: `Walk.objects.visible_to(user)
# .select_related("resident__user", "resident__ward__borough", "officer__user")`, by who may see it
# (visible_to's rule: her own walks for a resident, an officer's own, every walk for the sergeant).
# Compiling those seven tables' joins afresh was two fifths of the concern POST's time (issue 16).
_WALK_PATHS = (
    "resident",
    "resident__user",
    "resident__ward",
    "resident__ward__borough",
    "officer",
    "officer__user",
)
_WALK_FOR = {
    SERGEANT: Joined(Walk, *_WALK_PATHS, where="root.id = %s"),
    OFFICER: Joined(Walk, *_WALK_PATHS, where='root.id = %s AND "officer".user_id = %s'),
    RESIDENT: Joined(Walk, *_WALK_PATHS, where='root.id = %s AND "resident".user_id = %s'),
}


def walk_for(user: User, pk: int) -> Walk | None:
    """The walk, its resident (her user, ward and borough) and officer (her user) read, if this
    person may see it; None if there is no such walk or she may not."""
    role = role_of(user)
    read = _WALK_FOR.get(role)
    if read is None:
        return None
    return read.first([pk] if role == SERGEANT else [pk, user.pk])


# What a partner's page shows of a concern's history: the updates shared with partners, oldest
# first, each with its referral's partner when a partner wrote it (police updates have none):
# `concern.updates.filter(shared_with_partner=True).select_related("referral__partner")`.
_SHARED_UPDATES = Joined(
    ConcernUpdate,
    "referral",
    "referral__partner",
    where="root.concern_id = %s AND root.shared_with_partner",
    order="root.at, root.id",
    optional=("referral", "referral__partner"),
)


def shared_updates(concern_id: int) -> list[ConcernUpdate]:
    """A concern's updates shared with partners, oldest first, `referral` and its `partner` read."""
    return _SHARED_UPDATES.all([concern_id])
