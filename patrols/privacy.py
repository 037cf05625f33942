"""Patrols' part of a resident's UK GDPR rights (participants/privacy.py has the rest, and the why).

participants sits below patrols (DESIGN.md: Layers), so it cannot ask for her walks; it defines hooks
and `connect()` (from PatrolsConfig.ready()) hooks patrols in:
- her download gets her walks, safety ratings and the concerns from her walks (`her_data`);
- erasing her cancels her upcoming walks through the booking rules' own cancel, so her officer is told,
  and takes off the rest what would point back to her (`erase_her_walks`, on `resident_erasing`);
- a walk (booked, moved or walked) counts as activity for the retention period.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Max, Q

from participants import privacy
from participants.models import Resident, User

from . import booking
from .models import Concern, ConcernUpdate, Disclosure, SafetyRating, Walk, WalkEvent


def connect() -> None:
    """Called once from PatrolsConfig.ready(); calling it again changes nothing."""
    privacy.register_personal_data(name="patrols", collect=her_data)
    privacy.register_activity(name="latest_walk", latest=Max("walks__starts_at"))
    privacy.resident_erasing.connect(erase_her_walks, sender=Resident, dispatch_uid="patrols-erase-her-walks")


def her_data(resident: Resident) -> dict[str, Any]:
    """Her walks, how safe she felt after them, and the concerns from them, for her download."""
    local_iso = privacy.local_iso
    walks = Walk.objects.filter(resident=resident).select_related("officer").order_by("starts_at", "pk")
    ratings = SafetyRating.objects.filter(resident=resident).order_by("created_at", "pk")
    concerns = (
        Concern.objects.filter(walk__resident=resident)
        .select_related("category", "ward")
        .order_by("created_at", "pk")
    )
    return {
        "walks": [
            {
                "id": walk.pk,
                "starts": local_iso(walk.starts_at),
                "ends": local_iso(walk.ends_at),
                "status": walk.get_status_display(),
                "officer": walk.officer.display_name,
                "collar_number": walk.officer.collar_number,
                "meeting_point": walk.meeting_point,
                "route": walk.route,
                "places_that_worried_you": walk.known_worries,
                "cancelled": local_iso(walk.cancelled_at),
                "cancel_reason": walk.cancel_reason,
            }
            for walk in walks
        ],
        "safety_ratings": [
            {
                "walk": rating.walk_id,
                "how_safe_you_felt": rating.rating,
                "comment": rating.comment,
                "given": local_iso(rating.created_at),
            }
            for rating in ratings
        ],
        "concerns_from_your_walks": [
            {
                "walk": concern.walk_id,
                "category": concern.category.name,
                "place": concern.location_text,
                "latitude": float(concern.latitude) if concern.latitude is not None else None,
                "longitude": float(concern.longitude) if concern.longitude is not None else None,
                "ward": concern.ward.name,
                "severity": concern.get_severity_display(),
                "when_it_matters": concern.get_when_it_matters_display(),
                "what_you_said": concern.resident_said,
                "what_happened": concern.plain_status,
                "logged": local_iso(concern.created_at),
            }
            for concern in concerns
        ],
    }


def erase_her_walks(
    sender: type[Resident], *, resident: Resident, by: User | None, reason: str, now: datetime, **kwargs: Any
) -> None:
    """On `resident_erasing`, inside the erasure's transaction: cancel what is booked, then keep the
    walks, concerns and ratings with nothing that points back to her."""
    user = resident.user
    for walk in Walk.objects.filter(resident=resident, status=Walk.Status.BOOKED, ends_at__gt=now):
        booking.cancel_walk(walk=walk, by=by, reason=reason, now=now, check_rules=False)

    walks = Walk.objects.filter(resident=resident)
    walks.update(
        meeting_point=privacy.REMOVED,
        meeting_latitude=None,
        meeting_longitude=None,
        route=privacy.REMOVED,
        known_worries="",
    )
    # Her own words: why she cancelled, how she felt, what she said about a place she found unfixed.
    # (The reason for the cancellations just made is the erasure's own, not hers: it stays.)
    walks.filter(cancelled_by=user, cancelled_at__lt=now).update(cancel_reason="")
    WalkEvent.objects.filter(walk__in=walks, by=user, at__lt=now).update(note="")
    ConcernUpdate.objects.filter(by=user).update(note="The resident said it was not fixed.")
    SafetyRating.objects.filter(Q(resident=resident) | Q(walk__in=walks)).update(comment="")
    if settings.DISCLOSURE_RETENTION_ON_ERASURE == "delete":
        for disclosure in Disclosure.objects.filter(walk__in=walks):
            disclosure.delete()  # one by one, so each deletion is in the audit log
