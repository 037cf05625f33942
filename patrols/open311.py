"""Open311 GeoReport v2, read-only, for partners (issue 15, point 7): their own referrals as open data.

Each `Referral` is one service request (a concern re-routed to another partner is a new request there);
each concern category is one service. Views (patrols/views/open311.py) check the key and call these:

- `services()` — the categories, as GET services.json lists them;
- `parse_query(params, now=)` — the filters of GET requests.json, checked: anything GeoReport does not
  allow, or a date that cannot be, raises `Open311Error` (the view answers GeoReport's error JSON with
  400), never a 500;
- `requests_for(partner)` — that partner's referrals and nothing else, with what serialising needs;
- `service_request(referral)` — one request, in GeoReport v2's fields and no others.

What a request holds is what the partner's email holds (PRODUCT.md: Partners): category, place, pin,
the officer's action, and the resident's words only when the officer ticked that partners may read
them. Never her name, contact, walk, route, meeting point, the police's own notes, or any disclosure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import DateTimeField, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from participants.inputs import date_range

from .models import LONDON, ConcernCategory, ConcernUpdate, Partner, Referral

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_IDS = 100
# GeoReport v2: "may not span more than 90 days"; with no dates, "the most recent 90 days".
MAX_SPAN = timedelta(days=90)
# The offsets clocks really use (UTC−12 to UTC+14); "+99:00" is no place on Earth.
MAX_OFFSET = timedelta(hours=14)
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)

# W3C date and time (https://www.w3.org/TR/NOTE-datetime): a day, or a time of day with its offset.
W3C_DATETIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2}))?",
    re.ASCII,
)


class Open311Error(Exception):
    """A request GeoReport does not allow; `description` says what to change, `code` is the HTTP status."""

    def __init__(self, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.code = code

    def as_json(self) -> list[dict]:
        return [{"code": self.code, "description": self.description}]


# --- services.json ------------------------------------------------------------------------------


def services() -> list[dict]:
    """The categories officers log concerns in now (inactive ones are no longer offered)."""
    return [
        {
            "service_code": category.code,
            "service_name": category.name,
            "description": f"{category.get_group_display()}: {category.name}",
            "metadata": False,
            "type": "realtime",
            "keywords": ", ".join(word for word in re.split(r"[^\w]+", category.name.lower()) if word),
            "group": category.get_group_display(),
        }
        for category in ConcernCategory.objects.filter(is_active=True).order_by("position", "name")
    ]


# --- requests.json: the query -------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A checked requests.json query: which referrals, and which page of them."""

    ids: tuple[int, ...] = ()  # service_request_id: overrides every other filter (GeoReport v2)
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


def _one(params, name: str) -> str | None:
    values = params.getlist(name) if hasattr(params, "getlist") else [params[name]] if name in params else []
    if not values:
        return None
    if len(values) > 1:
        raise Open311Error(f"Give {name} once (several values go in one, comma separated).")
    return values[0].strip()


def _list(value: str, name: str, limit: int = 50) -> list[str]:
    items = [item.strip() for item in value.split(",")]
    if not all(items):
        raise Open311Error(f"{name} has an empty value: separate values with single commas.")
    if len(items) > limit:
        raise Open311Error(f"Give at most {limit} values of {name}.")
    return list(dict.fromkeys(items))


