"""Composing a message from its outbox row: subject, plain text, HTML and SMS text.

Each kind has `templates/email/<kind>_subject.txt`, `<kind>.txt`, `<kind>.html` and
`templates/sms/<kind>.txt`, rendered when the message is sent (so it carries the walk's current
details). Messages to a resident are discreet unless she chose otherwise: the subject, the first line
(the preview a lock screen shows) and the SMS never say "police", and the officer is named without
her rank ("PC") — someone else may see her phone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone

from participants.models import Officer, Pairing

from .calendar import walk_invite
from .models import LONDON, Notification, Walk
from .sms import SMS_MAX_LENGTH

Kind = Notification.Kind

# Kinds that carry the walk as a calendar invite (.ics); a move or a cancellation updates the same
# event in her calendar (same UID, higher SEQUENCE).
WITH_INVITE = {Kind.BOOKING_CONFIRMATION, Kind.WALK_MOVED, Kind.WALK_CANCELLED}


@dataclass
class Message:
    subject: str
    text: str
    html: str
    sms: str
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment, LONDON):%A %-d %B at %H:%M}"


def _short_when(moment: datetime) -> str:
    return f"{timezone.localtime(moment, LONDON):%a %-d %b %H:%M}"


def _url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def day_of(notification: Notification) -> date | None:
    """The London day a day plan is for (written into its key by notifications.day_plans)."""
    match = re.search(r":day_plan:(\d{4}-\d{2}-\d{2}):", notification.idempotency_key)
    return date.fromisoformat(match.group(1)) if match else None


def mentions_police(notification: Notification) -> bool:
    """Staff messages may; a resident's only if she chose it."""
    resident = getattr(notification.recipient, "resident", None)
    return resident is None or resident.mention_police_in_messages


def officer_name(officer: Officer | None, *, mention_police: bool) -> str:
    if officer is None:
        return ""
    return officer.display_name if mention_police else officer.display_name.removeprefix("PC ")


def _first_name(officer: Officer | None, *, mention_police: bool) -> str:
    if officer is None:
        return ""
    first = officer.display_name.removeprefix("PC ").split(" ")[0][:20]
    return f"PC {first}" if mention_police and officer.display_name.startswith("PC ") else first


def _previous_pairing(pairing: Pairing) -> Pairing | None:
    return (
        Pairing.objects.filter(resident=pairing.resident_id, ended_at__isnull=False)
        .filter(ended_at__lte=pairing.started_at)
        .exclude(pk=pairing.pk)
        .select_related("officer")
        .order_by("-ended_at", "-pk")
        .first()
    )


def context_for(notification: Notification) -> dict:
    """Everything a template may use; every key is always present (tests fail on unknown variables)."""
    recipient = notification.recipient
    resident = getattr(recipient, "resident", None)
    mention_police = mentions_police(notification)
    walk: Walk | None = notification.walk
    pairing: Pairing | None = notification.pairing
    concern = notification.concern
    officer = walk.officer if walk else pairing.officer if pairing else None
    day = day_of(notification)
    day_walks = []
    if day is not None and hasattr(recipient, "officer"):
        day_walks = list(
            Walk.objects.filter(officer=recipient.officer, status=Walk.Status.BOOKED)
            .filter(starts_at__date=day)
            .select_related("resident")
            .order_by("starts_at")
        )
    previous = _previous_pairing(pairing) if pairing and notification.kind == Kind.REASSIGNED else None
    removal = _removal_date(resident)
    return {
        "notification": notification,
        "is_resident": resident is not None,
        "resident": resident if resident is not None else (walk.resident if walk else None),
        "name": resident.preferred_name if resident is not None else _staff_name(recipient),
        "mention_police": mention_police,
        "walk": walk,
        "when": _when(walk.starts_at) if walk else "",
        "short_when": _short_when(walk.starts_at) if walk else "",
        "officer": officer,
        "officer_name": officer_name(officer, mention_police=mention_police),
        # SMS: her first name only ("PC Sarah" if she opted in), so every text stays one message
        "officer_first_name": _first_name(officer, mention_police=mention_police),
        "pairing": pairing,
        "after_waiting": notification.idempotency_key.endswith(":after_waiting:user:" + str(recipient.pk)),
        # in email bodies (after the discreet first line) she sees who is coming: name and rank
        "previous_officer_name": previous.officer.display_name if previous else "",
        "concern": concern,
        "day": day,
        "day_walks": day_walks,
        "walk_url": _url("patrols:walk_detail", walk.pk) if walk else "",
        "feedback_url": _url("patrols:walk_feedback", walk.pk) if walk else "",
        "fixed_url": _url("patrols:concern_fixed", concern.pk) if concern else "",
        "concern_url": _url("patrols:concern_detail", concern.pk) if concern else "",
        "book_url": _url("patrols:book"),
        "home_url": settings.SITE_URL + "/",
        "site_url": settings.SITE_URL,
        "station_phone": settings.STATION_PHONE,
        # the retention warning (participants/privacy.py)
        "retention_months": settings.RESIDENT_RETENTION_MONTHS,
        "removal_date": f"{removal:%-d %B %Y}",
        "removal_short_date": f"{removal:%-d %b %Y}",
        "sign_in_url": _url("account_login"),
        "privacy_url": _url("privacy"),
    }


def _removal_date(resident) -> date:
    """When her details go if she does not sign in (counted from today until she has been warned)."""
    warned = getattr(resident, "retention_warned_at", None) or timezone.now()
    removal = warned + timedelta(days=settings.RESIDENT_RETENTION_NOTICE_DAYS)
    return timezone.localtime(removal, LONDON).date()


def _staff_name(user) -> str:
    officer = getattr(user, "officer", None)
    return officer.display_name if officer is not None else (user.get_full_name() or "there")


def _plain(name: str, context: dict) -> str:
    """A plain-text template, without HTML escaping (an apostrophe stays an apostrophe)."""
    return get_template(name).template.render(Context(context, autoescape=False))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def compose(notification: Notification) -> Message:
    kind = notification.kind
    context = context_for(notification)
    subject = _one_line(_plain(f"email/{kind}_subject.txt", context))
    text = re.sub(r"\n{3,}", "\n\n", _plain(f"email/{kind}.txt", context).strip()) + "\n"
    html = render_to_string(f"email/{kind}.html", context)
    sms = _one_line(_plain(f"sms/{kind}.txt", context))
    if len(sms) >= SMS_MAX_LENGTH:
        # Never split into several texts: cut the words, keep the link (always the last word).
        words = sms.split(" ")
        link = words[-1]
        sms = " ".join(words[:-1])[: SMS_MAX_LENGTH - len(link) - 5].rstrip() + "... " + link
    attachments = []
    walk = notification.walk
    if kind in WITH_INVITE and walk is not None:
        invite = walk_invite(walk, mention_police=context["mention_police"])
        attachments.append((f"walk-{walk.local_start:%Y-%m-%d-%H%M}.ics", invite, "text/calendar"))
    return Message(subject=subject, text=text, html=html, sms=sms, attachments=attachments)
