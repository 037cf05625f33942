"""Calendar invites (.ics) for walks, with icalendar (RFC 5545, and RFC 5546 for the methods).

One walk is one event in her calendar: the UID never changes. A booking or a move is METHOD:REQUEST
with SEQUENCE = the walk's version (1 at booking, +1 each move), so her calendar app updates the
event in place; a cancellation is METHOD:CANCEL with a higher SEQUENCE still, so it removes it.
Discreet: it says "police" only if she chose that.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Walk

METHODS = ("PUBLISH", "REQUEST", "CANCEL")


def walk_uid(walk: Walk) -> str:
    return f"walk-{walk.pk}@walkandtalk"


def _organizer() -> vCalAddress:
    address = vCalAddress(f"mailto:{settings.CALENDAR_ORGANIZER_EMAIL}")
    address.params["cn"] = vText("Walk and Talk")
    return address


def walk_invite(
    walk: Walk, *, method: str, attendee: str, mention_police: bool, for_officer: bool = False
) -> bytes:
    """The walk as one calendar event: hers says who is coming and the walk code she will hear; the
    officer's says whom she meets and the code to say."""
    if method not in METHODS:
        raise ValueError(f"Unknown calendar method {method!r}")
    calendar = Calendar()
    calendar.add("prodid", "-//Walk and Talk//walkandtalk//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", walk_uid(walk))
    # A cancellation must outrank the last invite for the walk's current time.
    event.add("sequence", walk.version + (1 if method == "CANCEL" else 0))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", walk.starts_at)
    event.add("dtend", walk.ends_at)
    event.add("organizer", _organizer())
    guest = vCalAddress(f"mailto:{attendee}")
    guest.params["role"] = vText("REQ-PARTICIPANT")
    guest.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", guest)
    officer = walk.officer.display_name if mention_police else walk.officer.display_name.removeprefix("PC ")
    details = f"{settings.SITE_URL}/walks/{walk.pk}/"
    if for_officer:
        event.add("summary", f"Walk and Talk: {walk.resident.preferred_name}")
        meeting = f"Meeting {walk.resident.preferred_name}. Say the walk code {walk.walk_code} when you meet."
    else:
        # her calendar is in her language (the message composing it has it active); discreet unless she chose
        event.add(
            "summary", _("Walk and Talk with a police officer") if mention_police else _("Walk and Talk")
        )
        meeting = _("Meeting %(officer)s. Walk code: %(walk_code)s — she will say it when you meet.") % {
            "officer": officer,
            "walk_code": walk.walk_code,
        }
    event.add("location", walk.meeting_point)
    if method == "CANCEL":
        event.add("status", "CANCELLED")
        event.add("description", _("This walk is cancelled. Details: %(url)s") % {"url": details})
    else:
        event.add("status", "CONFIRMED")
        event.add(
            "description", meeting + "\n" + _("Details, or to move or cancel: %(url)s") % {"url": details}
        )
    calendar.add_component(event)
    return calendar.to_ical()