def parse_datetime(value: str, name: str) -> datetime:
    """A W3C datetime (2026-03-12T18:30:00Z, 2026-03-12T18:30:00+01:00) or a day (2026-03-12: its
    start in London). Impossible dates, offsets no clock uses and years the scheme cannot mean are
    refused with a message."""
    match = W3C_DATETIME.fullmatch(value)
    if not match:
        raise Open311Error(
            f"{name} must be a W3C date and time with its offset, e.g. 2026-03-12T18:30:00Z "
            "or 2026-03-12T18:30:00+01:00."
        )
    parts = match.groupdict()
    try:
        day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        raise Open311Error(f"{name}: {value[:10]} is not a date in the calendar.") from None
    first, last = date_range()
    if not first <= day <= last:
        raise Open311Error(f"{name} must be between {first.year} and {last.year}.")
    if parts["hour"] is None:
        return datetime.combine(day, time(0), tzinfo=LONDON)
    tz = parts["tz"]
    if tz == "Z":
        offset = timedelta(0)
    else:
        hours, minutes = int(tz[1:3]), int(tz[4:6])
        if minutes >= 60:
            raise Open311Error(f"{name}: {tz} is not a time zone offset.")
        offset = timedelta(hours=hours, minutes=minutes) * (-1 if tz[0] == "-" else 1)
        if abs(offset) > MAX_OFFSET:
            raise Open311Error(
                f"{name}: {tz} is not a time zone offset in use (they run from -12:00 to +14:00)."
            )
    try:
        moment = datetime(
            day.year,
            day.month,
            day.day,
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"] or 0),
            int((parts["fraction"] or "0").ljust(6, "0")),
            tzinfo=timezone.get_fixed_timezone(offset),
        )
    except ValueError:
        raise Open311Error(
            f"{name}: {value} is not a time of day (hours 00–23, minutes and seconds 00–59)."
        ) from None
    return moment.astimezone(UTC)


