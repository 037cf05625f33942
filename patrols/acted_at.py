"""When she acted, for an action her phone queued with no signal (issue 17): the phone's clock, kept in
the queue entry from the moment she tapped, and sent with the action when the signal returns.

Without it a walk started at 14:05 in an underpass and sent at 15:10 would read "started 15:10". With
it, the time is hostile input from a clock nobody set: the server takes it only within bounds.

- Its form: ISO 8601 with an offset (`2026-12-02T14:05:00.000+00:00`); no offset, an impossible date
  (2026-02-30) or an offset no place on Earth has (+99:00, beyond ±14:00) is refused with a reason.
- Refused (400, the phone shows the reason and keeps what she typed): more than a day old or a day
  ahead. A day is what the phone keeps anything for (offline.KEPT_FOR): an entry older than that
  should not exist, and a clock a day out (year 9999) is not a clock to read a time from. Clamping
  either to "now" would write a time that is certainly false as if it were hers, so it is refused.
- Clamped to now: a time ahead of the server's by less than a day (the phone's clock runs fast: a
  few seconds on every phone, minutes on some). Nothing she did happened after the server heard of it.
- Clamped up to the state before it: a finish before its start, "nothing to log" before the finish, a
  concern before its walk started (less a margin for the two clocks), a follow-up before its concern.
  The server did those in order (the queue sends in order, and a finish is refused before a start), so
  she did them in order too; the earliest time the order allows is the nearest true one.

A request without the field (a plain form post, or the phone's own send while it has signal) is done
at the server's time, as before.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError

from .offline import KEPT_FOR

FIELD = "acted_at"
# Before the walk's start a concern may read, the two clocks (the server's start, the phone's concern)
# disagreeing by this much.
CONCERN_MARGIN = timedelta(minutes=10)
# The widest offsets in use (Kiribati +14:00, Baker Island −12:00), rounded out to ±14:00.
WIDEST_OFFSET = timedelta(hours=14)
# What the phone sends (outbox.js, actedAt) and nothing looser: fromisoformat alone also takes week
# dates, basic formats and bare dates.
_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def parse(raw: str, *, now: datetime) -> datetime:
    """The moment the phone says she acted, checked for form and for the day either side of `now`.
    Raises ValidationError with a message fit to show her."""
    text = raw.strip()
    if len(text) > 40 or not _SHAPE.fullmatch(text):
        raise ValidationError(
            "The time this was done on the phone is not readable (it needs a date, a time and an "
            "offset, like 2026-12-02T14:05:00+00:00).",
            code="invalid",
        )
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        # 2026-02-30, 25:00, +99:00: well formed, but no such moment.
        raise ValidationError(
            f"The time this was done on the phone ({text}) is not a real date and time.", code="impossible"
        ) from None
    if abs(moment.utcoffset()) > WIDEST_OFFSET:
        raise ValidationError(
            f"The time this was done on the phone ({text}) has a time-zone offset no place has.",
            code="impossible",
        )
    # (Compared as aware datetimes, 9999-12-31T23:59-05:00 and 0001-01-01T00:00+05:00 compare without
    # overflowing: checked.)
    if moment > now + KEPT_FOR:
        raise ValidationError(
            "This phone’s clock is more than a day ahead, so the time it says this was done cannot be "
            "right: set the phone’s date and time, then do it again if it still applies.",
            code="future",
        )
    if moment < now - KEPT_FOR:
        raise ValidationError(
            "This was done on the phone more than a day ago (by its clock): too long ago to record "
            "as if it had just happened. Do it again if it still applies.",
            code="too_old",
        )
    return moment


def moment(acted_at: datetime | None, *, now: datetime, not_before: datetime | None = None) -> datetime:
    """When to record the action: the server's `now` if the phone gave no time; else its time, no later
    than now and no earlier than `not_before` (the state it follows). `acted_at` has passed parse()."""
    if acted_at is None:
        return now
    at = min(acted_at, now)
    if not_before is not None and at < not_before:
        at = min(not_before, now)
    return at
