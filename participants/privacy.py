"""A resident's UK GDPR rights, and how long we keep her data (PRODUCT.md: Privacy; issue 9).

- `export_resident_data`: everything we hold about her that she may see — profile, account, pairings,
  walks, safety ratings, the concerns from her walks and the messages we sent her — as plain data
  for the readable page and the JSON download. Safeguarding disclosures are not in it: they are
  restricted records (PRODUCT.md: A disclosure is not a concern), asked for through the station.
- `erase_resident`: removes her personal data and keeps what the scheme has learnt. Her walks and
  the concerns from them stay, pointing at her Resident row — which no longer identifies anyone: its
  name is "Erased resident", contact details, access needs and usual times are gone, her sign-in is
  a deactivated user with a random placeholder address and no password, her email addresses and
  sessions are deleted. Only the ward (needed for the area figures) and the safety scores (the
  scheme's measure of success) stay on it. The walks lose what would point back to her (meeting
  point, route, worries, her reasons and comments); the concerns, being about places, stay whole.
  Disclosures stay or go as DISCLOSURE_RETENTION_ON_ERASURE says. The audit log holds no personal
  data (participants/audit.py), so it stays whole too.
- `apply_retention` (beat, daily): residents inactive for RESIDENT_RETENTION_MONTHS are told, once;
  RESIDENT_RETENTION_NOTICE_DAYS later, unless they have signed in or walked since, they are erased.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from walkandtalk.outbox import outbox
from walkandtalk.outbox.models import Notification

from . import messages as message_kinds
from . import pairing as pairing_service
from .audit import record_event
from .models import AuditEvent, ContactChannel, Language, Resident, User

ERASED_NAME = "Erased resident"
REMOVED = "(removed when her account was erased)"
ERASURE_REASON = "The resident closed her account"
RETENTION_REASON = "The resident's details were removed after a long time without use"


class PrivacyError(Exception):
    """A privacy request that cannot be carried out; the message is fit to show her."""


def _when(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


# --- Her data, to download ---------------------------------------------------------------------


def export_resident_data(resident: Resident, *, now: datetime | None = None) -> dict[str, Any]:
    """Her data, as plain JSON-ready values (the readable page shows the same)."""
    from patrols.models import Concern, SafetyRating, Walk

    resident = Resident.objects.select_related("user", "ward__borough").get(pk=resident.pk)
    user = resident.user
    walks = list(Walk.objects.filter(resident=resident).select_related("officer").order_by("starts_at", "pk"))
    concerns = (
        Concern.objects.filter(walk__resident=resident)
        .select_related("category", "ward")
        .order_by("created_at", "pk")
    )
    ratings = SafetyRating.objects.filter(resident=resident).order_by("created_at", "pk")
    messages = Notification.objects.filter(recipient=user).order_by("due_at", "pk")
    return {
        "generated_at": _when(now or timezone.now()),
        "account": {
            "email": user.email,
            "joined": _when(user.date_joined),
            "last_signed_in": _when(user.last_login),
        },
        "profile": {
            "name_to_call_you": resident.preferred_name,
            "ward": resident.ward.name,
            "borough": resident.ward.borough.name,
            "how_to_contact_you": resident.get_contact_channel_display(),
            "mobile": str(resident.mobile) if resident.mobile else "",
            "preferred_language": resident.get_language_display(),
            "access_needs": resident.access_needs,
            "when_you_usually_walk": resident.usual_walk_times,
            "how_safe_you_felt_at_sign_up": resident.baseline_safety,
            "messages_may_mention_the_police": resident.mention_police_in_messages,
            "privacy_notice_agreed_at": _when(resident.privacy_consent_at),
            "on_the_waiting_list_since": _when(resident.waiting_since),
            "profile_created": _when(resident.created_at),
        },
        "pairings": [
            {
                "officer": p.officer.display_name,
                "collar_number": p.officer.collar_number,
                "started": _when(p.started_at),
                "ended": _when(p.ended_at),
            }
            for p in resident.pairings.select_related("officer").order_by("started_at", "pk")
        ],
        "walks": [
            {
                "id": walk.pk,
                "starts": _when(walk.starts_at),
                "ends": _when(walk.ends_at),
                "status": walk.get_status_display(),
                "officer": walk.officer.display_name,
                "collar_number": walk.officer.collar_number,
                "meeting_point": walk.meeting_point,
                "route": walk.route,
                "places_that_worried_you": walk.known_worries,
                "cancelled": _when(walk.cancelled_at),
                "cancel_reason": walk.cancel_reason,
            }
            for walk in walks
        ],
        "safety_ratings": [
            {
                "walk": rating.walk_id,
                "how_safe_you_felt": rating.rating,
                "comment": rating.comment,
                "given": _when(rating.created_at),
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
                "logged": _when(concern.created_at),
            }
            for concern in concerns
        ],
        "messages_we_sent_you": [
            {
                "what": message.kind_title,
                "by": message.get_channel_display(),
                "status": message.get_status_display(),
                "due": _when(message.due_at),
                "sent": _when(message.sent_at),
            }
            for message in messages
        ],
    }


# --- Erasure -----------------------------------------------------------------------------------


def erase_resident(*, resident: Resident, by: User | None, now: datetime | None = None) -> Resident:
    """Remove her personal data for good; keep her walks and concerns with nothing that identifies her.

    `by` is she herself (from her profile), a sergeant, or None for the retention job. Her upcoming
    walks are cancelled first, through the booking rules' own cancel, so her officer is told.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession

    from patrols import booking
    from patrols.models import ConcernUpdate, Disclosure, SafetyRating, Walk, WalkEvent

    now = now or timezone.now()
    with transaction.atomic():
        resident = Resident.objects.select_for_update().select_related("user").get(pk=resident.pk)
        if resident.erased_at is not None:
            raise PrivacyError("This account has already been erased.")
        user = resident.user
        reason = ERASURE_REASON if by is not None and by.pk == user.pk else RETENTION_REASON
        for walk in Walk.objects.filter(resident=resident, status=Walk.Status.BOOKED, ends_at__gt=now):
            booking.cancel_walk(walk=walk, by=by, reason=reason, now=now, check_rules=False)
        pairing_service.release_resident(resident=resident, by=by, reason=reason)

        walks = Walk.objects.filter(resident=resident)
        walks.update(
            meeting_point=REMOVED,
            meeting_latitude=None,
            meeting_longitude=None,
            route=REMOVED,
            known_worries="",
        )
        # Her own words: why she cancelled, how she felt, what she said about a place she found unfixed.
        walks.filter(cancelled_by=user, cancelled_at__lt=now).update(cancel_reason="")
        WalkEvent.objects.filter(walk__in=walks, by=user, at__lt=now).update(note="")
        ConcernUpdate.objects.filter(by=user).update(note="The resident said it was not fixed.")
        SafetyRating.objects.filter(Q(resident=resident) | Q(walk__in=walks)).update(comment="")
        if settings.DISCLOSURE_RETENTION_ON_ERASURE == "delete":
            for disclosure in Disclosure.objects.filter(walk__in=walks):
                disclosure.delete()  # one by one, so each deletion is in the audit log

        outbox.cancel_for_recipient(recipient_id=user.pk, reason="Her account was erased.")
        Notification.objects.filter(recipient=user).update(note="", provider_reference="")

        Resident.objects.filter(pk=resident.pk).update(
            preferred_name=ERASED_NAME,
            contact_channel=ContactChannel.EMAIL,
            mobile="",
            language=Language.ENGLISH,
            access_needs="",
            usual_walk_times="",
            mention_police_in_messages=False,
            waiting_since=None,
            retention_warned_at=None,
            erased_at=now,
            updated_at=now,
        )
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()
        for session in UserSession.objects.filter(user=user):
            session.end()
        user.email = f"erased-{uuid.uuid4().hex}@erased.invalid"
        user.first_name = user.last_name = ""
        user.is_active = False
        user.last_login = None
        user.set_unusable_password()
        user.save()
        user.groups.clear()
        record_event(
            actor=by,
            action=AuditEvent.Action.ERASED,
            obj=resident,
            detail="by herself" if reason == ERASURE_REASON else "inactive: retention period",
        )
    resident.refresh_from_db()
    return resident


