"""Bookable slots: the officer's weekly windows, plus extra windows, minus time off, minus her active
walks and the buffer around them, from the minimum notice to the booking horizon.

Windows are London wall-clock times ("Tuesdays 18:00–22:00"): each day's window is placed on that
date with zoneinfo, so 19:00 stays 19:00 across the clock changes. Arithmetic after that is on
absolute (UTC) instants, so a walk is always the same real length.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from participants.models import Officer

from .models import LONDON, AvailabilityException, AvailabilityWindow, Walk
from .prepared import Prepared
from .sun import sunset_on

Interval = tuple[datetime, datetime]  # [start, end) in UTC


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # London time
    ends_at: datetime

    @property
    def day(self) -> date:
        return self.starts_at.date()

    @property
    def sunset(self) -> datetime:
        return sunset_on(self.day)

    @property
    def is_after_dark(self) -> bool:
        return self.starts_at >= self.sunset

    @property
    def value(self) -> str:
        """How a slot travels in a form: its start as an ISO instant in UTC."""
        return self.starts_at.astimezone(UTC).isoformat()


def walk_length() -> timedelta:
    return timedelta(minutes=settings.WALK_LENGTH_MINUTES)


def _buffer() -> timedelta:
    return timedelta(minutes=settings.WALK_BUFFER_MINUTES)


def booking_period(now: datetime) -> Interval:
    """The earliest and latest start a resident may book, seen from now."""
    return (
        now + timedelta(hours=settings.BOOKING_MIN_NOTICE_HOURS),
        now + timedelta(days=settings.BOOKING_HORIZON_DAYS),
    )


def _local(day: date, at: time) -> datetime | None:
    """That wall-clock time in London on that day, in UTC; None if the clocks skip it."""
    local = datetime.combine(day, at, tzinfo=LONDON)
    if local.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None  # e.g. 01:30 on the last Sunday of March does not exist
    return local.astimezone(UTC)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(intervals: list[Interval], holes: Iterable[Interval]) -> list[Interval]:
    result = intervals
    for hole_start, hole_end in holes:
        next_result = []
        for start, end in result:
            if hole_end <= start or hole_start >= end:
                next_result.append((start, end))
                continue
            if start < hole_start:
                next_result.append((start, hole_start))
            if hole_end < end:
                next_result.append((hole_end, end))
        result = next_result
    return result


@dataclass(frozen=True)
class _Calendar:
    """One officer's weekly windows, her extra windows and time off, and her active walks' times."""

    windows: list[tuple[int, time, time]]  # (weekday, start, end), London wall-clock
    extra: list[Interval]
    time_off: list[Interval]
    walks: list[Interval]


# Three aggregates, one row each (NULL arrays when empty), joined: one round trip. psycopg2 reads
# `time[]` and `timestamptz[]` into Python values, so nothing is parsed here; hand-written because the
# ORM's subqueries cost more to compile than the three statements they replaced, and prepared once per
# connection (issue 16).
_CALENDAR = Prepared(
    f"""
        SELECT w.weekdays, w.starts, w.ends, e.kinds, e.starts, e.ends, b.starts, b.ends
        FROM (SELECT array_agg(weekday) AS weekdays, array_agg(start_time) AS starts,
                     array_agg(end_time) AS ends
              FROM {AvailabilityWindow._meta.db_table} WHERE officer_id = %(officer)s) w,
             (SELECT array_agg(kind) AS kinds, array_agg(starts_at) AS starts, array_agg(ends_at) AS ends
              FROM {AvailabilityException._meta.db_table}
              WHERE officer_id = %(officer)s AND starts_at < %(end)s AND ends_at > %(start)s) e,
             (SELECT array_agg(starts_at) AS starts, array_agg(ends_at) AS ends
              FROM {Walk._meta.db_table}
              WHERE officer_id = %(officer)s AND status = ANY(%(active)s) AND id <> %(ignore)s
                AND starts_at < %(busy_end)s AND ends_at > %(busy_start)s) b
    """,  # noqa: S608 — table names from the models; every value is a parameter
    name="officer_calendar",
)


def _calendar(
    officer: Officer, first_day: date, last_day: date, ignore_walk: Walk | None = None
) -> _Calendar:
    """What the slots of those London dates (inclusive) are made of, read in one statement (issue 16:
    three round trips were most of the booking POST's database time). Walks a day either side count:
    the buffer around a walk late the evening before reaches into the first day."""
    params = {
        "officer": officer.pk,
        "start": datetime.combine(first_day, time.min, tzinfo=LONDON),
        "end": datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=LONDON),
        "busy_start": datetime.combine(first_day - timedelta(days=1), time.min, tzinfo=LONDON),
        "busy_end": datetime.combine(last_day + timedelta(days=2), time.min, tzinfo=LONDON),
        "active": [status.value for status in Walk.ACTIVE_STATUSES],
        "ignore": ignore_walk.pk if ignore_walk is not None else 0,
    }
    with connection.cursor() as cursor:
        _CALENDAR.execute(cursor, params)
        weekdays, starts, ends, kinds, e_starts, e_ends, w_starts, w_ends = cursor.fetchone()
    extra, time_off = [], []
    for kind, start, end in zip(kinds or (), e_starts or (), e_ends or (), strict=True):
        (extra if kind == AvailabilityException.Kind.EXTRA else time_off).append((start, end))
    return _Calendar(
        windows=list(zip(weekdays or (), starts or (), ends or (), strict=True)),
        extra=extra,
        time_off=time_off,
        walks=list(zip(w_starts or (), w_ends or (), strict=True)),
    )


def _free(calendar: _Calendar, first_day: date, last_day: date) -> list[Interval]:
    """When she can walk between those London dates (inclusive), before walks are taken out."""
    intervals: list[Interval] = []
    day = first_day
    while day <= last_day:
        for weekday, start_time, end_time in calendar.windows:
            if weekday != day.weekday():
                continue
            start, end = _local(day, start_time), _local(day, end_time)
            if start and end:
                intervals.append((start, end))
        day += timedelta(days=1)
    return _subtract(_merge(intervals + calendar.extra), calendar.time_off)


def bookable_slots(
    *,
    officer: Officer,
    first_day: date | None = None,
    last_day: date | None = None,
    now: datetime | None = None,
    ignore_walk: Walk | None = None,
) -> list[Slot]:
    """The slots a resident may book with this officer, in order.

    ``ignore_walk`` leaves one walk out of the busy times: the walk being moved may move to a time
    that overlaps where it is now.
    """
    now = now or timezone.now()
    earliest, latest = booking_period(now)
    first_day = max(first_day or earliest.astimezone(LONDON).date(), earliest.astimezone(LONDON).date())
    last_day = min(last_day or latest.astimezone(LONDON).date(), latest.astimezone(LONDON).date())
    if last_day < first_day:
        return []
    length, buffer, step = walk_length(), _buffer(), timedelta(minutes=settings.SLOT_STEP_MINUTES)

    calendar = _calendar(officer, first_day, last_day, ignore_walk)
    free = _free(calendar, first_day, last_day)
    busy = [(start - buffer, end + buffer) for start, end in calendar.walks]

    slots = []
    for window_start, window_end in free:
        start = window_start
        while start + length <= window_end:
            end = start + length
            if earliest <= start <= latest and not any(
                b_start < end and start < b_end for b_start, b_end in busy
            ):
                slots.append(Slot(starts_at=start.astimezone(LONDON), ends_at=end.astimezone(LONDON)))
            start += step
    return slots


def find_slot(
    *, officer: Officer, starts_at: datetime, now: datetime | None = None, ignore_walk=None
) -> Slot | None:
    """The bookable slot starting at that instant, if there is one."""
    day = starts_at.astimezone(LONDON).date()
    for slot in bookable_slots(
        officer=officer, first_day=day, last_day=day, now=now, ignore_walk=ignore_walk
    ):
        if slot.starts_at == starts_at:
            return slot
    return None
