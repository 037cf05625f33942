"""Composing messages (the kinds in participants/ and patrols/messages.py): every kind renders a
subject, text, HTML and a single SMS; messages to residents are discreet; the booking confirmation
carries the calendar invite."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from patrols import notifications
from patrols.models import Concern, ConcernCategory, Walk
from tests.factories import OfficerFactory, PairingFactory, PartnerFactory, ResidentFactory, WalkFactory, ward
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
        partner=PartnerFactory(name="Police (neighbourhood team)", kind="other"),
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


def first_lines(text: str, count: int = 2) -> list[str]:
    """The first `count` non-empty lines: what a notification preview shows under the subject."""
    return [line.strip() for line in text.splitlines() if line.strip()][:count]


class _TextBlocks(HTMLParser):
    """The body's text, one line per block (a paragraph, a heading, a list item, a line break)."""

    BLOCKS = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "tr", "td", "table"}

    def __init__(self):
        super().__init__()
        self.in_body, self.lines, self.current = False, [], []

    def handle_starttag(self, tag, attrs):
        self.in_body = self.in_body or tag == "body"
        if tag in self.BLOCKS:
            self.end_line()

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.end_line()

    def handle_data(self, data):
        if self.in_body:
            self.current.append(data)

    def end_line(self):
        line = " ".join("".join(self.current).split())
        if line:
            self.lines.append(line)
        self.current = []


def html_first_lines(html: str, count: int = 2) -> list[str]:
    parser = _TextBlocks()
    parser.feed(html)
    parser.close()
    parser.end_line()
    return parser.lines[:count]


def assert_discreet_preview(kind: str, *previews: str) -> None:
    """Nothing a passer-by may read on her lock screen says police, or the rank "PC"."""
    for visible in previews:
        assert "police" not in visible.lower(), (kind, visible)
        assert "PC " not in visible, (kind, visible)


def test_the_preview_helpers_find_two_lines():
    assert first_lines("\nHello Amira,\n\nYou will walk\nwith PC X\n") == ["Hello Amira,", "You will walk"]
    html = (
        "<html><head><title>police</title></head><body><p>Hello,</p>\n<p>Welcome.\nYou will walk</p><p>PC</p>"
    )
    assert html_first_lines(html) == ["Hello,", "Welcome. You will walk"]


@pytest.mark.parametrize("kind", RESIDENT_KINDS)
def test_no_resident_message_says_police_where_others_may_see_it(kind):
    """The subject, the first two lines of the text and of the HTML, and the whole SMS (issue 14
    point 12): a notification preview shows these. Later lines may name her officer with rank."""
    s = scene()
    message = compose(row(kind, s["resident"].user, s))
    assert len(first_lines(message.text)) == 2 and len(html_first_lines(message.html)) == 2
    assert_discreet_preview(
        kind, message.subject, *first_lines(message.text), *html_first_lines(message.html), message.sms
    )
    for attachment in message.attachments:  # the calendar entry's title shows on her lock screen too
        summary = Calendar.from_ical(attachment.content).walk("VEVENT")[0]["summary"]
        assert "police" not in str(summary).lower()


# Each kind's other wordings: who made the change, her own change, walks that went with a pairing, a
# reason typed by her officer (which may say anything).
VARIANTS = [
    {"by_role": "officer"},
    {"by_role": "sergeant"},
    {"by_role": "resident", "by_self": True},
    {"walks_cancelled": 2, "after_waiting": True},
]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("kind", RESIDENT_KINDS)
def test_every_wording_of_a_resident_message_keeps_its_preview_discreet(kind, variant):
    s = scene()
    Walk.objects.filter(pk=s["walk"].pk).update(
        cancel_reason="PC Okonkwo-Williams is needed at the police station", cancelled_by=s["officer"].user
    )
    notification = row(kind, s["resident"].user, s)
    data = {key: value for key, value in variant.items() if key != "by_self"}
    if variant.get("by_self"):
        data["by"] = s["resident"].user.pk
    notification.data = {**notification.data, **data}
    message = compose(notification)
    assert_discreet_preview(
        kind, message.subject, *first_lines(message.text), *html_first_lines(message.html), message.sms
    )


@pytest.mark.parametrize("situation", ["sign-up", "sign-up again", "reset", "reset unknown"])
def test_allauths_emails_keep_their_preview_discreet(client, situation):
    """Sign-up verification and password reset (and their look-alikes for a known or an unknown
    address): the subject and the first two lines of the text (and of any HTML) never say police."""
    from django.urls import reverse

    from tests.factories import UserFactory

    mail.outbox.clear()
    password = "a-long-new-password-for-walking"
    signup = {"email": "amira@example.org", "password1": password, "password2": password}
    if situation == "sign-up":
        client.post(reverse("account_signup"), signup)
    elif situation == "sign-up again":
        UserFactory(email="amira@example.org")
        client.post(reverse("account_signup"), signup)
    elif situation == "reset":
        UserFactory(email="amira@example.org")
        client.post(reverse("account_reset_password"), {"email": "amira@example.org"})
    else:
        client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    [message] = mail.outbox
    lines = first_lines(message.body)
    assert len(lines) == 2
    html = [html_first_lines(body) for body, mimetype in message.alternatives if mimetype == "text/html"]
    assert_discreet_preview(situation, message.subject, *lines, *(line for found in html for line in found))


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
