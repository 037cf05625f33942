"""Demo rows for walks: availability for every officer, past walks, and upcoming bookings.

Called by `manage.py seed_demo`; running it again adds nothing (each step skips what exists)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from participants.models import Officer, Resident
from participants.pairing import active_pairing

from . import booking
from .models import LONDON, AvailabilityWindow, Walk
from .slots import bookable_slots

# Two weekday evenings (varying by officer) and a Saturday daytime window.
EVENINGS = [(0, 3), (1, 4), (2, 0), (3, 1), (4, 2)]
MEETING_POINTS = [
    "Outside Peckham Rye station, main entrance",
    "Brixton tube station, Brixton Road exit",
    "Camberwell Green, by the bus stops",
    "Elephant & Castle shopping centre, north entrance",
    "Clapham Common tube station",
]
ROUTES = [
    "Along the high street, through the park and home past the estate",
    "From the station up the hill, the alley behind the shops, then the long road home",
    "Bus stop to the corner shop, then the footpath by the railway",
]


def seed_availability(officers: list[Officer]) -> None:
    for index, officer in enumerate(officers):
        if officer.availability_windows.exists():
            continue
        first, second = EVENINGS[index % len(EVENINGS)]
        for weekday in (first, second):
            AvailabilityWindow.objects.create(
                officer=officer, weekday=weekday, start_time=time(17), end_time=time(21)
            )
        AvailabilityWindow.objects.create(officer=officer, weekday=5, start_time=time(10), end_time=time(14))


def seed_walks(residents: list[Resident], now: datetime | None = None) -> int:
    """Give the first residents a past walk and an upcoming booking. Returns how many walks were made."""
    now = now or timezone.now()
    made = 0
    for index, resident in enumerate(residents[:24]):
        pairing = active_pairing(resident)
        if pairing is None or resident.walks.exists():
            continue
        officer = pairing.officer
        # A past walk, weeks ago at 19:00 London time; past walks skip the booking rules (they happened).
        day = (now - timedelta(days=7 + 2 * index)).astimezone(LONDON).date()
        start = datetime.combine(day, time(19), tzinfo=LONDON)
        if not Walk.objects.active().filter(officer=officer, starts_at__lt=start + timedelta(hours=1),
                                            ends_at__gt=start).exists():  # fmt: skip
            Walk.objects.create(
                resident=resident,
                officer=officer,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                status=[Walk.Status.COMPLETED, Walk.Status.COMPLETED, Walk.Status.NO_SHOW][index % 3],
                meeting_point=MEETING_POINTS[index % len(MEETING_POINTS)],
                route=ROUTES[index % len(ROUTES)],
                booked_by=resident.user,
            )
            made += 1
        # An upcoming walk through the real booking rules, preferring a time after dark.
        slots = bookable_slots(officer=officer, now=now)
        dark = [slot for slot in slots if slot.is_after_dark] or slots
        if dark:
            slot = dark[index % len(dark)]
            try:
                booking.book_walk(
                    resident=resident,
                    starts_at=slot.starts_at,
                    meeting_point=MEETING_POINTS[index % len(MEETING_POINTS)],
                    route=ROUTES[index % len(ROUTES)],
                    now=now,
                )
                made += 1
            except booking.BookingError:
                pass  # another demo resident took it: fine
    return made
