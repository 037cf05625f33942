"""Booking, moving and cancelling (patrols/booking.py) and the database's guarantee against double booking."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.db import IntegrityError, transaction

from patrols import booking
from patrols.models import LONDON, Walk, WalkEvent
from patrols.slots import Slot
from tests.factories import (
    AvailabilityWindowFactory,
    OfficerFactory,
    PairingFactory,
    ResidentFactory,
    WalkFactory,
    sergeant_user,
)
from tests.outbox import send_due
from walkandtalk.outbox.models import Notification

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=LONDON)  # a Monday
TUESDAY = date(2026, 12, 8)


def at(hhmm: str, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=LONDON)


@pytest.fixture
def officer():
    officer = OfficerFactory()
    AvailabilityWindowFactory(officer=officer, weekday=1, start_time="15:00", end_time="22:00")
    return officer


@pytest.fixture
def resident(officer):
    resident = ResidentFactory()
    PairingFactory(resident=resident, officer=officer)
    return resident


def book(resident, hhmm="19:00", day=TUESDAY, **kwargs):
    return booking.book_walk(
        resident=resident,
        starts_at=at(hhmm, day),
        meeting_point="Peckham Library steps",
        route="Rye Lane, Bellenden Road, home",
        now=kwargs.pop("now", NOW),
        **kwargs,
    )


def test_booking_a_slot_creates_the_walk_its_history_and_its_messages(resident, officer):
    walk = book(resident, known_worries="The alley by the car park")

    assert walk.officer == officer
    assert walk.status == Walk.Status.BOOKED
    assert walk.starts_at == at("19:00") and walk.ends_at == at("20:00")
    assert walk.walk_code.isdigit() and len(walk.walk_code) == 6
    assert walk.known_worries == "The alley by the car park"
    assert walk.is_after_dark
    assert list(walk.events.values_list("kind", "by")) == [(WalkEvent.Kind.BOOKED, resident.user.pk)]
    messages = Notification.objects.filter(about_type="walk", about_id=walk.pk)
    kinds = sorted((n.kind, n.recipient_id) for n in messages)
    assert kinds == sorted(
        [
            ("booking_confirmation", resident.user.pk),
            ("booking_confirmation", officer.user.pk),
            ("reminder", resident.user.pk),
            ("reminder", resident.user.pk),
            ("reminder", officer.user.pk),
            ("reminder", officer.user.pk),
        ]
    )
    reminder_times = sorted({n.due_at for n in messages if n.kind == "reminder"})
    assert reminder_times == [at("19:00", date(2026, 12, 7)), at("17:00")]


def test_walk_codes_differ_between_walks(resident):
    codes = {book(resident, hhmm).walk_code for hhmm in ("15:00", "17:00", "19:00")}
    assert len(codes) == 3


def test_a_time_that_is_not_a_slot_cannot_be_booked(resident):
    with pytest.raises(booking.BookingError, match="just been taken"):
        book(resident, "19:10")
    with pytest.raises(booking.BookingError):
        book(resident, "23:00")
    assert not Walk.objects.exists()


def test_a_taken_time_gets_the_friendly_message(resident, officer):
    other = ResidentFactory()
    PairingFactory(resident=other, officer=officer)
    book(other, "19:00")
    with pytest.raises(booking.BookingError) as error:
        book(resident, "19:30")
    assert str(error.value) == "That time has just been taken — please choose another."


def test_she_can_only_book_once_paired():
    lonely = ResidentFactory()
    with pytest.raises(booking.BookingError, match="paired"):
        book(lonely)


def test_she_can_hold_only_a_few_upcoming_walks(resident, settings):
    settings.MAX_UPCOMING_WALKS_PER_RESIDENT = 2
    book(resident, "15:00")
    book(resident, "17:00")
    with pytest.raises(booking.BookingError, match="already have 2 walks"):
        book(resident, "19:00")


def test_moving_a_walk_changes_the_time_and_replaces_the_reminders(resident, officer):
    walk = book(resident, "19:00")

    moved = booking.move_walk(walk=walk, starts_at=at("20:30"), by=resident.user, now=NOW)

    assert moved.starts_at == at("20:30") and moved.version == 2
    event = moved.events.get(kind=WalkEvent.Kind.MOVED)
    assert (
        event.old_starts_at == at("19:00")
        and event.new_starts_at == at("20:30")
        and event.by == resident.user
    )
    old_reminders = Notification.objects.filter(
        about_type="walk", about_id=walk.pk, kind="reminder", data__version=1
    )
    assert set(old_reminders.values_list("status", flat=True)) == {"replaced"}
    new_reminders = Notification.objects.filter(
        about_type="walk", about_id=walk.pk, kind="reminder", data__version=2
    )
    assert sorted(set(new_reminders.values_list("due_at", flat=True))) == [
        at("20:30", date(2026, 12, 7)),
        at("18:30"),
    ]
    # Nobody had been sent the confirmation yet: each gets one, for the new time, and no "moved".
    messages = Notification.objects.filter(about_type="walk", about_id=walk.pk).exclude(kind="reminder")
    assert sorted(messages.values_list("kind", "data__version", "status", "recipient")) == sorted(
        [
            ("booking_confirmation", 1, "replaced", resident.user.pk),
            ("booking_confirmation", 1, "replaced", officer.user.pk),
            ("booking_confirmation", 2, "pending", resident.user.pk),
            ("booking_confirmation", 2, "pending", officer.user.pk),
        ]
    )


def test_moving_a_walk_both_were_told_of_tells_both_the_new_time(resident, officer):
    walk = book(resident, "19:00")
    send_due(NOW)  # the confirmations go

    booking.move_walk(walk=walk, starts_at=at("20:30"), by=resident.user, now=NOW)

    moved = Notification.objects.filter(about_type="walk", about_id=walk.pk, kind="walk_moved")
    # her too, though she moved it herself: her calendar must follow
    assert sorted(moved.values_list("recipient", "data__version", "status")) == sorted(
        [(resident.user.pk, 2, "pending"), (officer.user.pk, 2, "pending")]
    )


def test_a_walk_may_move_to_a_time_overlapping_where_it_is_now(resident):
    walk = book(resident, "19:00")
    assert booking.move_walk(walk=walk, starts_at=at("19:30"), by=resident.user, now=NOW).starts_at == at(
        "19:30"
    )


def test_moving_to_a_taken_time_is_refused(resident, officer):
    other = ResidentFactory()
    PairingFactory(resident=other, officer=officer)
    book(other, "15:00")
    walk = book(resident, "19:00")
    with pytest.raises(booking.BookingError, match="just been taken"):
        booking.move_walk(walk=walk, starts_at=at("15:30"), by=resident.user, now=NOW)
    walk.refresh_from_db()
    assert walk.starts_at == at("19:00") and walk.version == 1


def test_cancelling_before_anyone_was_told_tells_nobody_and_sends_nothing(resident, officer):
    walk = book(resident, "19:00")

    booking.cancel_walk(walk=walk, by=resident.user, reason="", now=NOW)

    walk.refresh_from_db()
    assert walk.status == Walk.Status.CANCELLED
    assert walk.cancelled_by == resident.user and walk.cancelled_at == NOW
    # she cancelled it herself; her officer had never been told of it
    messages = Notification.objects.filter(about_type="walk", about_id=walk.pk)
    assert set(messages.values_list("status", flat=True)) == {"cancelled"}
    assert walk.events.last().kind == WalkEvent.Kind.CANCELLED
    # the time is free again
    other = ResidentFactory()
    PairingFactory(resident=other, officer=officer)
    assert book(other, "19:00").starts_at == at("19:00")


def test_cancelling_a_walk_both_were_told_of_tells_both_and_replaces_the_reminders(resident, officer):
    walk = book(resident, "19:00")
    send_due(NOW)

    booking.cancel_walk(walk=walk, by=resident.user, reason="", now=NOW)

    pending = Notification.objects.filter(about_type="walk", about_id=walk.pk, status="pending")
    assert sorted((n.kind, n.recipient_id) for n in pending) == sorted(
        [("walk_cancelled", officer.user.pk), ("walk_cancelled", resident.user.pk)]
    )
    reminders = Notification.objects.filter(about_type="walk", about_id=walk.pk, kind="reminder")
    assert set(reminders.values_list("status", flat=True)) == {"replaced"}


def test_the_officer_and_the_sergeant_cancel_with_a_reason(resident, officer):
    walk = book(resident, "19:00")
    with pytest.raises(booking.BookingError, match="Give a reason"):
        booking.cancel_walk(walk=walk, by=officer.user, reason=" ", now=NOW)
    booking.cancel_walk(walk=walk, by=officer.user, reason="Called to an incident", now=NOW)
    walk.refresh_from_db()
    assert walk.cancel_reason == "Called to an incident"
    # she booked it, so she knows of it; her officer's confirmation had not gone
    told = Notification.objects.get(about_type="walk", about_id=walk.pk, kind="walk_cancelled")
    assert told.recipient == resident.user

    second = book(resident, "15:00")
    send_due(NOW)
    booking.cancel_walk(walk=second, by=sergeant_user(), reason="Station closed", now=NOW)
    cancelled = Notification.objects.filter(about_type="walk", about_id=second.pk, kind="walk_cancelled")
    assert set(cancelled.values_list("recipient", flat=True)) == {resident.user.pk, officer.user.pk}


def test_resident_cannot_change_a_walk_less_than_two_hours_before(resident, officer):
    walk = book(resident, "19:00")
    late = at("17:30")
    with pytest.raises(booking.BookingError, match="less than 2 hours"):
        booking.cancel_walk(walk=walk, by=resident.user, now=late)
    with pytest.raises(booking.BookingError, match="less than 2 hours"):
        booking.move_walk(
            walk=walk, starts_at=at("15:00", TUESDAY + timedelta(days=7)), by=resident.user, now=late
        )
    # her officer still can
    booking.cancel_walk(walk=walk, by=officer.user, reason="Unwell", now=late)


@pytest.mark.parametrize("status", [Walk.Status.COMPLETED, Walk.Status.CANCELLED, Walk.Status.NO_SHOW])
def test_only_booked_walks_can_be_cancelled_or_moved(resident, officer, status):
    walk = WalkFactory(
        resident=resident, officer=officer, starts_at=at("19:00"), ends_at=at("20:00"), status=status
    )
    with pytest.raises(booking.BookingError, match="can’t be cancelled"):
        booking.cancel_walk(walk=walk, by=officer.user, reason="x", now=NOW)
    with pytest.raises(booking.BookingError, match="can’t be moved"):
        booking.move_walk(walk=walk, starts_at=at("15:00"), by=officer.user, now=NOW)


def test_nobody_else_can_change_her_walk(resident):
    walk = book(resident, "19:00")
    stranger = ResidentFactory()
    other_officer = OfficerFactory()
    for user in (stranger.user, other_officer.user):
        with pytest.raises(booking.BookingError, match="can’t change this walk"):
            booking.cancel_walk(walk=walk, by=user, reason="x", now=NOW)


def test_the_database_refuses_overlapping_active_walks_for_one_officer(officer):
    WalkFactory(officer=officer, starts_at=at("19:00"), ends_at=at("20:00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Walk.objects.create(
            resident=ResidentFactory(),
            officer=officer,
            starts_at=at("19:30"),
            ends_at=at("20:30"),
            meeting_point="x",
            route="y",
        )


def test_the_database_allows_back_to_back_and_cancelled_overlaps(officer):
    WalkFactory(officer=officer, starts_at=at("19:00"), ends_at=at("20:00"))
    WalkFactory(officer=officer, starts_at=at("20:00"), ends_at=at("21:00"))  # [) bounds
    WalkFactory(officer=officer, starts_at=at("19:30"), ends_at=at("20:30"), status=Walk.Status.CANCELLED)
    WalkFactory(starts_at=at("19:00"), ends_at=at("20:00"))  # another officer
    assert Walk.objects.count() == 4


def test_a_race_lost_at_the_database_becomes_the_friendly_message(resident, officer, monkeypatch):
    """If two bookings ever got past the lock and the checks, the exclusion constraint refuses the
    second insert; the service turns that IntegrityError into the message, not a 500."""
    taken = WalkFactory(officer=officer, starts_at=at("19:00"), ends_at=at("20:00"))
    # Simulate the lost race: the checks see the time as free (as they would have a moment earlier).
    monkeypatch.setattr(
        booking, "find_slot", lambda **kwargs: Slot(starts_at=at("19:30"), ends_at=at("20:30"))
    )
    monkeypatch.setattr(Walk, "full_clean", lambda self, *args, **kwargs: None)

    with pytest.raises(booking.BookingError) as error:
        book(resident, "19:30")

    assert str(error.value) == booking.TAKEN
    assert list(Walk.objects.all()) == [taken]
    assert not Notification.objects.exists()  # the messages were rolled back with the walk
