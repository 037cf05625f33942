"""The outbox dispatcher: send what is due, each message once (DESIGN.md: Messages).

The Notification row, not the broker, is the truth. Every minute beat runs `dispatch_due`:
1. `claim_due` — in one transaction, `select_for_update(skip_locked=True)` on due rows, marked
   `sending` (attempts + 1). Two dispatchers at once claim different rows. While a row is `sending`,
   `due_at` is when its claim lapses, so a row whose worker died mid-send (SIGKILL, a lost machine)
   is claimed again after NOTIFICATION_RECLAIM_AFTER_SECONDS, marked `reclaimed`.
2. For each claimed row, `deliver`: its kind loads what it is about (gone → `cancelled`) and says
   whether it is still wanted (no → `cancelled`, with the reason); then compose (a template error →
   `failed` at once, with the error: retrying cannot mend a template), send, and mark `sent` with the
   provider's answer in one conditional UPDATE, only if the claim is still ours.
3. A failed send waits and is tried again (doubling waits); after NOTIFICATION_MAX_ATTEMPTS it is
   `failed`, visible to the sergeant in the admin, who can resend it.

The guarantee is at-least-once with a bounded window: a worker killed after the provider accepted a
message and before that UPDATE committed (a few milliseconds) leaves the row `sending`, and the
reclaim sends it again. The window is narrowed where the provider helps: a reclaimed SMS is first
looked up by its reference (GOV.UK Notify keeps it), and every try of an email carries the same
Message-ID, so a mail system or client can recognise the duplicate.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import datetime, timedelta
from email.mime.base import MIMEBase
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.utils import timezone

from . import kinds, push, sms
from .compose import compose
from .models import Notification

logger = logging.getLogger(__name__)

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
                reclaimed=Case(When(status=Status.SENDING, then=Value(True)), default=F("reclaimed")),
                status=Status.SENDING,
                attempts=F("attempts") + 1,
                due_at=now + _claim_lease(),
            )
    return ids


# --- Sending ------------------------------------------------------------------------------------


def message_id(key: str) -> str:
    """The email's Message-ID, the same on every try: a duplicate is recognisably the same message."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@walkandtalk.notification>"


def _attachment(attachment: kinds.Attachment) -> MIMEBase:
    # Built by hand so the Content-Type keeps its parameters (text/calendar; method=REQUEST), which
    # is what makes a mail client offer "add to calendar" or update the event in place.
    maintype, _, rest = attachment.mimetype.partition("/")
    subtype, *params = [part.strip() for part in rest.split(";")]
    if maintype == "text":
        part = MIMEText(attachment.content.decode(), subtype, "utf-8")
    else:
        part = MIMEBase(maintype, subtype)
        part.set_payload(attachment.content)
    for param in params:
        name, _, value = param.partition("=")
        part.set_param(name, value)
    part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
    return part


def send(kind: kinds.MessageKind, message, *, connection=None, sms_backend=None) -> str:
    """Send one composed message; return the provider's reference."""
    notification = kind.notification
    if notification.channel == Notification.Channel.PUSH:
        # Each row is one device, so a retry after a failure never pushes again to another phone.
        device = push.subscription_for(notification)
        return push.get_backend().send(
            device=device, content=message.push, reference=notification.idempotency_key
        )
    if notification.channel == Notification.Channel.SMS:
        backend = sms_backend or sms.get_backend()
        if notification.reclaimed:
            # The last try may have reached the provider before its worker died: ask first.
            earlier = backend.already_sent(reference=notification.idempotency_key)
            if earlier:
                return earlier
        return backend.send(to=kind.address(), body=message.sms, reference=notification.idempotency_key)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        to=kind.addresses(),
        connection=connection,
        headers={"Message-ID": message_id(notification.idempotency_key)},
    )
    email.extra_headers["X-Walkandtalk-Key"] = notification.idempotency_key
    email.extra_headers["X-Walkandtalk-Kind"] = notification.kind
    email.attach_alternative(message.html, "text/html")
    for attachment in message.attachments:
        email.attach(_attachment(attachment))
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
        _finish(notification, status=Status.FAILED, note=text)
        logger.error(
            "Notification %s failed after %s attempts: %s", notification.pk, notification.attempts, text
        )
        return
    wait = timedelta(seconds=settings.NOTIFICATION_RETRY_SECONDS * 2 ** (notification.attempts - 1))
    _finish(notification, status=Status.PENDING, due_at=now + wait, note=text)
    logger.warning("Notification %s will be tried again in %s: %s", notification.pk, wait, text)


# Errors in our own templates or context: trying again later cannot help.
COMPOSE_ERRORS = (TemplateDoesNotExist, TemplateSyntaxError, AttributeError, KeyError, TypeError, ValueError)


def deliver(notification: Notification, *, now: datetime, connection=None, sms_backend=None) -> str:
    """Send one claimed message if it is still wanted. Returns its new status."""
    if notification.attempts > settings.NOTIFICATION_MAX_ATTEMPTS:
        # Claimed again and again without finishing: its worker keeps dying while sending it.
        _finish(notification, status=Status.FAILED, note="The worker stopped while sending, every try.")
        return Status.FAILED
    kind_class = kinds.get(notification.kind)
    if kind_class is None:
        _finish(notification, status=Status.FAILED, note=f"No such kind of message: {notification.kind!r}.")
        logger.error("Notification %s has an unknown kind %r", notification.pk, notification.kind)
        return Status.FAILED
    kind = kind_class(notification)
    try:
        kind.load()
        reason = kind.why_not(now=now)
    except kinds.Gone as gone:
        reason = str(gone)
    if reason:
        _finish(notification, status=Status.CANCELLED, note=reason)
        return Status.CANCELLED
    try:
        message = compose(kind)
    except COMPOSE_ERRORS as error:
        text = f"Could not compose the message: {type(error).__name__}: {error}"[:2000]
        _finish(notification, status=Status.FAILED, note=text)
        logger.error("Notification %s: %s", notification.pk, text)
        return Status.FAILED
    try:
        reference = send(kind, message, connection=connection, sms_backend=sms_backend)
    except (kinds.Gone, push.SubscriptionGone) as gone:
        # The device turned push off, signed out, or its push service forgot it (404/410): no retry.
        _finish(notification, status=Status.CANCELLED, note=str(gone))
        return Status.CANCELLED
    except Exception as error:  # noqa: BLE001 — whatever the provider raises, the row is retried
        _failed(notification, error, now=now)
        return Status.PENDING
    # One statement records the provider's answer and marks it sent: nothing between them.
    _finish(notification, status=Status.SENT, sent_at=timezone.now(), provider_reference=reference[:100])
    return Status.SENT


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
        claimed = (
            Notification.objects.filter(pk__in=ids, status=Status.SENDING)
            .select_related("recipient")
            .order_by("due_at", "pk")
        )
        # Each app may name the recipient's related rows its kinds read (her profile, his officer row):
        # one join here instead of a query per message.
        related = kinds.recipient_related()
        if related:
            claimed = claimed.select_related(*related)
        with get_connection() as connection:
            for notification in claimed:
                deliver(notification, now=current, connection=connection, sms_backend=sms_backend)
        handled += len(ids)
        if len(ids) < batch or time.monotonic() > deadline:
            break
    return handled


def resend(*, notifications, now: datetime | None = None) -> int:
    """The sergeant resends failed messages: pending again, due now, with fresh attempts."""
    return notifications.filter(status=Status.FAILED).update(
        status=Status.PENDING, due_at=now or timezone.now(), attempts=0, note=""
    )
