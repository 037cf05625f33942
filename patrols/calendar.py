"""Calendar invites (.ics) for booked walks, with icalendar."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Walk


def walk_invite(walk: Walk, *, mention_police: bool) -> bytes:
    """A one-event calendar. Discreet: it says "police" only if she chose that. SEQUENCE follows moves,
    so importing a newer invite updates the same event in her calendar."""
    calendar = Calendar()
    calendar.add("prodid", "-//Walk and Talk//walkandtalk//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"walk-{walk.pk}@walkandtalk")
    event.add("sequence", walk.version)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", walk.starts_at)
    event.add("dtend", walk.ends_at)
    officer = walk.officer.display_name if mention_police else walk.officer.display_name.removeprefix("PC ")
    event.add("summary", "Walk and Talk" + (" with a police officer" if mention_police else ""))
    event.add("location", walk.meeting_point)
    event.add(
        "description",
        f"Meeting {officer}. Walk code: {walk.walk_code} — she will say it when you meet.\n"
        f"Details, or to move or cancel: {settings.SITE_URL}/walks/{walk.pk}/",
    )
    if walk.status == Walk.Status.CANCELLED:
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical()
