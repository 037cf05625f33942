"""Thin Celery tasks: beat runs them; the work is in patrols/dispatch.py and patrols/notifications.py.

No ETA or countdown tasks: a message's due time is on its outbox row, and the dispatcher, run every
minute, sends what is due. A task that runs twice (acks_late after a lost worker) does no harm.
"""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from . import dispatch, notifications
from .models import LONDON


@shared_task
def dispatch_notifications(limit: int | None = None) -> int:
    """Beat, every minute: send the messages that are due."""
    return dispatch.dispatch_due(limit=limit)


@shared_task
def send_day_plans() -> int:
    """Beat, 07:00 London time: record each officer's day plan (the dispatcher sends them)."""
    now = timezone.now()
    with transaction.atomic():
        count = notifications.day_plans(day=timezone.localtime(now, LONDON).date(), now=now)
    dispatch_notifications.delay_on_commit()
    return count