def _positive_int(value: str | None, name: str, default: int, maximum: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdecimal() or len(value) > 9:
        raise Open311Error(f"{name} must be a whole number from 1 to {maximum}.")
    number = int(value)
    if not 1 <= number <= maximum:
        raise Open311Error(f"{name} must be a whole number from 1 to {maximum}.")
    return number


def parse_query(params, *, now: datetime | None = None) -> Query:
    """The requests.json query in `params` (a QueryDict), checked. Raises Open311Error."""
    now = now or timezone.now()
    page = _positive_int(_one(params, "page"), "page", 1, 100_000)
    page_size = _positive_int(_one(params, "page_size"), "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)

    ids_param = _one(params, "service_request_id")
    if ids_param:
        ids = _list(ids_param, "service_request_id", MAX_IDS)
        if not all(item.isdecimal() and len(item) <= 12 for item in ids):
            raise Open311Error("service_request_id must be request ids (numbers), comma separated.")
        return Query(ids=tuple(int(item) for item in ids), page=page, page_size=page_size)

    codes: tuple[str, ...] = ()
    if code_param := _one(params, "service_code"):
        codes = tuple(_list(code_param, "service_code"))
        known = set(ConcernCategory.objects.filter(code__in=codes).values_list("code", flat=True))
        if unknown := [code for code in codes if code not in known]:
            shown = ", ".join(code[:60] for code in unknown[:5])
            raise Open311Error(f"Unknown service_code: {shown}. services.json lists the codes.")

    statuses: tuple[str, ...] = ()
    if status_param := _one(params, "status"):
        statuses = tuple(_list(status_param.lower(), "status"))
        if any(status not in ("open", "closed") for status in statuses):
            raise Open311Error("status must be open, closed, or both: open,closed.")

    start_param, end_param = _one(params, "start_date"), _one(params, "end_date")
    start = parse_datetime(start_param, "start_date") if start_param else None
    end = parse_datetime(end_param, "end_date") if end_param else None
    if start is None and end is None:
        end, start = now, now - MAX_SPAN
    elif start is None:
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if end < start:
        raise Open311Error("end_date must be after start_date.")
    if end - start > MAX_SPAN:
        raise Open311Error("start_date to end_date may not span more than 90 days.")
    return Query(service_codes=codes, statuses=statuses, start=start, end=end, page=page, page_size=page_size)


# --- requests.json: the referrals ---------------------------------------------------------------


def _shared_updates() -> QuerySet:
    """Updates of the referral's concern a partner may read: its own referral's (answers, referral
    events) and notes the police shared while it had the concern; never the police's other notes."""
    until = Coalesce(OuterRef("ended_at"), Value(FOREVER), output_field=DateTimeField())
    while_it_had_it = Q(referral__isnull=True, at__gte=OuterRef("referred_at"), at__lte=until)
    return ConcernUpdate.objects.filter(
        Q(referral=OuterRef("pk")) | while_it_had_it,
        concern=OuterRef("concern_id"),
        shared_with_partner=True,
    ).order_by("-at", "-pk")


def requests_for(partner: Partner) -> QuerySet:
    """This partner's referrals, newest first, with the latest shared note and update time: the same
    number of queries for one or a page of them."""
    shared = _shared_updates()
    return (
        Referral.objects.filter(partner=partner)
        .select_related("concern__category", "partner")
        .annotate(
            status_notes=Subquery(shared.values("note")[:1]),
            last_shared_at=Subquery(shared.values("at")[:1]),
        )
        .annotate(
            updated=Greatest(
                F("referred_at"),
                Coalesce("acknowledged_at", "referred_at"),
                Coalesce("fixed_at", "referred_at"),
                Coalesce("ended_at", "referred_at"),
                Coalesce("last_shared_at", "referred_at"),
                output_field=DateTimeField(),
            )
        )
        .order_by("-referred_at", "-pk")
    )


def filtered(referrals: QuerySet, query: Query) -> QuerySet:
    if query.ids:
        return referrals.filter(pk__in=query.ids)
    referrals = referrals.filter(referred_at__gte=query.start, referred_at__lte=query.end)
    if query.service_codes:
        referrals = referrals.filter(concern__category__code__in=query.service_codes)
    if len(query.statuses) == 1:
        closed = Q(ended_at__isnull=False) | Q(state=Referral.State.FIXED)
        referrals = referrals.filter(closed if query.statuses[0] == "closed" else ~closed)
    return referrals


# --- one request --------------------------------------------------------------------------------


def w3c(moment: datetime | None) -> str | None:
    """London time with its offset, to the second: 2026-03-12T18:30:00+00:00."""
    if moment is None:
        return None
    return timezone.localtime(moment, LONDON).isoformat(timespec="seconds")


def end_of_day(day: date | None) -> str | None:
    if day is None:
        return None
    return w3c(datetime.combine(day, time(23, 59, 59), tzinfo=LONDON))


def is_closed(referral: Referral) -> bool:
    return referral.ended_at is not None or referral.state == Referral.State.FIXED


def description(referral: Referral) -> str:
    """What and where, and what the officer will do; her words only if partners may read them."""
    concern = referral.concern
    parts = [f"{concern.category.name}: {concern.place}."]
    parts.append(
        f"{concern.get_severity_display()} severity; matters {concern.get_when_it_matters_display().lower()}."
    )
    if concern.action:
        parts.append(f"Police action: {concern.action}")
    if concern.resident_said_shared and concern.resident_said:
        parts.append(f"She said: {concern.resident_said}")
    return " ".join(parts)


def _float(value) -> float | None:
    return float(value) if value is not None else None


def service_request(referral: Referral) -> dict:
    """One referral in GeoReport v2's fields, and only those. `referral` comes from `requests_for`."""
    concern = referral.concern
    return {
        "service_request_id": str(referral.pk),
        "status": "closed" if is_closed(referral) else "open",
        "status_notes": getattr(referral, "status_notes", None) or "",
        "service_name": concern.category.name,
        "service_code": concern.category.code,
        "description": description(referral),
        "agency_responsible": referral.partner.name,
        "service_notice": "",
        "requested_datetime": w3c(referral.referred_at),
        "updated_datetime": w3c(getattr(referral, "updated", None) or referral.referred_at),
        "expected_datetime": end_of_day(referral.target_date),
        "address": concern.location_text,
        "address_id": "",
        "zipcode": "",
        "lat": _float(concern.latitude),
        "long": _float(concern.longitude),
        "media_url": "",
    }
