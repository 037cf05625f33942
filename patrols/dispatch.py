"""The outbox dispatcher: send what is due, each message once (DESIGN.md: Reminders and other messages).

The Notification row, not the broker, is the truth. Every minute beat runs `dispatch_due`:
1. `claim_due` — in one transaction, `select_for_update(skip_locked=True)` on due rows, marked
   `sending` (attempts + 1). Two dispatchers at once claim different rows; a row stays claimed until
   its claim expires: while a row is `sending`, `due_at` is when the claim lapses, so a row whose
   worker died mid-send (SIGKILL, a lost machine) is claimed again after
   NOTIFICATION_RECLAIM_AFTER_SECONDS. That makes delivery at-least-once in the worst case (killed
   after the provider accepted, before the row was marked); the provider reference and the email's
   Message-ID, both derived from the idempotency key, let the provider or mail client drop that one.
2. For each claimed row, `deliver`: re-check that it still applies (the walk may have been cancelled,
   moved or started since it was written) — if not, `cancelled`; else compose, send, and mark `sent`,
   only if the claim is still ours (`filter(pk=..., status="sending", attempts=...)`).
3. A failed send waits and is tried again (doubling waits); after NOTIFICATION_MAX_ATTEMPTS it is
   `failed`, visible to the sergeant in the admin, who can resend it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from participants.models import Pairing

from . import sms
from .messages import compose, day_of
from .models import Concern, Notification, SafetyRating, Walk

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Status = Notification.Status

# Time left in a beat run for more batches; below the task's soft time limit.
RUN_SECONDS = 45


def _claim_lease() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_RECLAIM_AFTER_SECONDS)


def claim_due(*, limit: int, now: datetime) -> list[int]:
    """Claim up to `limit` due rows (pending, or sending with a lapsed claim); return their ids."""
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status__in=[Status.PENDING, Status.SENDING], due_at__lte=now)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(
                status=Status.SENDING, attempts=F("attempts") + 1, due_at=now + _claim_lease()
            )
    return ids


# --- Does it still apply? -----------------------------------------------------------------------

_VERSION = re.compile(r"^walk:\d+:v(\d+):")


def _written_for_version(notification: Notification) -> int | None:
    match = _VERSION.match(notification.idempotency_key)
    return int(match.group(1)) if match else None


def why_not(notification: Notification, *, now: datetime) -> str:
    """Why this message should no longer be sent ("" when it should)."""
    kind = notification.kind
    walk: Walk | None = notification.walk
    if kind in (Kind.BOOKING_CONFIRMATION, Kind.REMINDER, Kind.WALK_MOVED):
        if walk is None or walk.status == Walk.Status.CANCELLED:
            return "The walk was cancelled."
        if kind == Kind.REMINDER:
            if _written_for_version(notification) != walk.version:
                return "The walk was moved: this reminder was for its old time."
            if walk.status != Walk.Status.BOOKED or walk.starts_at <= now:
                return "The walk has already started."
        if kind == Kind.WALK_MOVED and _written_for_version(notification) != walk.version:
            return "The walk was moved again: a newer message says so."
    elif kind == Kind.DAY_PLAN:
        day = day_of(notification)
        officer = getattr(notification.recipient, "officer", None)
        if day is None or officer is None:
            return "No day or officer for this day plan."
        if not Walk.objects.filter(officer=officer, status=Walk.Status.BOOKED, starts_at__date=day).exists():
            return "She has no walks that day any more."
    elif kind == Kind.FEEDBACK_REQUEST:
        if walk is None or walk.status != Walk.Status.COMPLETED:
            return "The walk was not completed."
        if SafetyRating.objects.filter(walk=walk).exists():
            return "She has already said how safe she feels."
    elif kind == Kind.CONCERN_NUDGE:
        if walk is None or walk.status != Walk.Status.COMPLETED:
            return "The walk was not completed."
        if walk.nothing_to_log_at is not None or walk.concerns.exists():
            return "The walk's concerns are logged."
    elif kind == Kind.CONCERN_RESOLVED:
        concern = notification.concern
        if concern is None or concern.status != Concern.Status.RESOLVED:
            return "The concern is no longer resolved."
    elif kind == Kind.CONCERN_REOPENED:
        concern = notification.concern
        if concern is None or concern.status not in (Concern.Status.OPEN, Concern.Status.REFERRED):
            return "The concern has been resolved or closed again since."
    elif kind == Kind.REPEAT_WALK_OFFER:
        if walk is None or walk.concerns.exclude(status__in=["resolved", "closed"]).exists():
            return "Not every concern from the walk is resolved any more."
        if not Pairing.objects.active().filter(resident=walk.resident, officer=walk.officer).exists():
            return "She is no longer paired with that officer."
    elif kind in (Kind.PAIRED, Kind.REASSIGNED):
        if notification.pairing is None or not notification.pairing.is_active:
            return "The pairing has ended since: a newer message says so."
    elif kind == Kind.WAITING_LIST:
        resident = getattr(notification.recipient, "resident", None)
        if resident is None or not resident.is_waiting:
            return "She is no longer on the waiting list."
    elif kind == Kind.RETENTION_WARNING:
        resident = getattr(notification.recipient, "resident", None)
        if resident is None or resident.erased_at is not None:
            return "Her account has been erased."
        if resident.retention_warned_at is None:
            return "She has used her account since."
    return ""


# --- Sending ------------------------------------------------------------------------------------


def message_id(key: str) -> str:
    """The email's Message-ID, the same on every try: a duplicate is recognisably the same message."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@walkandtalk.notification>"


