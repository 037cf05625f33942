"""Push to officers' phones (issue 17, points 4 and 5): the server side.

An officer turns push on through the page's POST (as push-subscribe.js does), the real services book,
move and cancel walks, beat's dispatcher sends, and a local HTTP server stands in for the browser's
push service (tests/push_service.py): it checks the VAPID signature against the server's public key,
decrypts each message with the keys of the "browser" the test made (http_ece, aes128gcm), and answers
as the test says (201, 404, 410, 500).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from patrols import booking, concerns, notifications, referrals
from patrols.models import LONDON, ConcernCategory, Walk
from tests.factories import (
    AvailabilityWindowFactory,
    OfficerFactory,
    PairingFactory,
    PartnerFactory,
    ResidentFactory,
    WalkFactory,
)
from tests.outbox import send_due
from tests.push_service import PushService
from walkandtalk.outbox import vapid
from walkandtalk.outbox.models import Notification, PushSubscription

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=LONDON)  # a Monday
TUESDAY = date(2026, 12, 8)
PUSH = Notification.Channel.PUSH


def at(hhmm: str) -> datetime:
    return datetime.combine(TUESDAY, time.fromisoformat(hhmm), tzinfo=LONDON)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def service():
    with PushService() as running:
        yield running


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


def phone(user) -> Client:
    """A signed-in browser of hers (its own session)."""
    client = Client()
    client.force_login(user)
    return client


def turn_on(client: Client, subscription: dict, **extra) -> object:
    return client.post(
        reverse("participants:push_subscribe"),
        json.dumps(subscription),
        content_type="application/json",
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari",
        **extra,
    )


def book(resident, hhmm="19:00") -> Walk:
    return booking.book_walk(
        resident=resident,
        starts_at=at(hhmm),
        meeting_point="Peckham Library steps",
        route="Rye Lane, Bellenden Road, home",
        by=resident.user,
        now=NOW,
    )


def pushed(service, device: str | None = None) -> list[dict]:
    return [r["payload"] for r in service.received if device is None or r["device"] == device]


def assert_discreet(payload: dict, resident) -> None:
    text = json.dumps(payload).lower()
    for secret in (resident.preferred_name, resident.user.email, "peckham library", "rye lane", "police"):
        assert secret.lower() not in text, f"{secret!r} on the lock screen: {payload}"


# --- Turning push on ---------------------------------------------------------------------------------


def test_a_booking_reaches_her_phone_by_push_as_well_as_by_email(service, officer, resident):
    device = service.device("pixel")
    response = turn_on(phone(officer.user), service.subscription(device))
    assert response.status_code == 200, response.content
    assert response.json() == {"device": "Chrome on Android"}
    [subscription] = PushSubscription.objects.all()
    assert subscription.user == officer.user and subscription.session_key

    walk = book(resident)
    send_due(NOW)

    assert service.refused == []  # the VAPID signature verified, the body decrypted
    [received] = service.received
    assert received["payload"] == {
        "title": "Walk booked: Tue 8 Dec 19:00",
        "body": "Open to see the walk.",
        "url": f"http://testserver/app/walks/{walk.pk}/",
        "tag": f"walk-{walk.pk}",
    }
    assert received["ttl"] == 24 * 3600
    # The same Topic on every try of this message (a retry replaces an undelivered copy): 32 base64url.
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", received["topic"])
    assert_discreet(received["payload"], resident)
    # Her email went as before; the resident, who has no device, got only her email.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([officer.user.email, resident.user.email])
    row = Notification.objects.get(channel=PUSH)
    assert (row.recipient, row.kind, row.status) == (officer.user, "booking_confirmation", "sent")
    assert row.data["device"] == "Chrome on Android"
    assert row.provider_reference.startswith(service.origin + "/message/")
    subscription.refresh_from_db()
    assert subscription.last_success_at is not None


def test_each_device_gets_each_message_exactly_once(service, officer, resident):
    for name in ("pixel", "tablet"):
        assert turn_on(phone(officer.user), service.subscription(service.device(name))).status_code == 200
    walk = book(resident)
    # Beat runs again and again (and a task twice): each device still gets one message.
    for _ in range(3):
        send_due(NOW)
    send_due(NOW + timedelta(minutes=30))
    assert sorted(r["device"] for r in service.received) == ["pixel", "tablet"]
    assert service.requests == 2
    # Recorded once more (a retried booking transaction): the unique keys make it the same rows.
    notifications.walk_booked(walk, by=resident.user, now=NOW)
    send_due(NOW)
    assert service.requests == 2
    assert Notification.objects.filter(channel=PUSH).count() == 2


def test_the_same_browser_subscribing_again_keeps_one_device(service, officer, resident):
    device = service.device("pixel")
    client = phone(officer.user)
    for _ in range(2):
        assert turn_on(client, service.subscription(device)).status_code == 200
    assert PushSubscription.objects.count() == 1
    book(resident)
    send_due(NOW)
    assert len(service.received) == 1


def test_a_move_and_a_cancellation_are_pushed_discreetly(service, officer, resident):
    turn_on(phone(officer.user), service.subscription(service.device("pixel")))
    walk = book(resident)
    send_due(NOW)
    booking.move_walk(walk=walk, starts_at=at("20:00"), by=resident.user, now=NOW)
    send_due(NOW)
    booking.cancel_walk(walk=Walk.objects.get(pk=walk.pk), by=resident.user, now=NOW)
    send_due(NOW)
    titles = [p["title"] for p in pushed(service)]
    assert titles == [
        "Walk booked: Tue 8 Dec 19:00",
        "Walk moved: Tue 8 Dec 20:00",
        "Walk cancelled: Tue 8 Dec 20:00",
    ]
    assert {p["tag"] for p in pushed(service)} == {f"walk-{walk.pk}"}  # each replaces the last on the phone
    for payload in pushed(service):
        assert_discreet(payload, resident)


def test_booked_then_moved_before_sending_pushes_only_the_current_time(service, officer, resident):
    turn_on(phone(officer.user), service.subscription(service.device("pixel")))
    walk = book(resident)
    booking.move_walk(walk=walk, starts_at=at("20:00"), by=resident.user, now=NOW)
    send_due(NOW)
    assert [p["title"] for p in pushed(service)] == ["Walk booked: Tue 8 Dec 20:00"]
    replaced = Notification.objects.get(channel=PUSH, status=Notification.Status.REPLACED)
    assert replaced.data["version"] == 1


def test_her_day_plan_is_pushed(service, officer, resident):
    turn_on(phone(officer.user), service.subscription(service.device("pixel")))
    book(resident)
    send_due(NOW)
    notifications.day_plans(day=TUESDAY, now=NOW)
    send_due(NOW)
    assert pushed(service)[-1] == {
        "title": "Your day: 1 walk on Tue 8 Dec",
        "body": "Open Today for the times and meeting points.",
        "url": "http://testserver/app/today/",
        "tag": "day-plan-2026-12-08",
    }
    assert_discreet(pushed(service)[-1], resident)


def test_a_partners_question_is_pushed_and_its_other_answers_are_not(service, officer, resident):
    turn_on(phone(officer.user), service.subscription(service.device("pixel")))
    walk = WalkFactory(
        resident=resident, officer=officer, starts_at=NOW - timedelta(days=1),
        ends_at=NOW - timedelta(days=1, hours=-1), status=Walk.Status.COMPLETED,
    )  # fmt: skip
    concern, _ = concerns.log_concern(
        walk=walk, by=officer.user, category=ConcernCategory.objects.get(name="Badly lit"), severity="high",
        when_it_matters="after_dark", location_text="The underpass by the station",
        resident_said="Amira says it is dark", action="Ask the council to mend the lamp",
    )  # fmt: skip
    referral = referrals.refer(
        concern=concern, partner=PartnerFactory(name="Southwark Council"), by=officer.user
    )
    send_due(NOW)
    referrals.answer(referral=referral, kind=referrals.Answer.ACKNOWLEDGE, now=NOW)
    send_due(NOW)
    assert service.received == []  # an acknowledgement is not pushed (nor the referral's own email)
    referrals.answer(
        referral=referral, kind=referrals.Answer.QUESTION, note="Which side of the road?", now=NOW
    )
    send_due(NOW)
    assert pushed(service) == [
        {
            "title": "A partner has a question",
            "body": "About a concern you logged. Open to answer.",
            "url": f"http://testserver/app/concerns/{concern.pk}/",
            "tag": f"concern-{concern.pk}",
        }
    ]


# --- What the push service answers -----------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_no_longer_knows_is_removed(service, officer, resident, status):
    gone, kept = service.device("old-phone"), service.device("pixel")
    for device in (gone, kept):
        turn_on(phone(officer.user), service.subscription(device))
    service.answers["old-phone"] = status
    book(resident)
    send_due(NOW)
    assert [r["device"] for r in service.received] == ["pixel"]
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [
        service.subscription(kept)["endpoint"]
    ]
    cancelled = Notification.objects.get(channel=PUSH, status=Notification.Status.CANCELLED)
    assert f"({status})" in cancelled.note
    # Nothing more is tried for it.
    send_due(NOW + timedelta(hours=1))
    assert service.requests == 2


def test_a_push_service_failure_is_retried_later_and_delivered_once(service, officer, resident):
    turn_on(phone(officer.user), service.subscription(service.device("pixel")))
    service.answers["pixel"] = 500
    book(resident)
    send_due(NOW)
    row = Notification.objects.get(channel=PUSH)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "500" in row.note
    assert PushSubscription.objects.count() == 1  # a failure is not a goodbye
    service.answers["pixel"] = 201
    send_due(NOW)  # not due again yet
    assert service.received == []
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        send_due(NOW + timedelta(minutes=5))
        send_due(NOW + timedelta(minutes=10))
    assert len(service.received) == 1
    row.refresh_from_db()
    assert row.status == "sent"


def test_a_redirect_from_the_push_service_is_not_followed(service, officer, resident):
    """A redirect could point anywhere, our own network included: it is a failure, tried again later."""
    service.device("elsewhere")
    turn_on(phone(officer.user), service.subscription(service.device("pixel")))
    service.answers["pixel"] = 307
    book(resident)
    send_due(NOW)
    assert service.requests == 1 and service.received == []
    row = Notification.objects.get(channel=PUSH)
    assert row.status == "pending" and "307" in row.note


# --- Turning push off: the page, signing out, the session ending --------------------------------------


def test_signing_out_removes_that_devices_subscription_only(service, officer, resident):
    pixel, tablet = phone(officer.user), phone(officer.user)
    turn_on(pixel, service.subscription(service.device("pixel")))
    turn_on(tablet, service.subscription(service.device("tablet")))
    pixel.post(reverse("account_logout"))
    assert list(PushSubscription.objects.values_list("label", "endpoint")) == [
        ("Chrome on Android", f"{service.origin}/push/tablet")
    ]
    book(resident)
    send_due(NOW)
    assert [r["device"] for r in service.received] == ["tablet"]


def sign_in_on(client: Client, user, *, minutes_later: int) -> None:
    """The real sign-in, password then second factor (a fresh code: each is good once)."""
    from tests.factories import PASSWORD, totp_code

    with time_machine.travel(NOW + timedelta(minutes=minutes_later), tick=False):
        response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
        assert client.post(response.url, {"code": totp_code()}).status_code == 302


def test_signing_in_again_on_the_phone_keeps_its_push_and_signing_out_then_removes_it(service, officer):
    from django.conf import settings

    client = Client()
    sign_in_on(client, officer.user, minutes_later=0)
    turn_on(client, service.subscription(service.device("pixel")))
    first_session = PushSubscription.objects.get().session_key
    # Her staff session ends with the browser (or after 12 hours); she signs in again on the same phone.
    del client.cookies[settings.SESSION_COOKIE_NAME]
    sign_in_on(client, officer.user, minutes_later=1)
    device = PushSubscription.objects.get()
    assert device.session_key == client.session.session_key != first_session
    assert "Notifications are on for this phone" in client.get(reverse("participants:push")).content.decode()
    client.post(reverse("account_logout"))
    assert not PushSubscription.objects.exists()


def test_someone_else_signing_in_on_the_phone_ends_the_last_persons_push(service, officer):
    from django.conf import settings

    client = Client()
    sign_in_on(client, officer.user, minutes_later=0)
    turn_on(client, service.subscription(service.device("shared")))
    del client.cookies[settings.SESSION_COOKIE_NAME]  # she never signed out; her session ran out
    colleague = OfficerFactory()
    sign_in_on(client, colleague.user, minutes_later=1)
    assert not PushSubscription.objects.exists()


def test_a_forged_device_cookie_is_ignored(service, officer):
    from django.conf import settings

    turn_on(phone(officer.user), service.subscription(service.device("pixel")))
    device = PushSubscription.objects.get()
    other = phone(OfficerFactory().user)
    other.cookies[settings.PUSH_DEVICE_COOKIE_NAME] = str(device.pk)  # unsigned: a guess
    other.post(reverse("account_logout"))
    assert PushSubscription.objects.filter(pk=device.pk).exists()


def test_a_device_whose_session_ended_elsewhere_is_not_pushed_to(service, officer, resident):
    from django.contrib.sessions.models import Session

    turn_on(phone(officer.user), service.subscription(service.device("pixel")))
    book(resident)
    Session.objects.all().delete()  # signed out from another device, or the session ran out
    send_due(NOW)
    assert service.requests == 0
    row = Notification.objects.get(channel=PUSH)
    assert row.status == "cancelled" and "session has ended" in row.note
    assert not PushSubscription.objects.exists()


def test_turning_off_on_the_page_stops_what_was_waiting(service, officer, resident):
    client = phone(officer.user)
    subscription = service.subscription(service.device("pixel"))
    turn_on(client, subscription)
    book(resident)
    response = client.post(
        reverse("participants:push_unsubscribe"),
        json.dumps({"endpoint": subscription["endpoint"]}),
        content_type="application/json",
    )
    assert response.json() == {"removed": 1}
    send_due(NOW)
    assert service.requests == 0
    assert Notification.objects.get(channel=PUSH).status == "cancelled"


def test_she_removes_a_lost_phone_but_never_another_officers(service, officer):
    other = OfficerFactory()
    turn_on(phone(officer.user), service.subscription(service.device("lost")))
    mine = PushSubscription.objects.get()
    response = phone(other.user).post(reverse("participants:push_device_remove", args=[mine.pk]))
    assert response.status_code == 404
    response = phone(officer.user).post(reverse("participants:push_device_remove", args=[mine.pk]))
    assert response.status_code == 302
    assert not PushSubscription.objects.exists()


def test_the_sergeants_outbox_shows_each_phone_as_its_own_row(service, officer, resident, sergeant):
    for name in ("pixel", "tablet"):
        turn_on(phone(officer.user), service.subscription(service.device(name)))
    book(resident)
    send_due(NOW)
    client = phone(sergeant)
    page = client.get(reverse("admin:outbox_notification_changelist"), {"channel": "push"}).content.decode()
    assert page.count(f"{officer.user.email} · Chrome on Android") == 2
    assert "Amira" not in page


def test_the_page_shows_this_phone_and_her_other_devices(service, officer):
    here = phone(officer.user)
    turn_on(here, service.subscription(service.device("pixel")))
    turn_on(phone(officer.user), service.subscription(service.device("tablet")))
    page = here.get(reverse("participants:push")).content.decode()
    assert "Notifications are on for this phone" in page
    assert page.count("Chrome on Android") >= 2 and "this phone" in page
    assert f'data-public-key="{vapid.public_key_of(push_private_key())}"' in page
    other_page = phone(officer.user).get(reverse("participants:push")).content.decode()
    assert "Notifications are off for this phone" in other_page


def push_private_key() -> str:
    from django.conf import settings

    return settings.VAPID_PRIVATE_KEY


# --- Hostile input on the subscription POST ------------------------------------------------------------


def keys() -> dict:
    from tests.push_service import Device

    return Device("x").keys()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not a subscription"),
        (b"\xff\xfe", "not a subscription"),
        (b"[]", "no subscription"),
        (b'"https://fcm.googleapis.com/x"', "no subscription"),
        (json.dumps({"endpoint": "https://fcm.googleapis.com/" + "a" * 5000}).encode(), "too much"),
        ({"endpoint": "https://fcm.googleapis.com/" + "a" * 1100}, "too long"),
        ({"endpoint": "http://fcm.googleapis.com/fcm/send/abc"}, "https://"),
        ({"endpoint": "ftp://fcm.googleapis.com/abc"}, "https://"),
        ({"endpoint": "https://10.0.0.5/push"}, "public internet"),
        ({"endpoint": "https://169.254.169.254/latest/meta-data/"}, "public internet"),
        ({"endpoint": "https://[::1]/push"}, "public internet"),
        ({"endpoint": "https://localhost/push"}, "public internet"),
        ({"endpoint": "https://redis.internal/push"}, "public internet"),
        ({"endpoint": "https://postgres/push"}, "public internet"),
        ({"endpoint": "https://127.1/push"}, "public internet"),
        ({"endpoint": "https://0x7f.1/push"}, "public internet"),
        ({"endpoint": "https://2130706433/push"}, "public internet"),
        ({"endpoint": "https://metadata.google.internal./push"}, "public internet"),
        ({"endpoint": "https://user:pw@fcm.googleapis.com/x"}, "not a push address"),
        ({"endpoint": "https://fcm.googleapis.com:6379/x"}, "not a push address"),
        ({"endpoint": "https://[bad/x"}, "not a push address"),
        ({"endpoint": 12}, "no push address"),
        ({"endpoint": "https://fcm.googleapis.com/x"}, "no encryption keys"),
        (
            {"endpoint": "https://fcm.googleapis.com/x", "keys": {"p256dh": "short", "auth": "A" * 22}},
            "p256dh",
        ),
        ({"endpoint": "https://fcm.googleapis.com/x", "keys": {"p256dh": "!!", "auth": "A" * 22}}, "p256dh"),
        ({"endpoint": "https://fcm.googleapis.com/x", "keys": {"auth": "A" * 22}}, "p256dh"),
        ({"endpoint": "https://fcm.googleapis.com/x", "keys": "keys"}, "no encryption keys"),
    ],
)
def test_hostile_subscriptions_get_a_clear_400(officer, body, message):
    client = phone(officer.user)
    if isinstance(body, dict):
        body = json.dumps(
            {"keys": keys(), **body} if "keys" not in body and "encryption" not in message else body
        )
    response = client.post(reverse("participants:push_subscribe"), body, content_type="application/json")
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize("url", ["participants:push_subscribe", "participants:push_unsubscribe"])
def test_a_form_or_a_huge_body_instead_of_json_gets_a_400(officer, url):
    client = phone(officer.user)
    response = client.post(
        reverse("participants:push_subscribe"), {"endpoint": "https://fcm.googleapis.com/x"}
    )
    assert response.status_code == 400 and "not a subscription" in response.json()["error"]
    huge = json.dumps({"endpoint": "https://fcm.googleapis.com/x", "padding": "x" * 3_000_000})
    response = client.post(reverse(url), huge, content_type="application/json")
    assert response.status_code == 400
    assert not PushSubscription.objects.exists()


def test_a_public_push_service_address_is_accepted(officer):
    response = phone(officer.user).post(
        reverse("participants:push_subscribe"),
        json.dumps({"endpoint": "https://fcm.googleapis.com/fcm/send/abc:def", "keys": keys()}),
        content_type="application/json",
    )
    assert response.status_code == 200


def test_an_endpoint_whose_name_now_resolves_inside_our_network_is_never_requested(
    officer, resident, monkeypatch
):
    """DNS may change after the check at subscribe time: at send time the name is resolved again."""
    import socket

    phone(officer.user).post(
        reverse("participants:push_subscribe"),
        json.dumps({"endpoint": "https://push.example.net/abc", "keys": keys()}),
        content_type="application/json",
    )
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("10.1.2.3", 443))])
    book(resident)
    send_due(NOW)
    row = Notification.objects.get(channel=PUSH)
    assert row.status == "cancelled" and "public internet" in row.note
    assert not PushSubscription.objects.exists()


# --- Keys ---------------------------------------------------------------------------------------------


def test_vapid_keys_prints_a_new_pair_for_the_environment(capsys):
    call_command("vapid_keys", subject="mailto:sergeant@example.org")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    assert set(lines) == {"VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT"}
    assert vapid.public_key_of(lines["VAPID_PRIVATE_KEY"]) == lines["VAPID_PUBLIC_KEY"]
    assert len(vapid.b64url_decode(lines["VAPID_PUBLIC_KEY"])) == 65
    assert lines["VAPID_SUBJECT"] == "mailto:sergeant@example.org"
    call_command("vapid_keys")
    assert capsys.readouterr().out.split()[1] != f"VAPID_PRIVATE_KEY={lines['VAPID_PRIVATE_KEY']}"


def test_the_test_key_pair_is_derived_not_committed(settings):
    assert vapid.derive_key_pair(seed="test-suite") == (settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY)
    assert vapid.derive_key_pair(seed="another") != vapid.derive_key_pair(seed="test-suite")


def test_the_stand_in_refuses_a_signature_that_is_not_ours():
    """The stand-in's check is real: a JWT signed by another key, or for another origin, is refused."""
    from py_vapid import Vapid

    from tests.push_service import verify_vapid

    claims = {"sub": "mailto:x@example.org", "aud": "http://127.0.0.1:9", "exp": int(NOW.timestamp()) + 3600}
    ours = Vapid.from_string(push_private_key())
    assert verify_vapid(ours.sign(dict(claims))["Authorization"], audience="http://127.0.0.1:9") == ""
    assert "aud" in verify_vapid(ours.sign(dict(claims))["Authorization"], audience="http://127.0.0.1:8")
    other = Vapid()
    other.generate_keys()
    header = (
        ours.sign(dict(claims))["Authorization"].split(",k=")[0]
        + ",k="
        + vapid.encode_pair(other.private_key)[1]
    )
    assert "public key" in verify_vapid(header, audience="http://127.0.0.1:9")
    forged = (
        other.sign(dict(claims))["Authorization"].split(",k=")[0]
        + ",k="
        + vapid.public_key_of(push_private_key())
    )
    assert "does not verify" in verify_vapid(forged, audience="http://127.0.0.1:9")


def test_a_password_change_keeps_this_phones_push(service, officer):
    """Changing her password gives the session a new key; the subscription follows it."""
    from tests.factories import PASSWORD

    client = Client()
    sign_in_on(client, officer.user, minutes_later=0)
    turn_on(client, service.subscription(service.device("pixel")))
    before = client.session.session_key
    new = "An0ther-long-passphrase-for-tests"
    response = client.post(
        reverse("account_change_password"), {"oldpassword": PASSWORD, "password1": new, "password2": new}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.session.session_key != before
    assert PushSubscription.objects.get().session_key == client.session.session_key


def test_with_push_switched_off_nothing_is_pushed_or_kept(service, officer, resident, settings):
    turn_on(phone(officer.user), service.subscription(service.device("pixel")))
    settings.PUSH_ENABLED = False
    response = turn_on(phone(officer.user), service.subscription(service.device("tablet")))
    assert response.status_code == 400 and "switched off" in response.json()["error"]
    book(resident)
    send_due(NOW)
    assert not Notification.objects.filter(channel=PUSH).exists() and service.requests == 0
    assert len(mail.outbox) == 2  # the emails go as ever
