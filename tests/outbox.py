"""Helpers for tests that look at messages: run the outbox dispatcher as beat would."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from patrols import dispatch


def send_due(now: datetime | None = None) -> int:
    """Send every message due by `now` (default: the current time) through the test backends."""
    return dispatch.dispatch_due(now=now or timezone.now())
