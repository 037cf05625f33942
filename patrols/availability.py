"""An officer's availability: weekly windows and exceptions. Walks already booked stay booked."""

from __future__ import annotations

from datetime import datetime, time

from participants.models import Officer

from .models import AvailabilityException, AvailabilityWindow, Walk


def add_window(*, officer: Officer, weekday: int, start_time: time, end_time: time) -> AvailabilityWindow:
    window = AvailabilityWindow(officer=officer, weekday=weekday, start_time=start_time, end_time=end_time)
    window.full_clean()
    window.save()
    return window


def add_exception(
    *, officer: Officer, kind: str, starts_at: datetime, ends_at: datetime, note: str = ""
) -> tuple[AvailabilityException, int]:
    """Record time off or extra time. Returns it and how many booked walks fall in time off."""
    exception = AvailabilityException(
        officer=officer, kind=kind, starts_at=starts_at, ends_at=ends_at, note=note
    )
    exception.full_clean()
    exception.save()
    clashes = 0
    if kind == AvailabilityException.Kind.UNAVAILABLE:
        clashes = (
            Walk.objects.upcoming()
            .filter(officer=officer, starts_at__lt=ends_at, ends_at__gt=starts_at)
            .count()
        )
    return exception, clashes
