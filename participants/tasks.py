"""Thin Celery tasks for people's data: beat runs them; the work is in participants/privacy.py."""

from __future__ import annotations

from celery import shared_task

from walkandtalk.outbox.tasks import send_soon

from . import privacy


@shared_task
def apply_retention() -> dict[str, int]:
    """Beat, daily: warn residents inactive for the retention period; erase those warned a month ago
    who have not come back. The warnings go out through the outbox like every other message."""
    done = privacy.apply_retention()
    if done["warned"]:
        send_soon()
    return done
