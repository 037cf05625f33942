"""Thin Celery tasks of the walks: beat runs them; the work is in patrols/notifications.py.
The outbox dispatcher's own task is walkandtalk.outbox.tasks.dispatch_notifications."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from walkandtalk.outbox.tasks import send_soon

from . import notifications, referrals
from .models import LONDON


@shared_task
def chase_referrals() -> int:
    """Beat, hourly: one reminder to each partner with a referral unacknowledged after 5 working days."""
    count = referrals.chase_unacknowledged()
    send_soon()
    return count


@shared_task
def send_day_plans() -> int:
    """Beat, 07:00 London time: record each officer's day plan (the dispatcher sends them)."""
    now = timezone.now()
    with transaction.atomic():
        count = notifications.day_plans(day=timezone.localtime(now, LONDON).date(), now=now)
    send_soon()
    return count
