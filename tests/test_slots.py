"""Slot derivation (patrols/slots.py): windows, exceptions, walks and buffers, notice, horizon, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from patrols.models import LONDON, AvailabilityException, Walk
from patrols.slots import bookable_slots
from tests.factories import (
    AvailabilityExceptionFactory,
    AvailabilityWindowFactory,
    OfficerFactory,
    WalkFactory,
)

pytestmark = pytest.mark.django_db

# Monday 7 December 2026, 09:00 in London: the Tuesday after is 1 day ahead, past the 24 h notice.
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=LONDON)
TUESDAY = date(2026, 12, 8)


def london(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=LONDON)


def starts(slots, day: date | None = None) -> list[str]:
    return [f"{s.starts_at:%H:%M}" for s in slots if day is None or s.day == day]


@pytest.fixture
def officer():
    return OfficerFactory()


def slots_on(officer, day, now=NOW):
    return bookable_slots(officer=officer, first_day=day, last_day=day, now=now)


def test_a_weekly_window_gives_slots_every_half_hour_that_fit_a_whole_walk(officer):
    AvailabilityWindowFactory(officer=officer, weekday=1, start_time="18:00", end_time="22:00")
    assert starts(slots_on(officer, TUESDAY)) == [
        "18:00",
        "18:30",
        "19:00",
        "19:30",
        "20:00",
        "20:30",
        "21:00",
    ]
    assert all((s.ends_at - s.starts_at).total_seconds() == 3600 for s in slots_on(officer, TUESDAY))
    assert slots_on(officer, date(2026, 12, 9)) == []  # no window on Wednesdays


def test_overlapping_windows_are_merged_without_duplicate_slots(officer):
    AvailabilityWindowFactory(officer=officer, weekday=1, start_time="18:00", end_time="20:00")
    AvailabilityWindowFactory(officer=officer, weekday=1, start_time="19:00", end_time="21:00")
    assert starts(slots_on(officer, TUESDAY)) == ["18:00", "18:30", "19:00", "19:30", "20:00"]


def test_time_off_removes_whole_days_of_a_date_range(officer):
    AvailabilityWindowFactory(officer=officer, weekday=1)
    AvailabilityExceptionFactory(
        officer=officer, starts_at=london(TUESDAY, "00:00"), ends_at=london(date(2026, 12, 16), "00:00")
    )
    assert slots_on(officer, TUESDAY) == []
    assert slots_on(officer, date(2026, 12, 15)) == []
    assert starts(slots_on(officer, date(2026, 12, 22)))[0] == "18:00"


def test_a_changed_shift_removes_part_of_a_window(officer):
    AvailabilityWindowFactory(officer=officer, weekday=1)
    AvailabilityExceptionFactory(
        officer=officer, starts_at=london(TUESDAY, "19:00"), ends_at=london(TUESDAY, "20:00")
    )
    assert starts(slots_on(officer, TUESDAY)) == ["18:00", "20:00", "20:30", "21:00"]


def test_an_extra_one_off_window_adds_slots(officer):
    saturday = date(2026, 12, 12)
    AvailabilityExceptionFactory(
        officer=officer,
        kind=AvailabilityException.Kind.EXTRA,
        starts_at=london(saturday, "10:00"),
        ends_at=london(saturday, "12:00"),
    )
    assert starts(slots_on(officer, saturday)) == ["10:00", "10:30", "11:00"]


def test_a_booked_walk_blocks_its_time_and_the_buffer_either_side(officer):
    AvailabilityWindowFactory(officer=officer, weekday=1)
    WalkFactory(officer=officer, starts_at=london(TUESDAY, "19:00"), ends_at=london(TUESDAY, "20:00"))
    # 15 minutes' buffer: nothing may end after 18:45 or start before 20:15
    assert starts(slots_on(officer, TUESDAY)) == ["20:30", "21:00"]


def test_a_walk_just_outside_the_window_still_needs_its_buffer(officer):
    AvailabilityWindowFactory(officer=officer, weekday=1)
    WalkFactory(officer=officer, starts_at=london(TUESDAY, "22:00"), ends_at=london(TUESDAY, "23:00"))
    assert starts(slots_on(officer, TUESDAY))[-1] == "20:30"  # 21:00–22:00 would leave no buffer


def test_back_to_back_with_the_buffer_is_fine(officer):
    AvailabilityWindowFactory(officer=officer, weekday=1)
    WalkFactory(officer=officer, starts_at=london(TUESDAY, "18:00"), ends_at=london(TUESDAY, "19:00"))
    assert starts(slots_on(officer, TUESDAY))[0] == "19:30"  # 19:15 is not on the half-hour grid


def test_cancelled_walks_and_other_officers_walks_do_not_block(officer):
    AvailabilityWindowFactory(officer=officer, weekday=1)
    WalkFactory(
        officer=officer,
        starts_at=london(TUESDAY, "19:00"),
        ends_at=london(TUESDAY, "20:00"),
        status=Walk.Status.CANCELLED,
    )
    WalkFactory(starts_at=london(TUESDAY, "19:00"), ends_at=london(TUESDAY, "20:00"))
    assert len(slots_on(officer, TUESDAY)) == 7


def test_minimum_notice_hides_slots_less_than_a_day_away(officer):
    AvailabilityWindowFactory(officer=officer, weekday=1)
    now = london(date(2026, 12, 7), "19:10")  # Monday evening
    assert starts(slots_on(officer, TUESDAY, now=now)) == ["19:30", "20:00", "20:30", "21:00"]


def test_horizon_hides_slots_more_than_28_days_ahead(officer):
    AvailabilityWindowFactory(officer=officer, weekday=1)
    slots = bookable_slots(officer=officer, now=NOW)
    # 28 days from Monday 7 December 09:00 is Monday 4 January 09:00: Tuesday 5 January is too far
    assert sorted({s.day for s in slots}) == [
        TUESDAY,
        date(2026, 12, 15),
        date(2026, 12, 22),
        date(2026, 12, 29),
    ]


@pytest.mark.parametrize(
    ("now", "before", "after", "offset_before", "offset_after"),
    [
        # the clocks go forward on the last Sunday of March (28 March 2027): GMT → BST
        (datetime(2027, 3, 20, 9, 0, tzinfo=LONDON), date(2027, 3, 21), date(2027, 3, 28), 0, 1),
        # and back on the last Sunday of October (31 October 2027): BST → GMT
        (datetime(2027, 10, 23, 9, 0, tzinfo=LONDON), date(2027, 10, 24), date(2027, 10, 31), 1, 0),
    ],
)
def test_a_19_00_slot_stays_19_00_across_the_clock_change(
    officer, now, before, after, offset_before, offset_after
):
    AvailabilityWindowFactory(officer=officer, weekday=6, start_time="19:00", end_time="20:00")  # Sundays
    slots = bookable_slots(officer=officer, first_day=before, last_day=after + (after - before), now=now)

    by_day = {s.day: s for s in slots}
    assert set(by_day) == {before, after, after + (after - before)}
    for slot in slots:
        assert f"{slot.starts_at:%H:%M}" == "19:00"
        assert (slot.ends_at - slot.starts_at).total_seconds() == 3600
    assert by_day[before].starts_at.astimezone(UTC).hour == 19 - offset_before
    assert by_day[after].starts_at.astimezone(UTC).hour == 19 - offset_after


def test_slots_across_the_clock_change_with_walks_and_time_off_in_utc(officer):
    """Walks are stored in UTC; the buffer check must compare real instants, not wall clocks."""
    sunday = date(2027, 3, 28)
    AvailabilityWindowFactory(officer=officer, weekday=6, start_time="18:00", end_time="21:00")
    WalkFactory(officer=officer, starts_at=london(sunday, "19:00"), ends_at=london(sunday, "20:00"))
    now = datetime(2027, 3, 20, 9, 0, tzinfo=LONDON)
    assert starts(slots_on(officer, sunday, now=now)) == []  # 18:00 and 20:00 both within the buffer


def test_after_dark_is_marked_by_sunset_in_london(officer):
    AvailabilityWindowFactory(officer=officer, weekday=1, start_time="15:00", end_time="17:30")
    slots = slots_on(officer, TUESDAY)
    sunset = slots[0].sunset
    assert sunset.tzinfo is not None and f"{sunset:%H}" == "15"  # about 15:51 in December
    assert [s.is_after_dark for s in slots] == [False, False, True, True]  # 15:00, 15:30 | 16:00, 16:30


def test_in_summer_an_evening_walk_is_in_daylight(officer):
    AvailabilityWindowFactory(officer=officer, weekday=1, start_time="19:00", end_time="20:00")
    slot = slots_on(officer, date(2027, 6, 22), now=datetime(2027, 6, 14, 9, 0, tzinfo=LONDON))[0]
    assert not slot.is_after_dark
    assert f"{slot.sunset:%H}" == "21"
