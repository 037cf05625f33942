"""Helpers for tests that look at messages: run the outbox dispatcher as beat would, and find a
thing's messages."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from walkandtalk.outbox import dispatch, kinds
from walkandtalk.outbox.compose import compose as compose_message
from walkandtalk.outbox.models import Notification


def send_due(now: datetime | None = None) -> int:
    """Send every message due by `now` (default: the current time) through the test backends."""
    return dispatch.dispatch_due(now=now or timezone.now())


def about_walk(walk):
    return Notification.objects.about("walk", walk.pk)


def compose(notification: Notification):
    """The message a row becomes, as the dispatcher would compose it now."""
    kind = kinds.get(notification.kind)(notification)
    kind.load()
    return compose_message(kind)


def why_not(notification: Notification, *, now: datetime) -> str:
    """What the dispatcher would say of a row now: "" if it is still wanted, else why not."""
    kind = kinds.get(notification.kind)(notification)
    try:
        kind.load()
    except kinds.Gone as gone:
        return str(gone)
    return kind.why_not(now=now)
