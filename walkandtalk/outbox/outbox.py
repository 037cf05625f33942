"""Writing to the outbox, in the caller's transaction: record, replace, cancel, and who was told."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections, router
from django.db.models import Case, Q, Value, When

from . import kinds, push
from .models import Notification

Status = Notification.Status


def record(*rows: Notification, replace: bool = True) -> None:
    """Write messages (each once: a row whose key exists already changes nothing).

    With `replace`, unsent messages that these kinds supersede — to the same person about the same
    thing — become "replaced" first (one UPDATE for the lot); the new rows are one INSERT. A fresh
    thing (a walk just booked) has nothing to replace: `replace=False` saves the UPDATE."""
    if not rows:
        return
    # Her devices with push on get their own row each, beside the email's (push.py says why).
    rows = (*rows, *push.fan_out(list(rows), pushed=_pushed))
    if replace:
        replaced = Q()
        for row in rows:
            kind = kinds.get(row.kind)
            if kind is not None and kind.supersedes:
                replaced |= Q(
                    recipient_id=row.recipient_id,
                    about_type=row.about_type,
                    about_id=row.about_id,
                    kind__in=kind.supersedes,
                )
        if replaced:
            titles = ", ".join(sorted({kinds.title_of(row.kind) for row in rows}))
            Notification.objects.unsent().filter(replaced).exclude(
                idempotency_key__in=[row.idempotency_key for row in rows]
            ).update(status=Status.REPLACED, note=f"Replaced by a newer message: {titles}.")
    _insert(rows)


_FIELDS = [field for field in Notification._meta.concrete_fields if not field.primary_key]
# The model's table and columns; every value is a parameter, one row's worth per row.
_COLUMNS = ", ".join(f'"{field.column}"' for field in _FIELDS)
_INSERT = f'INSERT INTO "{Notification._meta.db_table}" ({_COLUMNS}) VALUES '  # noqa: S608 — as above
_ROW = "(" + ", ".join(["%s"] * len(_FIELDS)) + ")"
_BATCH = 1000  # rows per statement, well inside PostgreSQL's 65,535 parameters


def _insert(rows) -> None:
    """`Notification.objects.bulk_create(rows, ignore_conflicts=True)`, the statement written here:
    every booking, move and cancellation records messages, and the ORM's compiling of the insert was
    a sixth of the booking POST (issue 16). Each value is prepared by its field as bulk_create
    prepares it (pre_save, then get_db_prep_save); as there, no signals, and no pks set."""
    connection = connections[router.db_for_write(Notification)]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _BATCH):
            batch = rows[start : start + _BATCH]
            params = [
                field.get_db_prep_save(field.pre_save(row, add=True), connection)
                for row in batch
                for field in _FIELDS
            ]
            values = ", ".join([_ROW] * len(batch))
            cursor.execute(f"{_INSERT}{values} ON CONFLICT DO NOTHING", params)


def _pushed(row: Notification) -> bool:
    kind = kinds.get(row.kind)
    return kind is not None and kind.pushed(row)


def cancel(
    *,
    about_type: str,
    about_id: int,
    reason: str,
    kinds: Iterable[str] | None = None,
    recipient_ids: Iterable[int] | None = None,
    replaced_for: Iterable[int] = (),
    replaced_by: str = "",
) -> int:
    """Cancel a thing's unsent messages (of some kinds, to some people), saying why. Those to the
    people in `replaced_for` become "replaced" instead, by a newer message titled `replaced_by` that
    the caller has just recorded (`record(replace=False)`): one UPDATE for both, not two."""
    pending = Notification.objects.unsent().about(about_type, about_id)
    if kinds is not None:
        pending = pending.filter(kind__in=list(kinds))
    if recipient_ids is not None:
        pending = pending.filter(recipient_id__in=list(recipient_ids))
    replaced_for = list(replaced_for)
    if not replaced_for:
        return pending.update(status=Status.CANCELLED, note=reason)
    told_anew = Q(recipient_id__in=replaced_for)
    return pending.update(
        status=Case(When(told_anew, then=Value(Status.REPLACED)), default=Value(Status.CANCELLED)),
        note=Case(
            When(told_anew, then=Value(f"Replaced by a newer message: {replaced_by}.")), default=Value(reason)
        ),
    )


def told(*, about_type: str, about_id: int, kinds: Iterable[str]) -> set[int]:
    """Who has been sent (or is being sent) a message of these kinds about this thing."""
    return set(
        Notification.objects.about(about_type, about_id)
        .filter(kind__in=list(kinds), status__in=[Status.SENT, Status.SENDING])
        .values_list("recipient_id", flat=True)
    )


def cancel_for_recipient(*, recipient_id: int, reason: str) -> int:
    """Every unsent message to one person (her account is erased)."""
    return Notification.objects.filter(
        recipient_id=recipient_id, status__in=[Status.PENDING, Status.SENDING]
    ).update(status=Status.CANCELLED, note=reason)
