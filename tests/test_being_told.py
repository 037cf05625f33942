"""Every change, told from her side (issue 13 points 3 and 4; README: "Who is told of each change").

One test per row of the README's table. Each drives the real services (booking, pairing, erasure),
runs the dispatcher as beat would, and reads what was sent: who got which message, and the calendar
invite it carried, parsed with icalendar — the same UID throughout, a higher SEQUENCE for each move,
METHOD:CANCEL for a cancellation (RFC 5546).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from icalendar import Calendar

from participants import pairing, privacy
from patrols import booking
from patrols.models import LONDON, Walk
from tests.factories import (
    AvailabilityWindowFactory,
    OfficerFactory,
    PairingFactory,
    ResidentFactory,
    sergeant_user,
)
from tests.outbox import about_walk, send_due

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=LONDON)  # a Monday
TUESDAY = date(2026, 12, 8)


def at(hhmm: str) -> datetime:
    return datetime.combine(TUESDAY, time.fromisoformat(hhmm), tzinfo=LONDON)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def officer():
    officer = OfficerFactory(display_name="PC Alice Adeyemi")
    AvailabilityWindowFactory(officer=officer, weekday=1, start_time="15:00", end_time="22:00")
    return officer


@pytest.fixture
def resident(officer):
    resident = ResidentFactory(preferred_name="Amira")
    PairingFactory(resident=resident, officer=officer)
    return resident


def book(resident, hhmm="19:00") -> Walk:
    return booking.book_walk(
        resident=resident,
        starts_at=at(hhmm),
        meeting_point="Peckham Library steps",
        route="Rye Lane, Bellenden Road, home",
        by=resident.user,
        now=NOW,
    )


def deliver() -> dict[str, list]:
    """Send what is due now; return what each address received, in order (and clear the outbox)."""
    send_due(NOW)
    received: dict[str, list] = {}
    for message in mail.outbox:
        received.setdefault(message.to[0], []).append(message)
    mail.outbox.clear()
    return received


def invite(message) -> dict:
    [part] = [a for a in message.attachments if a.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    [event] = calendar.walk("VEVENT")
    assert part.get_param("method") == str(calendar["method"])  # the MIME type says it too
    return {
        "method": str(calendar["method"]),
        "uid": str(event["uid"]),
        "sequence": int(event["sequence"]),
        "start": event.decoded("dtstart"),
        "status": str(event.get("status", "")),
        "summary": str(event["summary"]),
    }


def kinds_of(messages) -> list[str]:
    return [m.extra_headers["X-Walkandtalk-Kind"] for m in messages]


def test_booked_both_are_told_with_an_invite(resident, officer):
    walk = book(resident)
    got = deliver()
    for user in (resident.user, officer.user):
        [message] = got[user.email]
        assert kinds_of([message]) == ["booking_confirmation"]
        event = invite(message)
        assert event["method"] == "REQUEST" and event["sequence"] == 1
        assert event["uid"] == f"walk-{walk.pk}@walkandtalk" and event["start"] == at("19:00")
    assert "police" not in invite(got[resident.user.email][0])["summary"].lower()  # discreet


def test_booked_then_moved_before_the_confirmation_went_one_confirmation_for_the_new_time(resident, officer):
    walk = book(resident)
    booking.move_walk(walk=walk, starts_at=at("20:30"), by=resident.user, now=NOW)
    got = deliver()
    for user in (resident.user, officer.user):
        [message] = got[user.email]  # one message, never a "moved" for a walk she never heard of
        assert kinds_of([message]) == ["booking_confirmation"]
        event = invite(message)
        assert (event["method"], event["sequence"], event["start"]) == ("REQUEST", 2, at("20:30"))
        assert "20:30" in message.subject
    replaced = about_walk(walk).filter(status="replaced")
    assert set(replaced.values_list("kind", flat=True)) == {"booking_confirmation", "reminder"}


@pytest.mark.parametrize("mover", ["resident", "officer", "sergeant"])
def test_moved_after_both_were_told_both_get_the_new_time_and_the_same_event_moves(resident, officer, mover):
    walk = book(resident)
    first = deliver()
    uid = invite(first[resident.user.email][0])["uid"]
    by = {"resident": resident.user, "officer": officer.user, "sergeant": sergeant_user()}[mover]

    booking.move_walk(walk=walk, starts_at=at("20:30"), by=by, now=NOW)
    got = deliver()

    for user in (resident.user, officer.user):  # the one who moved it too: her calendar must follow
        [message] = got[user.email]
        assert kinds_of([message]) == ["walk_moved"]
        event = invite(message)
        assert (event["method"], event["uid"], event["sequence"]) == ("REQUEST", uid, 2)
        assert event["start"] == at("20:30")
    officer_text = got[officer.user.email][0].body
    expected = {
        "resident": "Amira has moved her walk",
        "officer": "You have moved Amira's walk",
        "sergeant": "Amira's walk has been moved",
    }[mover]
    assert expected in officer_text
    her_text = got[resident.user.email][0].body
    assert ("You have moved your walk" if mover == "resident" else "Your walk has moved") in her_text


def test_moved_twice_the_unsent_moved_notice_is_replaced_by_the_latest(resident, officer):
    walk = book(resident)
    deliver()
    walk = booking.move_walk(walk=walk, starts_at=at("20:30"), by=resident.user, now=NOW)
    booking.move_walk(walk=walk, starts_at=at("16:00"), by=resident.user, now=NOW)
    got = deliver()
    for user in (resident.user, officer.user):
        [message] = got[user.email]
        event = invite(message)
        assert (event["sequence"], event["start"]) == (3, at("16:00"))
    assert about_walk(walk).filter(kind="walk_moved", status="replaced").count() == 2


@pytest.mark.parametrize("canceller", ["resident", "officer", "sergeant"])
def test_cancelled_after_both_were_told_both_get_a_cancel_for_the_same_event(resident, officer, canceller):
    walk = book(resident)
    booking.move_walk(walk=walk, starts_at=at("20:30"), by=resident.user, now=NOW)
    deliver()  # confirmations for 20:30, SEQUENCE 2
    by = {"resident": resident.user, "officer": officer.user, "sergeant": sergeant_user()}[canceller]

    booking.cancel_walk(walk=walk, by=by, reason="" if canceller == "resident" else "Called away", now=NOW)
    got = deliver()

    for user in (resident.user, officer.user):
        [message] = got[user.email]
        assert kinds_of([message]) == ["walk_cancelled"]
        event = invite(message)
        assert event["method"] == "CANCEL" and event["status"] == "CANCELLED"
        assert event["uid"] == f"walk-{walk.pk}@walkandtalk" and event["sequence"] == 3  # above 2
    assert not about_walk(walk).filter(status="pending").exists()  # no reminder will go
    assert set(about_walk(walk).filter(kind="reminder").values_list("status", flat=True)) == {"replaced"}


def test_cancelled_by_the_officer_before_her_own_confirmation_went_she_is_not_told(resident, officer):
    walk = book(resident)
    booking.cancel_walk(walk=walk, by=officer.user, reason="Called to an incident", now=NOW)
    got = deliver()
    # the resident booked it, so she knows of it: she is told; her officer never heard of it
    assert officer.user.email not in got
    [message] = got[resident.user.email]
    assert kinds_of([message]) == ["walk_cancelled"] and "Called to an incident" in message.body
    assert invite(message)["method"] == "CANCEL"


def test_cancelled_by_her_before_anything_went_nobody_is_told(resident, officer):
    walk = book(resident)
    booking.cancel_walk(walk=walk, by=resident.user, now=NOW)
    assert deliver() == {}
    assert set(about_walk(walk).values_list("status", flat=True)) == {"cancelled"}


@pytest.mark.parametrize("change", ["reassigned", "pairing_ended"])
def test_a_change_of_officer_cancels_her_walks_with_the_old_one_and_tells_her(resident, officer, change):
    walk = book(resident)
    deliver()
    sergeant = sergeant_user()
    new_officer = OfficerFactory(display_name="PC Beth Brown", wards=[resident.ward])
    if change == "reassigned":
        pairing.reassign_resident(resident=resident, officer=new_officer, by=sergeant, reason="Workload")
    else:
        pairing.end_pairing(pairing=pairing.active_pairing(resident), by=sergeant, reason="She has left")

    walk.refresh_from_db()
    assert walk.status == Walk.Status.CANCELLED and walk.cancel_reason == booking.CHANGE_OF_OFFICER
    got = deliver()
    to_her = got[resident.user.email]
    assert "walk_cancelled" in kinds_of(to_her)
    [cancellation] = [m for m in to_her if kinds_of([m]) == ["walk_cancelled"]]
    assert invite(cancellation)["method"] == "CANCEL"
    # and the message about her pairing says her walk went with it
    [about_pairing] = [m for m in to_her if kinds_of([m]) == [change]]
    if change == "reassigned":
        assert "The walk you had booked with PC Alice Adeyemi is cancelled" in about_pairing.body
        assert "Book again with PC Beth Brown" in about_pairing.body
    else:  # ended, then paired afresh with the officer who has room: she hears both
        assert "The walk you had booked with her is cancelled" in about_pairing.body
        assert sorted(kinds_of(to_her)) == ["paired", "pairing_ended", "walk_cancelled"]
    [to_old_officer] = got[officer.user.email]
    assert kinds_of([to_old_officer]) == ["walk_cancelled"]


def test_erased_her_officer_is_told_her_walk_is_off_and_she_is_sent_nothing(resident, officer):
    walk = book(resident)
    deliver()
    privacy.erase_resident(resident=resident, by=resident.user, now=NOW)
    got = deliver()
    assert list(got) == [officer.user.email]
    [message] = got[officer.user.email]
    assert kinds_of([message]) == ["walk_cancelled"] and invite(message)["method"] == "CANCEL"
    walk.refresh_from_db()
    assert walk.status == Walk.Status.CANCELLED


def test_reminders_follow_the_move(resident, officer):
    walk = book(resident)
    deliver()
    booking.move_walk(walk=walk, starts_at=at("20:30"), by=officer.user, now=NOW)
    deliver()
    send_due(at("20:30") - timedelta(hours=2))
    reminders = [m for m in mail.outbox if kinds_of([m]) == ["reminder"]]
    assert len(reminders) == 4  # 24 h and 2 h before the new time, to both
    assert all("20:30" in m.subject for m in reminders)
