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

Her walks, ratings and concerns are patrols' rows, and participants sits below patrols (DESIGN.md:
Layers): it cannot reach them, so it defines the hooks below — `register_personal_data` for her
download, `register_activity` for what counts as coming back, the `resident_erasing` signal for
erasure — and patrols connects to them in its AppConfig.ready() (patrols/privacy.py).
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Expression, F
from django.db.models.functions import Greatest
from django.dispatch import Signal
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


def local_iso(moment: datetime | None) -> str | None:
    """A moment as her download shows it: London time, ISO 8601; None for never."""
    return timezone.localtime(moment).isoformat() if moment else None


# --- Hooks for the apps above (patrols connects to them in PatrolsConfig.ready()) ---------------

# Sections of her download held by another app: called with her Resident row, each returns
# {"section name": [plain JSON-ready values, ...]}. By name, so a second ready() replaces, not repeats.
PersonalData = Callable[[Resident], dict[str, Any]]
_personal_data: dict[str, PersonalData] = {}

# Other moments that count as her being active, besides signing in: aggregates over her Resident row
# (patrols: her latest walk). By annotation name.
_activity: dict[str, Expression] = {}

# Sent inside erase_resident's transaction, her Resident row locked, before her personal data is
# blanked: an app that holds her data cancels and anonymises it here, in the same transaction.
# Sent with `send`, not `send_robust`: a receiver that fails rolls the whole erasure back rather than
# leave her half-erased. Arguments: resident (with .user), by (User or None), reason, now.
resident_erasing = Signal()


def register_personal_data(*, name: str, collect: PersonalData) -> None:
    """Add another app's sections to her download (after her profile and pairings)."""
    _personal_data[name] = collect


def register_activity(*, name: str, latest: Expression) -> None:
    """Count another moment as activity for retention: `latest` is an aggregate on Resident."""
    _activity[name] = latest


# --- Her data, to download ---------------------------------------------------------------------


def export_resident_data(resident: Resident, *, now: datetime | None = None) -> dict[str, Any]:
    """Her data, as plain JSON-ready values (the readable page shows the same)."""

    resident = Resident.objects.select_related("user", "ward__borough").get(pk=resident.pk)
    user = resident.user
    data = {
        "generated_at": local_iso(now or timezone.now()),
        "account": {
            "email": user.email,
            "joined": local_iso(user.date_joined),
            "last_signed_in": local_iso(user.last_login),
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
            "privacy_notice_agreed_at": local_iso(resident.privacy_consent_at),
            "on_the_waiting_list_since": local_iso(resident.waiting_since),
            "profile_created": local_iso(resident.created_at),
        },
        "pairings": [
            {
                "officer": p.officer.display_name,
                "collar_number": p.officer.collar_number,
                "started": local_iso(p.started_at),
                "ended": local_iso(p.ended_at),
            }
            for p in resident.pairings.select_related("officer").order_by("started_at", "pk")
        ],
    }
    for collect in _personal_data.values():
        data.update(collect(resident))  # patrols: her walks, safety ratings, concerns from her walks
    # the messages we sent her (or will)
    messages = Notification.objects.filter(recipient=user).order_by("due_at", "pk")
    data["messages_we_sent_you"] = [
        {
            "what": message.kind_title,
            "by": message.get_channel_display(),
            "status": message.get_status_display(),
            "due": local_iso(message.due_at),
            "sent": local_iso(message.sent_at),
        }
        for message in messages
    ]
    return data


# --- Erasure -----------------------------------------------------------------------------------


def erase_resident(*, resident: Resident, by: User | None, now: datetime | None = None) -> Resident:
    """Remove her personal data for good; keep her walks and concerns with nothing that identifies her.

    `by` is she herself (from her profile), a sergeant, or None for the retention job. The apps that
    hold her data go first (`resident_erasing`: patrols cancels her upcoming walks through the booking
    rules' own cancel, so her officer is told, and anonymises the rest), then her pairing ends.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession

    now = now or timezone.now()
    with transaction.atomic():
        resident = Resident.objects.select_for_update().select_related("user").get(pk=resident.pk)
        if resident.erased_at is not None:
            raise PrivacyError("This account has already been erased.")
        user = resident.user
        reason = ERASURE_REASON if by is not None and by.pk == user.pk else RETENTION_REASON
        resident_erasing.send(sender=Resident, resident=resident, by=by, reason=reason, now=now)
        pairing_service.release_resident(resident=resident, by=by, reason=reason)

        # Her unsent messages are cancelled; sent ones keep no trace of her.
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
    """Her last sign-in, what the apps above count (patrols: her latest walk, booked, moved or walked),
    or when she joined: the latest."""
    return (
        Resident.objects.filter(erased_at__isnull=True)
        .annotate(**_activity)
        .annotate(
            # PostgreSQL's GREATEST skips NULLs: never signed in, or never walked, still counts
            last_activity=Greatest("created_at", "user__last_login", *_activity)
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
