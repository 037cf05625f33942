"""The messages a change causes, written to the outbox (Notification) in the change's transaction.

Each row has a unique idempotency key — walk, version, kind, recipient — so recording the same
message twice leaves one row, and a reminder written for a walk's old time (an older version) is
cancelled when the walk moves. Sending is the dispatcher's job.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from participants.models import ContactChannel, Pairing, Resident, User

from .models import LONDON, Notification, Walk

Kind = Notification.Kind


def channel_for(user: User) -> str:
    """A resident chooses email or SMS; staff get email."""
    resident = getattr(user, "resident", None)
    if resident is not None and resident.contact_channel == ContactChannel.SMS and resident.mobile:
        return Notification.Channel.SMS
    return Notification.Channel.EMAIL


def record(
    *,
    kind: str,
    recipient: User,
    walk: Walk | None = None,
    due_at: datetime | None = None,
    extra: str = "",
    concern=None,
    pairing: Pairing | None = None,
) -> Notification:
    """Write one message to the outbox (once: a second call with the same key changes nothing)."""
    if walk is not None:
        subject = f"walk:{walk.pk}:v{walk.version}"
    elif pairing is not None:
        subject = f"pairing:{pairing.pk}"
    else:
        subject = "general"
    key = f"{subject}:{kind}{':' + extra if extra else ''}:user:{recipient.pk}"
    notification, _ = Notification.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "kind": kind,
            "recipient": recipient,
            "walk": walk,
            "concern": concern,
            "pairing": pairing,
            "channel": channel_for(recipient),
            "due_at": due_at or timezone.now(),
        },
    )
    return notification


def _parties(walk: Walk) -> list[User]:
    return [walk.resident.user, walk.officer.user]


def _reminders(walk: Walk, now: datetime) -> None:
    for hours in settings.REMINDER_HOURS_BEFORE:
        # In UTC: on an aware London time, Python subtracts wall-clock hours, which is an hour out
        # across a clock change. A reminder "24 h before" means 24 real hours.
        due = walk.starts_at.astimezone(UTC) - timedelta(hours=hours)
        if due <= now:
            continue  # too late for this one: the confirmation has just gone
        for user in _parties(walk):
            record(kind=Kind.REMINDER, recipient=user, walk=walk, due_at=due, extra=f"{hours}h")


def cancel_pending(walk: Walk, *, older_than_version: int | None = None) -> int:
    """Cancel the walk's unsent messages (all of them, or only those written for older versions)."""
    pending = Notification.objects.filter(walk=walk, status=Notification.Status.PENDING)
    if older_than_version is not None:
        pending = pending.exclude(idempotency_key__startswith=f"walk:{walk.pk}:v{older_than_version}:")
    return pending.update(status=Notification.Status.CANCELLED)


def walk_booked(walk: Walk, *, now: datetime) -> None:
    for user in _parties(walk):
        record(kind=Kind.BOOKING_CONFIRMATION, recipient=user, walk=walk)
    _reminders(walk, now)


def walk_moved(walk: Walk, *, by: User | None, now: datetime) -> None:
    cancel_pending(walk, older_than_version=walk.version)
    for user in _parties(walk):
        if user != by:
            record(kind=Kind.WALK_MOVED, recipient=user, walk=walk)
    _reminders(walk, now)


def walk_cancelled(walk: Walk, *, by: User | None) -> None:
    cancel_pending(walk)
    for user in _parties(walk):
        if user != by:
            record(kind=Kind.WALK_CANCELLED, recipient=user, walk=walk)


def walk_completed(walk: Walk, *, now: datetime) -> None:
    """After a walk: ask her how safe she feels (1 h later); nudge the officer if nothing is logged
    after 12 h (the dispatcher re-checks that before sending)."""
    record(
        kind=Kind.FEEDBACK_REQUEST, recipient=walk.resident.user, walk=walk, due_at=now + timedelta(hours=1)
    )
    record(kind=Kind.CONCERN_NUDGE, recipient=walk.officer.user, walk=walk, due_at=now + timedelta(hours=12))


def concern_resolved(concern, *, now: datetime) -> None:
    """Ask her "is it fixed?"; once every concern from the walk is resolved, offer a repeat walk."""
    walk = concern.walk
    resident_user = walk.resident.user
    # A concern can be resolved, reopened and resolved again: each resolution asks once.
    record(
        kind=Kind.CONCERN_RESOLVED,
        recipient=resident_user,
        walk=walk,
        extra=f"concern:{concern.pk}:{concern.resolved_at:%Y%m%d%H%M%S}",
        concern=concern,
    )
    if not walk.concerns.exclude(status__in=["resolved", "closed"]).exists():
        record(kind=Kind.REPEAT_WALK_OFFER, recipient=resident_user, walk=walk)


def day_plans(*, day: date, now: datetime) -> int:
    """The officers' day plans: one to each officer with booked walks on this London day."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=LONDON)
    walks = Walk.objects.filter(
        status=Walk.Status.BOOKED, starts_at__gte=start, starts_at__lt=start + timedelta(days=1)
    )
    officers = {walk.officer.user for walk in walks.select_related("officer__user")}
    for user in officers:
        record(kind=Kind.DAY_PLAN, recipient=user, extra=f"{day:%Y-%m-%d}", due_at=now)
    return len(officers)


# Pairing notices (participants/notices.py calls these inside the pairing's transaction).


def waiting_list_joined(resident: Resident) -> None:
    # Once per spell on the waiting list.
    record(
        kind=Kind.WAITING_LIST,
        recipient=resident.user,
        extra=f"since:{resident.waiting_since:%Y%m%d%H%M%S%f}",
    )


def paired(pairing: Pairing, *, after_waiting: bool) -> None:
    record(
        kind=Kind.PAIRED,
        recipient=pairing.resident.user,
        pairing=pairing,
        extra="after_waiting" if after_waiting else "",
    )


def reassigned(pairing: Pairing) -> None:
    record(kind=Kind.REASSIGNED, recipient=pairing.resident.user, pairing=pairing)


def pairing_ended(pairing: Pairing) -> None:
    record(kind=Kind.PAIRING_ENDED, recipient=pairing.resident.user, pairing=pairing)


def concern_reopened(concern, *, now: datetime) -> None:
    """She says a place marked fixed is not: tell the officer who logged it (once per reopening)."""
    record(
        kind=Kind.CONCERN_REOPENED,
        recipient=concern.officer.user,
        walk=concern.walk,
        extra=f"concern:{concern.pk}:{now:%Y%m%d%H%M%S}",
        concern=concern,
    )