# --- Retention ---------------------------------------------------------------------------------


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the 31st becomes the month's last day)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _with_last_activity():
    """Her last sign-in, her latest walk (booked, moved or walked), or when she joined: the latest."""
    return (
        Resident.objects.filter(erased_at__isnull=True)
        .annotate(latest_walk=Max("walks__starts_at"))
        .annotate(
            # PostgreSQL's GREATEST skips NULLs: never signed in, or never walked, still counts
            last_activity=Greatest("created_at", "user__last_login", "latest_walk")
        )
    )


def apply_retention(*, now: datetime | None = None) -> dict[str, int]:
    """Warn the residents inactive for the retention period, once; erase those warned long enough ago
    who have not come back; forget the warning for those who have. Safe to run twice."""
    now = now or timezone.now()
    cutoff = months_before(now, settings.RESIDENT_RETENTION_MONTHS)
    notice = timedelta(days=settings.RESIDENT_RETENTION_NOTICE_DAYS)
    residents = _with_last_activity()
    done = {"warned": 0, "erased": 0, "returned": 0}

    done["returned"] = Resident.objects.filter(
        pk__in=residents.filter(
            retention_warned_at__isnull=False, last_activity__gt=F("retention_warned_at")
        ).values("pk")
    ).update(retention_warned_at=None)

    inactive = residents.filter(retention_warned_at__isnull=True, last_activity__lt=cutoff)
    for resident in inactive.select_related("user"):
        with transaction.atomic():
            # A conditional update claims the warning: two runs at once warn her once.
            if not Resident.objects.filter(pk=resident.pk, retention_warned_at__isnull=True).update(
                retention_warned_at=now
            ):
                continue
            outbox.record(
                message_kinds.RetentionWarning.build(
                    recipient=resident.user, about_id=resident.pk, once=f"{now:%Y%m%d}", due_at=now
                )
            )
            record_event(
                actor=None,
                action=AuditEvent.Action.RETENTION_WARNED,
                obj=resident,
                detail=f"inactive {settings.RESIDENT_RETENTION_MONTHS} months",
            )
        done["warned"] += 1

    overdue = residents.filter(
        retention_warned_at__lte=now - notice, last_activity__lte=F("retention_warned_at")
    )
    for resident in overdue.only("pk"):
        try:
            erase_resident(resident=resident, by=None, now=now)
        except PrivacyError:
            continue  # erased meanwhile (by herself, or another run)
        done["erased"] += 1
    return done


def erasure_date(resident: Resident) -> datetime | None:
    """When a warned resident's details will be removed, if she does not sign in."""
    if resident.retention_warned_at is None:
        return None
    return resident.retention_warned_at + timedelta(days=settings.RESIDENT_RETENTION_NOTICE_DAYS)
