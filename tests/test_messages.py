"""Composing messages (the kinds in participants/ and patrols/messages.py): every kind renders a
subject, text, HTML and a single SMS; messages to residents are discreet; the booking confirmation
carries the calendar invite."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from patrols import notifications
from patrols.models import Concern, ConcernCategory, Walk
from tests.factories import OfficerFactory, PairingFactory, ResidentFactory, WalkFactory, ward
from tests.outbox import compose, send_due
from walkandtalk.outbox import kinds
from walkandtalk.outbox.models import Notification
from walkandtalk.outbox.sms import MemoryBackend

pytestmark = pytest.mark.django_db


class Kind:
    BOOKING_CONFIRMATION = "booking_confirmation"
    REMINDER = "reminder"
    WALK_MOVED = "walk_moved"
    WALK_CANCELLED = "walk_cancelled"
    DAY_PLAN = "day_plan"
    FEEDBACK_REQUEST = "feedback_request"
    CONCERN_NUDGE = "concern_nudge"
    PAIRED = "paired"
    WAITING_LIST = "waiting_list"
    REASSIGNED = "reassigned"
    PAIRING_ENDED = "pairing_ended"
    CONCERN_RESOLVED = "concern_resolved"
    CONCERN_REOPENED = "concern_reopened"
    REPEAT_WALK_OFFER = "repeat_walk_offer"
    RETENTION_WARNING = "retention_warning"


RESIDENT_KINDS = [
    Kind.BOOKING_CONFIRMATION,
    Kind.REMINDER,
    Kind.WALK_MOVED,
    Kind.WALK_CANCELLED,
    Kind.FEEDBACK_REQUEST,
    Kind.PAIRED,
    Kind.WAITING_LIST,
    Kind.REASSIGNED,
    Kind.PAIRING_ENDED,
    Kind.CONCERN_RESOLVED,
    Kind.REPEAT_WALK_OFFER,
    Kind.RETENTION_WARNING,
]
OFFICER_KINDS = [
    Kind.BOOKING_CONFIRMATION,
    Kind.REMINDER,
    Kind.DAY_PLAN,
    Kind.CONCERN_NUDGE,
    Kind.CONCERN_REOPENED,
]


@pytest.fixture(autouse=True)
def long_site_url(settings):
    # A real deployment's address, so SMS lengths are measured with realistic links.
    settings.SITE_URL = "https://walkandtalk.southwark-lambeth.example.org"


def scene(**resident_fields) -> dict:
    """One of every message, for a resident and her officer, with everything that might leak: a
    concern referred to "Police (neighbourhood team)", an officer named "PC ..."."""
    officer = OfficerFactory(display_name="PC Alexandra Okonkwo-Williams", collar_number="4821AS")
    resident = ResidentFactory(preferred_name="Amira", **resident_fields)
    previous = PairingFactory(
        resident=resident, officer=OfficerFactory(), started_at=timezone.now() - timedelta(days=9)
    )
    previous.ended_at = timezone.now() - timedelta(days=1)
    previous.save()
    pairing = PairingFactory(resident=resident, officer=officer, started_at=previous.ended_at)
    walk = WalkFactory(
        resident=resident,
        officer=officer,
        meeting_point="Outside the police station on Peckham High Street, by the bus stop",
    )
    done = WalkFactory(
        resident=resident,
        officer=officer,
        starts_at=timezone.now() - timedelta(hours=3),
        status=Walk.Status.COMPLETED,
    )
    concern = Concern.objects.create(
        walk=done,
        officer=officer,
        ward=ward(),
        category=ConcernCategory.objects.first(),
        location_text="The alley behind the police box",
        partner=Concern.Partner.POLICE,
        status=Concern.Status.RESOLVED,
        resolved_at=timezone.now(),
    )
    return {
        "officer": officer,
        "resident": resident,
        "pairing": pairing,
        "walk": walk,
        "done": done,
        "concern": concern,
    }


def row(kind: str, recipient, s: dict) -> Notification:
    walk = (
        s["done"]
        if kind
        in (
            Kind.FEEDBACK_REQUEST,
            Kind.CONCERN_NUDGE,
            Kind.CONCERN_RESOLVED,
            Kind.CONCERN_REOPENED,
            Kind.REPEAT_WALK_OFFER,
        )
        else s["walk"]
    )
    resident = s["resident"]
    data, about_id = {"walk": walk.pk, "version": walk.version}, walk.pk
    if kind in (Kind.PAIRED, Kind.REASSIGNED, Kind.PAIRING_ENDED):
        data, about_id = {"pairing": s["pairing"].pk}, resident.pk
    elif kind in (Kind.WAITING_LIST, Kind.RETENTION_WARNING):
        data, about_id = {}, resident.pk
    elif kind == Kind.DAY_PLAN:
        day = timezone.localdate(s["walk"].starts_at)
        data, about_id = {"day": f"{day:%Y-%m-%d}"}, s["officer"].pk
    elif kind in (Kind.CONCERN_RESOLVED, Kind.CONCERN_REOPENED):
        data["concern"], about_id = s["concern"].pk, s["concern"].pk
    notification = kinds.get(kind).build(recipient=recipient, about_id=about_id, data=data, once="x")
    notification.save()
    return notification


def first_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.strip())


def html_first_text(html: str) -> str:
    body = html.split("<body", 1)[1].split(">", 1)[1]
    return re.sub(r"<[^>]+>", " ", body).strip().splitlines()[0]


@pytest.mark.parametrize("kind", RESIDENT_KINDS)
def test_no_resident_message_says_police_where_others_may_see_it(kind):
    s = scene()
    message = compose(row(kind, s["resident"].user, s))
    for visible in (message.subject, first_line(message.text), html_first_text(message.html), message.sms):
        assert "police" not in visible.lower(), (kind, visible)
    assert "PC " not in message.sms and "PC " not in message.subject  # her officer, without the rank
    for attachment in message.attachments:  # the calendar entry's title shows on her lock screen too
        summary = Calendar.from_ical(attachment.content).walk("VEVENT")[0]["summary"]
        assert "police" not in str(summary).lower()


def test_a_resident_who_opted_in_may_be_told_it_is_the_police():
    s = scene(mention_police_in_messages=True)
    message = compose(row(Kind.BOOKING_CONFIRMATION, s["resident"].user, s))
    assert "PC Alexandra" in message.sms
    assert b"police officer" in message.attachments[0].content


@pytest.mark.parametrize(
    ("kind", "to"), [(k, "resident") for k in RESIDENT_KINDS] + [(k, "officer") for k in OFFICER_KINDS]
)
def test_every_kind_has_a_subject_text_html_and_a_single_sms(kind, to):
    s = scene()
    recipient = s["resident"].user if to == "resident" else s["officer"].user
    message = compose(row(kind, recipient, s))
    assert message.subject and "\n" not in message.subject
    assert message.text.startswith("Hello ")
    assert message.text.rstrip().endswith("Walk and Talk")
    assert "<p>Hello " in message.html and "</html>" in message.html
    assert 20 < len(message.sms) < 160, message.sms
    assert message.sms.isascii(), message.sms  # GSM characters only: a curly quote halves the limit
    assert "&#x27;" not in message.text and "&amp;" not in message.sms  # plain text is not HTML-escaped


def test_links_in_messages_go_to_her_pages():
    s = scene()
    assert (
        f"/walks/{s['done'].pk}/feedback/" in compose(row(Kind.FEEDBACK_REQUEST, s["resident"].user, s)).sms
    )
    assert (
        f"/concerns/{s['concern'].pk}/fixed/"
        in compose(row(Kind.CONCERN_RESOLVED, s["resident"].user, s)).text
    )
    day_plan = compose(row(Kind.DAY_PLAN, s["officer"].user, s))
    assert s["walk"].walk_code in day_plan.text and "Amira" in day_plan.text


def test_reassigned_names_the_new_and_the_previous_officer():
    s = scene()
    notification = row(Kind.REASSIGNED, s["resident"].user, s)
    notification.data["walks_cancelled"] = 2
    text = compose(notification).text
    assert "PC Alexandra Okonkwo-Williams" in text and "4821AS" in text
    assert "The 2 walks you had booked with PC Officer" in text and "are cancelled" in text


def test_the_booking_confirmation_email_carries_the_calendar_invite():
    s = scene()
    notifications.walk_booked(s["walk"], now=timezone.now())
    send_due()
    [to_her] = [m for m in mail.outbox if m.to == [s["resident"].user.email]]
    [invite] = to_her.attachments
    assert invite.get_filename().endswith(".ics") and invite.get_content_type() == "text/calendar"
    assert invite.get_param("method") == "REQUEST"
    event = Calendar.from_ical(invite.get_payload(decode=True)).walk("VEVENT")[0]
    assert event.decoded("dtstart") == s["walk"].starts_at.replace(microsecond=0)
    assert str(event["summary"]) == "Walk and Talk"
    assert to_her.alternatives[0].mimetype == "text/html"
    row = Notification.objects.get(recipient=s["resident"].user, kind="booking_confirmation")
    assert to_her.extra_headers["X-Walkandtalk-Key"] == row.idempotency_key


def test_her_contact_preference_decides_the_channel():
    MemoryBackend.outbox.clear()
    by_text = ResidentFactory(contact_channel="sms", mobile="+447700900123")
    by_email = ResidentFactory()
    officer = OfficerFactory()
    for days, resident in enumerate((by_text, by_email), start=2):
        walk = WalkFactory(
            resident=resident, officer=officer, starts_at=timezone.now() + timedelta(days=days)
        )
        notifications.walk_booked(walk, now=timezone.now())
    send_due()

    assert {m["to"] for m in MemoryBackend.outbox} == {"+447700900123"}
    [sms] = MemoryBackend.outbox
    assert (
        sms["reference"]
        == Notification.objects.get(recipient=by_text.user, kind="booking_confirmation").idempotency_key
    )
    emailed = {tuple(m.to) for m in mail.outbox}
    assert (by_email.user.email,) in emailed and (officer.user.email,) in emailed
    assert (by_text.user.email,) not in emailed
    assert Notification.objects.get(recipient=by_text.user, kind="booking_confirmation").channel == "sms"
