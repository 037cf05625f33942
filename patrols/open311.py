"""Open311 GeoReport v2, read-only, for partners (issue 15, point 7): their own referrals as open data.

Each `Referral` is one service request (a concern re-routed to another partner is a new request there);
each concern category is one service. Views (patrols/views/open311.py) check the key and call these:

- `services()` — the categories, as GET services.json lists them;
- `parse_query(params, now=)` — the filters of GET requests.json, checked: anything GeoReport does not
  allow, or a date that cannot be, raises `Open311Error` (the view answers GeoReport's error JSON with
  400), never a 500;
- `requests(partner, query)` / `request_for(partner, pk)` — that partner's referrals and nothing else,
  as plain rows of what a request shows (hand-written SQL: issue 16);
- `service_request(row)` — one request, in GeoReport v2's fields and no others.

What a request holds is what the partner's email holds (PRODUCT.md: Partners): category, place, pin,
the officer's action, and the resident's words only when the officer ticked that partners may read
them. Never her name, contact, walk, route, meeting point, the police's own notes, or any disclosure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from participants.inputs import date_range

from .models import LONDON, Concern, ConcernCategory, ConcernUpdate, Partner, Referral

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_IDS = 100
# GeoReport v2: "may not span more than 90 days"; with no dates, "the most recent 90 days".
MAX_SPAN = timedelta(days=90)
# The offsets clocks really use (UTC−12 to UTC+14); "+99:00" is no place on Earth.
MAX_OFFSET = timedelta(hours=14)

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


def _requests_sql(where: list[str], *, rows: bool) -> str:
    """This partner's referrals matching `where` (conditions on `r`, the referral, and `cat`, its
    category): their count, or a page of rows of what a request shows, newest first, each with the
    latest update its partner may read — its own referral's (answers, referral events) and notes the
    police shared while it had the concern, never the police's other notes. Hand-written: the ORM's
    subqueries and four models per referral were most of the list's time (issue 16)."""
    tables = {
        "referral": Referral._meta.db_table,
        "partner": Partner._meta.db_table,
        "concern": Concern._meta.db_table,
        "category": ConcernCategory._meta.db_table,
        "update": ConcernUpdate._meta.db_table,
    }
    concern = f"""
        FROM {tables["referral"]} r
        JOIN {tables["concern"]} c ON c.id = r.concern_id
        JOIN {tables["category"]} cat ON cat.id = c.category_id"""
    where_sql = " AND ".join(where)
    if not rows:
        # The count needs the concern and its category only to filter by service_code.
        tables_sql = concern if "cat." in where_sql else f"FROM {tables['referral']} r"
        return f"SELECT count(*) {tables_sql} WHERE {where_sql}"
    return f"""
        SELECT r.id, r.state, r.ended_at, r.referred_at, r.target_date, shared.note,
               GREATEST(r.referred_at, r.acknowledged_at, r.fixed_at, r.ended_at, shared.at),
               p.name, c.location_text, c.latitude, c.longitude, c.severity, c.when_it_matters, c.action,
               c.resident_said, c.resident_said_shared, cat.name, cat.code
        {concern}
        JOIN {tables["partner"]} p ON p.id = r.partner_id
        LEFT JOIN LATERAL (
            SELECT u.note, u.at FROM {tables["update"]} u
            WHERE u.concern_id = r.concern_id AND u.shared_with_partner
              AND (u.referral_id = r.id
                   OR (u.referral_id IS NULL AND u.at >= r.referred_at
                       AND u.at <= COALESCE(r.ended_at, 'infinity')))
            ORDER BY u.at DESC, u.id DESC LIMIT 1
        ) shared ON true
        WHERE {where_sql}
        ORDER BY r.referred_at DESC, r.id DESC
        LIMIT %(limit)s OFFSET %(offset)s
    """  # noqa: S608 — table names from the models; every value is a parameter


