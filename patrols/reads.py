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

from .models import SafetyRating, Walk

MY_WALKS_PAST = 50  # the newest past walks My walks lists

_WALK, _RATING = Walk._meta.db_table, SafetyRating._meta.db_table
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

HER_WALK = ("pk", "starts_at", "status", "meeting_point", "walk_code", "officer", "rating")


def her_walks(resident_id: int, now: datetime) -> tuple[list[dict], list[dict]]:
    """Her upcoming walks (soonest first) and her latest past ones (newest first), as dicts of
    `HER_WALK` (`rating`: her safety rating after it, or None; `officer`'s name on upcoming ones)."""
    params = {"resident": resident_id, "booked": Walk.Status.BOOKED.value, "now": now, "limit": MY_WALKS_PAST}
    with connection.cursor() as cursor:
        cursor.execute(_HER_WALKS_SQL, params)
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
