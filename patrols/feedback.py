"""What a resident tells us after a walk: how safe she feels now, and whether a place is really fixed."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.models import User

from . import notifications, referrals
from .models import Concern, ConcernUpdate, SafetyRating, Walk


class FeedbackError(Exception):
    """Feedback that cannot be taken; the message is fit to show her."""


def rate_walk(
    *, walk: Walk, rating: int, comment: str = "", now: datetime | None = None
) -> tuple[SafetyRating, bool]:
    """Store how safe she feels after a completed walk (1–5). One rating per walk: a second answer
    replaces the first. Returns the rating and whether it was new."""
    if walk.status != Walk.Status.COMPLETED:
        raise FeedbackError(_("You can say how safe you feel once the walk has happened."))
    if not 1 <= rating <= 5:
        raise FeedbackError(_("Choose a number from 1 to 5."))
    with transaction.atomic():
        safety_rating, created = SafetyRating.objects.select_for_update().get_or_create(
            walk=walk,
            defaults={
                "resident": walk.resident,
                "rating": rating,
                "comment": comment.strip(),
                "created_at": now or timezone.now(),
            },
        )
        if not created:
            safety_rating.rating, safety_rating.comment = rating, comment.strip()
            safety_rating.full_clean()
            safety_rating.save(update_fields=["rating", "comment"])
    return safety_rating, created


def say_not_fixed(*, concern: Concern, by: User, note: str = "", now: datetime | None = None) -> Concern:
    """She says a resolved concern is not fixed: it opens again for the officer, with a dated update."""
    now = now or timezone.now()
    with transaction.atomic():
        concern = Concern.objects.select_for_update().get(pk=concern.pk)
        if concern.status != Concern.Status.RESOLVED:
            raise FeedbackError(_("Thank you — this place is already being looked at again."))
        note = note.strip()
        # Back with the partner who marked it fixed, if there is one (they are told, with the link);
        # else open again for the officer.
        referral = referrals.not_fixed(concern, now=now)
        new_status = Concern.Status.REFERRED if referral is not None else Concern.Status.OPEN
        ConcernUpdate.objects.create(
            concern=concern,
            at=now,
            by=by,
            referral=referral,
            note="The resident says it is not fixed." + (f" She said: “{note}”" if note else ""),
            old_status=Concern.Status.RESOLVED,
            new_status=new_status,
        )
        concern.status = new_status
        concern.resolved_at = None
        concern.save(update_fields=["status", "resolved_at", "updated_at"])
        notifications.concern_reopened(concern, now=now)
    return concern
