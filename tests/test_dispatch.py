"""The dispatcher's rules (walkandtalk/outbox/dispatch.py): re-checks, retries, clock changes, day plans, the
sergeant's resend, the SMS backends. (Real workers and the broker: test_notifications_delivery.py.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from participants import notices
from patrols import notifications
from patrols.models import LONDON, SafetyRating, Walk
from patrols.tasks import send_day_plans
from tests.factories import OfficerFactory, ResidentFactory, WalkFactory, sergeant_user
from tests.outbox import send_due
from walkandtalk.celery import app as celery_app
from walkandtalk.outbox import dispatch, sms
from walkandtalk.outbox.models import Notification
from walkandtalk.outbox.tasks import dispatch_notifications

pytestmark = pytest.mark.django_db


def test_beat_runs_the_dispatcher_every_minute_and_day_plans_at_seven_london_time():
    schedule = celery_app.conf.beat_schedule
    assert schedule["dispatch-notifications"]["task"] == dispatch_notifications.name
    assert str(schedule["dispatch-notifications"]["schedule"]) == str(schedule["heartbeat"]["schedule"])
    plans = schedule["day-plans"]
    assert plans["task"] == send_day_plans.name
    assert plans["schedule"].hour == {7} and plans["schedule"].minute == {0}
    assert celery_app.conf.timezone == "Europe/London"


# --- Time: reminders across the clock change ---------------------------------------------------


@pytest.mark.parametrize(
    ("walk_start", "first_reminder_local"),
    [
        # Clocks go back at 02:00 on Sunday 31 October 2027: 24 real hours before 19:00 GMT on the
        # Sunday is 20:00 BST on the Saturday (not 19:00).
        (datetime(2027, 10, 31, 19, 0, tzinfo=LONDON), datetime(2027, 10, 30, 20, 0)),
        # Clocks go forward at 01:00 on Sunday 28 March 2027.
        (datetime(2027, 3, 28, 19, 0, tzinfo=LONDON), datetime(2027, 3, 27, 18, 0)),
    ],
)
def test_reminders_are_24_and_2_real_hours_before_across_the_clock_change(walk_start, first_reminder_local):
    walk = WalkFactory(starts_at=walk_start)
    notifications.walk_booked(walk, now=walk_start - timedelta(days=5))
    due = sorted({n.due_at for n in Notification.objects.filter(kind="reminder")})
    start = walk_start.astimezone(UTC)  # real hours: London wall-clock arithmetic would be an hour out
    assert due == [start - timedelta(hours=24), start - timedelta(hours=2)]
    assert due[0].astimezone(LONDON).replace(tzinfo=None) == first_reminder_local
    assert due[1].astimezone(LONDON).hour == 17

    # Nothing goes a minute early; at the due time both parties get it, saying 19:00.
    assert send_due(now=due[0] - timedelta(minutes=1)) == 2  # the confirmations only
    mail.outbox.clear()
    assert send_due(now=due[0]) == 2
    assert {m.to[0] for m in mail.outbox} == {walk.resident.user.email, walk.officer.user.email}
    assert all("19:00" in m.subject for m in mail.outbox)


# --- Re-checks -----------------------------------------------------------------------------------


def test_a_moved_walks_old_reminders_never_go_and_the_new_ones_do():
    walk = WalkFactory(starts_at=timezone.now() + timedelta(days=3))
    notifications.walk_booked(walk, now=timezone.now())
    old = list(Notification.objects.filter(kind="reminder"))
    # A move that raced the dispatcher: the old rows were already claimed when it happened.
    Notification.objects.filter(kind="reminder").update(status="sending", due_at=timezone.now())
    Walk.objects.filter(pk=walk.pk).update(version=2)
    for notification in Notification.objects.filter(kind="reminder").select_related("recipient"):
        assert dispatch.deliver(notification, now=timezone.now()) == "cancelled"
    assert {n.data["version"] for n in old} == {1}
    assert not [m for m in mail.outbox if "Reminder" in m.subject]


def test_the_feedback_request_and_the_nudge_are_rechecked_when_due():
    now = timezone.now()
    rated = WalkFactory(starts_at=now - timedelta(days=1), status=Walk.Status.COMPLETED)
    logged = WalkFactory(starts_at=now - timedelta(days=2), status=Walk.Status.COMPLETED)
    quiet = WalkFactory(starts_at=now - timedelta(days=3), status=Walk.Status.COMPLETED)
    for walk in (rated, logged, quiet):
        notifications.walk_completed(walk, now=now - timedelta(hours=13))
    SafetyRating.objects.create(walk=rated, resident=rated.resident, rating=4)
    Walk.objects.filter(pk=logged.pk).update(nothing_to_log_at=now)

    send_due()

    sent = set(Notification.objects.filter(status="sent").values_list("about_id", "kind"))
    assert sent == {
        (rated.pk, "concern_nudge"),
        (logged.pk, "feedback_request"),
        (quiet.pk, "feedback_request"),
        (quiet.pk, "concern_nudge"),
    }
    assert set(Notification.objects.filter(status="cancelled").values_list("about_id", "kind")) == {
        (rated.pk, "feedback_request"),  # she has already answered
        (logged.pk, "concern_nudge"),  # the officer marked "nothing to log"
    }


def test_the_feedback_request_is_due_an_hour_after_the_walk_and_the_nudge_after_12_hours():
    now = timezone.now()
    walk = WalkFactory(starts_at=now - timedelta(hours=2), status=Walk.Status.COMPLETED)
    notifications.walk_completed(walk, now=now)
    assert send_due(now=now + timedelta(minutes=59)) == 0
    assert send_due(now=now + timedelta(hours=1)) == 1
    assert send_due(now=now + timedelta(hours=11, minutes=59)) == 0
    assert send_due(now=now + timedelta(hours=12)) == 1
    assert [m.to[0] for m in mail.outbox] == [walk.resident.user.email, walk.officer.user.email]


def test_day_plans_go_to_officers_with_walks_that_day_only():
    busy, free = OfficerFactory(), OfficerFactory()
    day_start = datetime(2026, 12, 8, 7, 0, tzinfo=LONDON)
    WalkFactory(officer=busy, starts_at=day_start + timedelta(hours=12))
    WalkFactory(officer=busy, starts_at=day_start + timedelta(hours=14))
    WalkFactory(officer=free, starts_at=day_start + timedelta(days=1))
    assert notifications.day_plans(day=day_start.date(), now=day_start) == 1
    assert notifications.day_plans(day=day_start.date(), now=day_start) == 1  # recorded once
    send_due(now=day_start)
    [plan] = mail.outbox
    assert plan.to == [busy.user.email]
    assert "19:00" in plan.body and "21:00" in plan.body


def test_send_day_plans_task_records_todays_plans():
    officer = OfficerFactory()
    WalkFactory(officer=officer, starts_at=timezone.now() + timedelta(minutes=30))
    with mock.patch.object(dispatch_notifications, "delay_on_commit"):
        send_day_plans()
    today = timezone.localtime(timezone.now(), LONDON).date()
    if timezone.localtime(timezone.now() + timedelta(minutes=30), LONDON).date() == today:
        assert Notification.objects.get(kind="day_plan").recipient == officer.user


# --- Failures and retries ------------------------------------------------------------------------


def test_a_failing_send_is_retried_with_backoff_then_marked_failed(settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_RETRY_SECONDS = 60
    resident = ResidentFactory(waiting_since=timezone.now())
    notices.waiting_list_joined(resident)
    row = Notification.objects.get()
    now = timezone.now()
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError("SMTP down")):
        send_due(now=now)
        row.refresh_from_db()
        assert (row.status, row.attempts, row.due_at) == ("pending", 1, now + timedelta(seconds=60))
        assert "SMTP down" in row.note
        assert send_due(now=now + timedelta(seconds=59)) == 0  # waiting
        send_due(now=now + timedelta(seconds=60))
        row.refresh_from_db()
        assert (row.status, row.attempts, row.due_at) == ("pending", 2, now + timedelta(seconds=180))
        send_due(now=now + timedelta(seconds=180))
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 3)
    assert mail.outbox == []


def test_a_claim_whose_worker_died_is_taken_again_after_the_lease(settings):
    settings.NOTIFICATION_RECLAIM_AFTER_SECONDS = 300
    notices.waiting_list_joined(ResidentFactory(waiting_since=timezone.now()))
    now = timezone.now()
    assert len(dispatch.claim_due(limit=10, now=now)) == 1  # ...and the worker dies here
    assert dispatch.claim_due(limit=10, now=now + timedelta(seconds=299)) == []
    assert send_due(now=now + timedelta(seconds=300)) == 1
    row = Notification.objects.get()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


def test_the_sergeant_sees_failed_messages_and_resends_them(client):
    resident = ResidentFactory(waiting_since=timezone.now())
    notices.waiting_list_joined(resident)
    Notification.objects.update(status="failed", attempts=5, note="SMTP down")
    sergeant = sergeant_user()
    client.force_login(sergeant)
    changelist = reverse("admin:outbox_notification_changelist")

    page = client.get(changelist, {"status__exact": "failed", "kind__exact": "waiting_list"})
    assert page.status_code == 200 and "SMTP down" in page.content.decode()
    assert "created_at__gte" in page.content.decode()  # the date filter

    row = Notification.objects.get()
    response = client.post(changelist, {"action": "resend", "_selected_action": [row.pk]}, follow=True)
    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.status, row.attempts, row.note) == ("pending", 0, "")
    send_due()
    assert mail.outbox[-1].to == [resident.user.email]


# --- SMS backends ------------------------------------------------------------------------------


def test_the_file_backend_writes_one_file_per_message(tmp_path):
    backend = sms.FileBackend(path=str(tmp_path))
    backend.send(to="+447700900123", body="Walk and Talk: hello", reference="walk:1:v1:reminder:user:2")
    [written] = tmp_path.glob("*.json")
    assert json.loads(written.read_text())["reference"] == "walk:1:v1:reminder:user:2"


def test_the_notify_backend_passes_the_idempotency_key_as_reference(settings):
    settings.NOTIFY_API_KEY = "key"
    settings.NOTIFY_SMS_TEMPLATE_ID = "template"
    with mock.patch("notifications_python_client.notifications.NotificationsAPIClient") as client:
        client.return_value.send_sms_notification.return_value = {"id": "notify-id-1"}
        backend = sms.get_backend("walkandtalk.outbox.sms.NotifyBackend")
        assert backend.send(to="+447700900123", body="Hello", reference="the-key") == "notify-id-1"
    client.assert_called_once_with("key")
    client.return_value.send_sms_notification.assert_called_once_with(
        phone_number="+447700900123",
        template_id="template",
        personalisation={"body": "Hello"},
        reference="the-key",
    )


# --- Bad rows: gone, broken, unknown ------------------------------------------------------------


def test_a_message_whose_walk_is_gone_is_cancelled_with_a_reason_not_retried():
    walk = WalkFactory()
    notifications.walk_booked(walk, now=timezone.now())
    walk.delete()  # the outbox has no foreign key to walks: its rows stay, about a walk that is gone
    send_due()
    rows = Notification.objects.filter(kind="booking_confirmation")
    assert set(rows.values_list("status", "note")) == {("cancelled", "The walk no longer exists.")}
    assert mail.outbox == []


def test_a_template_error_fails_that_message_visibly_and_the_batch_goes_on(settings, tmp_path):
    broken = tmp_path / "email"
    broken.mkdir()
    (broken / "waiting_list_subject.txt").write_text("{% if %}")  # a syntax error
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path), *settings.TEMPLATES[0]["DIRS"]]}]
    waiting = ResidentFactory(waiting_since=timezone.now())
    notices.waiting_list_joined(waiting)
    walk = WalkFactory()
    notifications.walk_booked(walk, now=timezone.now())

    send_due()

    failed = Notification.objects.get(kind="waiting_list")
    assert failed.status == "failed" and "TemplateSyntaxError" in failed.note
    assert failed.attempts == 1  # not retried: trying again cannot mend a template
    assert Notification.objects.filter(kind="booking_confirmation", status="sent").count() == 2
    client = Client()
    client.force_login(sergeant_user())
    page = client.get(reverse("admin:outbox_notification_changelist") + "?status__exact=failed")
    assert "TemplateSyntaxError" in page.content.decode()


def test_a_row_of_an_unknown_kind_fails_with_a_reason():
    Notification.objects.create(
        recipient=ResidentFactory().user, kind="no_such_kind", idempotency_key="unknown-1"
    )
    send_due()
    row = Notification.objects.get(idempotency_key="unknown-1")
    assert row.status == "failed" and "no_such_kind" in row.note


def test_a_reclaimed_sms_already_with_the_provider_is_not_sent_again(settings):
    class Remembers(sms.MemoryBackend):
        def already_sent(self, *, reference):
            return "notify-id-1" if reference in {m["reference"] for m in self.outbox} else ""

    sms.MemoryBackend.outbox.clear()
    resident = ResidentFactory(contact_channel="sms", mobile="+447700900123", waiting_since=timezone.now())
    notices.waiting_list_joined(resident)
    row = Notification.objects.get()
    backend = Remembers()
    now = timezone.now()
    dispatch.claim_due(limit=10, now=now)
    row.refresh_from_db()
    # The worker sends, and dies before marking it sent; the claim lapses and it is claimed again.
    backend.send(to="+447700900123", body="x", reference=row.idempotency_key)
    later = now + timedelta(seconds=settings.NOTIFICATION_RECLAIM_AFTER_SECONDS + 1)
    dispatch.claim_due(limit=10, now=later)
    row.refresh_from_db()
    assert row.reclaimed
    assert dispatch.deliver(row, now=later, sms_backend=backend) == "sent"
    assert len(backend.outbox) == 1  # asked first, not sent twice
    row.refresh_from_db()
    assert row.provider_reference == "notify-id-1"


def test_a_new_kind_is_a_class_and_needs_no_migration(tmp_path, settings, monkeypatch):
    """Issue 13 point 1: an app declares a kind beside its domain; the outbox sends it, unchanged."""
    from participants.messages import AboutResident
    from walkandtalk.outbox import kinds, outbox

    for folder, name, text in [
        ("email", "welcome_back_subject.txt", "Welcome back"),
        ("email", "welcome_back.txt", "Hello {{ name }},\n\nGood to see you again.\n\nWalk and Talk"),
        ("email", "welcome_back.html", "<html><body><p>Hello {{ name }},</p></body></html>"),
        ("sms", "welcome_back.txt", "Walk and Talk: good to see you again. {{ home_url }}"),
    ]:
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_text(text)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path), *settings.TEMPLATES[0]["DIRS"]]}]

    monkeypatch.setattr(kinds, "_registry", dict(kinds._registry))  # registered for this test only

    @kinds.register
    class WelcomeBack(AboutResident):
        slug = "welcome_back"
        title = "Welcome back"

    resident = ResidentFactory(preferred_name="Ngozi")
    outbox.record(WelcomeBack.build(recipient=resident.user, about_id=resident.pk))
    send_due()

    [message] = mail.outbox
    assert message.subject == "Welcome back" and "Hello Ngozi" in message.body
    assert Notification.objects.get(kind="welcome_back").status == "sent"
