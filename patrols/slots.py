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
from django.utils import timezone

from participants.models import Officer

from .models import LONDON, AvailabilityException, Walk
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


def available_intervals(officer: Officer, first_day: date, last_day: date) -> list[Interval]:
    """When she can walk between those London dates (inclusive), before walks are taken out."""
    windows = list(officer.availability_windows.all())
    start_utc = datetime.combine(first_day, time.min, tzinfo=LONDON)
    end_utc = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=LONDON)
    exceptions = list(
        AvailabilityException.objects.filter(officer=officer, starts_at__lt=end_utc, ends_at__gt=start_utc)
    )
    intervals: list[Interval] = []
    day = first_day
    while day <= last_day:
        for window in windows:
            if window.weekday != day.weekday():
                continue
            start, end = _local(day, window.start_time), _local(day, window.end_time)
            if start and end:
                intervals.append((start, end))
        day += timedelta(days=1)
    intervals += [(e.starts_at, e.ends_at) for e in exceptions if e.kind == AvailabilityException.Kind.EXTRA]
    time_off = [
        (e.starts_at, e.ends_at) for e in exceptions if e.kind == AvailabilityException.Kind.UNAVAILABLE
    ]
    return _subtract(_merge(intervals), time_off)


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

    free = available_intervals(officer, first_day, last_day)
    walks = Walk.objects.active().filter(
        officer=officer,
        starts_at__lt=datetime.combine(last_day + timedelta(days=2), time.min, tzinfo=LONDON),
        ends_at__gt=datetime.combine(first_day - timedelta(days=1), time.min, tzinfo=LONDON),
    )
    if ignore_walk is not None:
        walks = walks.exclude(pk=ignore_walk.pk)
    busy = [(w.starts_at - buffer, w.ends_at + buffer) for w in walks.only("starts_at", "ends_at")]

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