# The columns of a row, as `_requests_sql` selects them.
ROW = (
    "pk",
    "state",
    "ended_at",
    "referred_at",
    "target_date",
    "status_notes",
    "updated",
    "partner",
    "location_text",
    "latitude",
    "longitude",
    "severity",
    "when_it_matters",
    "action",
    "resident_said",
    "resident_said_shared",
    "service_name",
    "service_code",
)


def _where(partner: Partner, query: Query) -> tuple[list[str], dict]:
    where, params = ["r.partner_id = %(partner)s"], {"partner": partner.pk}
    if query.ids:
        return [*where, "r.id = ANY(%(ids)s)"], {**params, "ids": list(query.ids)}
    where.append("r.referred_at >= %(start)s AND r.referred_at <= %(end)s")
    params.update(start=query.start, end=query.end)
    if query.service_codes:
        where.append("cat.code = ANY(%(codes)s)")
        params["codes"] = list(query.service_codes)
    if len(query.statuses) == 1:
        closed = "(r.ended_at IS NOT NULL OR r.state = %(fixed)s)"
        where.append(closed if query.statuses[0] == "closed" else f"NOT {closed}")
        params["fixed"] = Referral.State.FIXED.value
    return where, params


def requests(partner: Partner, query: Query) -> tuple[int, list[dict]]:
    """This partner's referrals the query asks for: how many in all, and the page's rows (newest
    first) for `service_request`. Two statements, whatever the page size."""
    where, params = _where(partner, query)
    offset = (query.page - 1) * query.page_size
    with connection.cursor() as cursor:
        cursor.execute(_requests_sql(where, rows=False), params)
        (total,) = cursor.fetchone()
        if offset >= total:
            return total, []
        cursor.execute(
            _requests_sql(where, rows=True), {**params, "limit": query.page_size, "offset": offset}
        )
        return total, [dict(zip(ROW, row, strict=True)) for row in cursor.fetchall()]


def request_for(partner: Partner, pk: int) -> dict | None:
    """One of this partner's referrals as a row for `service_request`; None for anyone else's."""
    where, params = _where(partner, Query(ids=(pk,)))
    with connection.cursor() as cursor:
        cursor.execute(_requests_sql(where, rows=True), {**params, "limit": 1, "offset": 0})
        row = cursor.fetchone()
    return dict(zip(ROW, row, strict=True)) if row else None


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


def is_closed(row: dict) -> bool:
    return row["ended_at"] is not None or row["state"] == Referral.State.FIXED


def description(row: dict) -> str:
    """What and where, and what the officer will do; her words only if partners may read them."""
    place = row["location_text"] or f"{row['latitude']}, {row['longitude']}"
    parts = [f"{row['service_name']}: {place}."]  # Concern.place
    severity = Concern.Severity(row["severity"]).label
    when = Concern.When(row["when_it_matters"]).label
    parts.append(f"{severity} severity; matters {str(when).lower()}.")
    if row["action"]:
        parts.append(f"Police action: {row['action']}")
    if row["resident_said_shared"] and row["resident_said"]:
        parts.append(f"She said: {row['resident_said']}")
    return " ".join(parts)


def _float(value) -> float | None:
    return float(value) if value is not None else None


def service_request(row: dict) -> dict:
    """One referral in GeoReport v2's fields, and only those. `row` comes from `requests` or `request_for`."""
    return {
        "service_request_id": str(row["pk"]),
        "status": "closed" if is_closed(row) else "open",
        "status_notes": row["status_notes"] or "",
        "service_name": row["service_name"],
        "service_code": row["service_code"],
        "description": description(row),
        "agency_responsible": row["partner"],
        "service_notice": "",
        "requested_datetime": w3c(row["referred_at"]),
        "updated_datetime": w3c(row["updated"] or row["referred_at"]),
        "expected_datetime": end_of_day(row["target_date"]),
        "address": row["location_text"],
        "address_id": "",
        "zipcode": "",
        "lat": _float(row["latitude"]),
        "long": _float(row["longitude"]),
        "media_url": "",
    }
