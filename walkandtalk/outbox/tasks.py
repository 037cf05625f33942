"""Thin Celery tasks of the messaging subsystem.

No ETA or countdown tasks: a message's due time is on its outbox row, and the dispatcher, run every
minute by beat, sends what is due. A task that runs twice (acks_late after a lost worker) does no harm.
"""

from __future__ import annotations

from celery import shared_task

from . import dispatch


@shared_task
def dispatch_notifications(limit: int | None = None) -> int:
    """Beat, every minute (and right after a change that wrote messages): send what is due."""
    return dispatch.dispatch_due(limit=limit)


def send_soon() -> None:
    """Ask a worker to dispatch once the current transaction commits (beat would within a minute)."""
    dispatch_notifications.delay_on_commit()