def send(notification: Notification, *, connection=None, sms_backend=None) -> str:
    """Compose and send one message; return the provider's reference."""
    message = compose(notification)
    recipient = notification.recipient
    if notification.channel == Notification.Channel.SMS:
        backend = sms_backend or sms.get_backend()
        return backend.send(
            to=str(recipient.resident.mobile), body=message.sms, reference=notification.idempotency_key
        )
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        to=[recipient.email],
        connection=connection,
        headers={"Message-ID": message_id(notification.idempotency_key)},
    )
    email.extra_headers["X-Walkandtalk-Key"] = notification.idempotency_key
    email.attach_alternative(message.html, "text/html")
    for filename, content, mimetype in message.attachments:
        email.attach(filename, content, mimetype)
    email.send()
    return ""


def _finish(notification: Notification, **fields) -> bool:
    """Settle our claim; False if the claim was no longer ours (it lapsed and was taken again)."""
    return bool(
        Notification.objects.filter(
            pk=notification.pk, status=Status.SENDING, attempts=notification.attempts
        ).update(**fields)
    )


def _failed(notification: Notification, error: Exception, *, now: datetime) -> None:
    text = f"{type(error).__name__}: {error}"[:2000]
    if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        _finish(notification, status=Status.FAILED, last_error=text)
        logger.error(
            "Notification %s failed after %s attempts: %s", notification.pk, notification.attempts, text
        )
        return
    wait = timedelta(seconds=settings.NOTIFICATION_RETRY_SECONDS * 2 ** (notification.attempts - 1))
    _finish(notification, status=Status.PENDING, due_at=now + wait, last_error=text)
    logger.warning("Notification %s will be tried again in %s: %s", notification.pk, wait, text)


def deliver(notification: Notification, *, now: datetime, connection=None, sms_backend=None) -> str:
    """Send one claimed message if it still applies. Returns its new status."""
    if notification.attempts > settings.NOTIFICATION_MAX_ATTEMPTS:
        # Claimed again and again without finishing: its worker keeps dying while sending it.
        _finish(notification, status=Status.FAILED, last_error="The worker stopped while sending, every try.")
        return Status.FAILED
    reason = why_not(notification, now=now)
    if reason:
        _finish(notification, status=Status.CANCELLED, last_error=reason)
        return Status.CANCELLED
    try:
        reference = send(notification, connection=connection, sms_backend=sms_backend)
    except Exception as error:  # noqa: BLE001 — whatever the provider raises, the row is retried
        _failed(notification, error, now=now)
        return Status.PENDING
    _finish(notification, status=Status.SENT, sent_at=timezone.now(), provider_reference=reference[:100])
    return Status.SENT


def _claimed(ids: list[int]) -> Iterable[Notification]:
    return (
        Notification.objects.filter(pk__in=ids, status=Status.SENDING)
        .select_related(
            "recipient__resident",
            "recipient__officer",
            "walk__resident__user",
            "walk__officer__user",
            "pairing__officer",
            "pairing__resident",
            "concern__category",
        )
        .order_by("due_at", "pk")
    )


def dispatch_due(
    *, limit: int | None = None, now: datetime | None = None, max_seconds: float = RUN_SECONDS
) -> int:
    """Claim and send due messages, batch after batch, until none is due or time is up.
    Returns how many messages were handled (sent, cancelled or retried)."""
    batch = limit or settings.NOTIFICATION_BATCH_SIZE
    deadline = time.monotonic() + max_seconds
    handled = 0
    sms_backend = sms.get_backend()
    while True:
        current = now or timezone.now()
        ids = claim_due(limit=batch, now=current)
        if not ids:
            break
        with get_connection() as connection:
            for notification in _claimed(ids):
                deliver(notification, now=current, connection=connection, sms_backend=sms_backend)
        handled += len(ids)
        if len(ids) < batch or time.monotonic() > deadline:
            break
    return handled


def resend(*, notifications, now: datetime | None = None) -> int:
    """The sergeant resends failed messages: pending again, due now, with fresh attempts."""
    return notifications.filter(status=Status.FAILED).update(
        status=Status.PENDING, due_at=now or timezone.now(), attempts=0, last_error=""
    )
