"""The sergeant's dashboard figures. Every aggregate runs in PostgreSQL (FILTER, date_trunc,
percentile_cont); the number of queries is fixed, whatever the size of the scheme: the dashboard's
figures are two statements (the period's and the live ones, see `together`). Current-state figures —
officer workload, open concerns by partner, each resident's latest rating — come from the counters
that PostgreSQL triggers keep (patrols/counters.py), not from aggregates over millions of rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from participants.models import Borough, Officer, Pairing, Resident, Ward
from walkandtalk.outbox.models import Notification

from .models import (
    LONDON,
    Concern,
    OpenConcernCount,
    OpenConcernDay,
    Referral,
    ReferralQuerySet,
    SafetyRating,
    Walk,
)

AGE_BUCKETS = [("0–7 days", 0, 7), ("8–28 days", 8, 28), ("Over 28 days", 29, None)]


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5): the median, computed in the database."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False


@dataclass(frozen=True)
class Scope:
    """What the dashboard looks at: a period of London dates (inclusive) and optionally one area."""

    first_day: date
    last_day: date
    borough: Borough | None = None
    ward: Ward | None = None

    @classmethod
    def default(cls, today: date | None = None) -> Scope:
        today = today or timezone.localdate(timezone.now(), LONDON)
        return cls(first_day=today - timedelta(days=27), last_day=today)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=LONDON)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=LONDON)

    @property
    def days(self) -> int:
        """How many days the period covers (both ends included)."""
        return (self.last_day - self.first_day).days + 1

    @property
    def previous(self) -> Scope:
        """The period of the same length just before this one, in the same area."""
        length = self.days
        return Scope(
            first_day=self.first_day - timedelta(days=length),
            last_day=self.first_day - timedelta(days=1),
            borough=self.borough,
            ward=self.ward,
        )

    def area(self, ward_path: str) -> Q:
        """A filter for rows whose ward is at ``ward_path`` (e.g. "resident__ward")."""
        if self.ward is not None:
            return Q(**{ward_path: self.ward})
        if self.borough is not None:
            return Q(**{f"{ward_path}__borough": self.borough})
        return Q()

    def during(self, field: str, *, previous: bool = False) -> Q:
        scope = self.previous if previous else self
        return Q(**{f"{field}__gte": scope.start, f"{field}__lt": scope.end})

    def both_periods(self, field: str) -> Q:
        """This period and the one before: a WHERE that lets the indexes do the work before the FILTERs."""
        return Q(**{f"{field}__gte": self.previous.start, f"{field}__lt": self.end})


def together(parts: dict[str, QuerySet]) -> dict[str, list[dict]]:
    """Run several read-only querysets as ONE statement: ``SELECT (SELECT json_agg(t) FROM (…) t), …``.

    The dashboard has a dozen figures, each its own aggregate; sent one by one they were 29 round trips
    (issue 16 allows 12 for a page). PostgreSQL still runs each subquery with its own plan and indexes;
    only the round trips go. Each part comes back as a list of dicts keyed by its column aliases
    (Django aliases every ``values()`` column), with JSON's types: numbers, and ISO strings for dates."""
    if not parts:
        return {}
    selects, params = [], []
    for queryset in parts.values():
        sql, part_params = queryset.query.sql_with_params()
        # Django's own compiled SQL, its values still parameters.
        selects.append(f"(SELECT COALESCE(json_agg(t), '[]'::json) FROM ({sql}) t)")  # noqa: S608
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    return {
        name: json.loads(value) if isinstance(value, str) else value
        for name, value in zip(parts, row, strict=True)
    }


def _whole(queryset: QuerySet, **aggregates) -> QuerySet:
    """``aggregate()`` as a queryset of one row (grouped by a constant, which Django leaves out of
    GROUP BY), so it can go into `together`."""
    return (
        queryset.order_by()
        .annotate(whole_=Value(1))
        .values("whole_")
        .annotate(**aggregates)
        .values(*aggregates)
    )


def _one(rows: list[dict]) -> dict:
    return rows[0]


def _when(value: str | datetime | None) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _both(scope: Scope, field: str, extra: Q | None = None) -> dict:
    """Count(…) for this period and the previous one, as a pair of FILTER aggregates."""
    extra = extra or Q()
    return {
        "now": Count("pk", filter=scope.during(field) & extra),
        "before": Count("pk", filter=scope.during(field, previous=True) & extra),
    }


class Epoch(Func):
    """A duration in seconds (JSON has no durations)."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def _seconds_between(start: str, end: str) -> Epoch:
    return Epoch(ExpressionWrapper(F(end) - F(start), output_field=DurationField()))


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 86400, 1)


def _round(value) -> float | None:
    return None if value is None else round(float(value), 2)


# The parts: every figure the dashboard shows, as a named queryset. PERIOD parts are history for the
# period asked for (cached a minute per scope on the dashboard); LIVE parts are the current state — open
# actions, workload, the waiting list, failed messages — read from counters and small indexed sets and
# not cached here: the dashboard keeps its rendered figures a few seconds, and a sergeant's own
# change in the admin starts them afresh, so she sees what she reassigns or resolves at once.
def _period_parts(scope: Scope) -> dict[str, QuerySet]:
    concerns = Concern.objects.filter(scope.area("ward"))
    ratings = SafetyRating.objects.filter(scope.area("resident__ward"), scope.during("created_at"))
    walks = Walk.objects.filter(scope.area("resident__ward"))
    completed_in_period = walks.filter(scope.during("starts_at"), status=Walk.Status.COMPLETED)
    in_period = concerns.filter(scope.during("created_at"))
    to_resolve = _seconds_between("created_at", "resolved_at")
    return {
        # Sign-ups, baseline ratings and "feel safer": one pass over the area's residents, each joined to
        # her latest rating (the ResidentSafety counter), not to every rating she gave.
        "residents": _whole(
            Resident.objects.filter(scope.area("ward")),
            signups_now=Count("pk", filter=scope.during("created_at")),
            signups_before=Count("pk", filter=scope.during("created_at", previous=True)),
            baseline_mean=Avg("baseline_safety"),
            **{f"baseline_{n}": Count("pk", filter=Q(baseline_safety=n)) for n in range(1, 6)},
            rated=Count("latest_safety"),
            up=Count("latest_safety", filter=Q(latest_safety__latest_rating__gt=F("baseline_safety"))),
        ),
        "paired": _whole(
            Pairing.objects.filter(scope.area("resident__ward"), scope.both_periods("started_at")),
            **_both(scope, "started_at"),
        ),
        "walks": _whole(
            walks.filter(scope.both_periods("starts_at")),
            **{
                f"{status}_{when}": Count(
                    "pk", filter=scope.during("starts_at", previous=when == "before") & Q(status=status)
                )
                for status in ("completed", "cancelled", "no_show")
                for when in ("now", "before")
            },
        ),
        "concerns": _whole(
            concerns.filter(scope.both_periods("created_at") | scope.both_periods("resolved_at")),
            logged_now=Count("pk", filter=scope.during("created_at")),
            logged_before=Count("pk", filter=scope.during("created_at", previous=True)),
            resolved_now=Count("pk", filter=scope.during("resolved_at")),
            resolved_before=Count("pk", filter=scope.during("resolved_at", previous=True)),
            median_now=Median(to_resolve, filter=scope.during("resolved_at"), output_field=FloatField()),
            median_before=Median(
                to_resolve, filter=scope.during("resolved_at", previous=True), output_field=FloatField()
            ),
        ),
        "ratings": _whole(
            ratings,
            mean=Avg("rating"),
            **{f"after_{n}": Count("pk", filter=Q(rating=n)) for n in range(1, 6)},
        ),
        "weeks_walks": completed_in_period.annotate(week=TruncWeek("starts_at", tzinfo=LONDON))
        .values("week")
        .annotate(value=Count("pk"))
        .order_by(),
        "weeks_concerns": in_period.annotate(week=TruncWeek("created_at", tzinfo=LONDON))
        .values("week")
        .annotate(value=Count("pk"))
        .order_by(),
        "weeks_ratings": ratings.annotate(week=TruncWeek("created_at", tzinfo=LONDON))
        .values("week")
        .annotate(value=Avg("rating"))
        .order_by(),
        "by_category": _concerns_by(scope, "category__name"),
        "by_ward": _concerns_by(scope, "ward__name"),
        "unpinned": in_period.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True))
        .annotate(total=Window(Count("pk")))
        .values(
            "pk",
            "location_text",
            "created_at",
            "total",
            category_name=F("category__name"),
            ward_name=F("ward__name"),
        )
        .order_by("-created_at", "-pk")[:NO_PIN_LISTED],
        "partners": _partner_rows(scope),
    }


def _live_parts(
    scope: Scope, now: datetime, oldest: int = 15, workload: slice = slice(None)
) -> dict[str, QuerySet]:
    unresolved = Concern.objects.filter(scope.area("ward")).unresolved()
    # Ages in whole London days: "0–7 days" is logged today or in the seven days before.
    today = timezone.localdate(now, LONDON)
    first_bucket_from, second_bucket_from = (today - timedelta(days=AGE_BUCKETS[i][2]) for i in (0, 1))
    return {
        "waiting": _whole(
            Resident.objects.filter(scope.area("ward"), waiting_since__isnull=False),
            count=Count("pk"),
            oldest=Min("waiting_since"),
        ),
        # Unresolved concerns by partner, and in all, from the counter (ward × partner); the recent ones
        # (the first two age buckets) from the counter by ward and day; "over 28 days" is the rest.
        "open_by_partner": OpenConcernCount.objects.filter(scope.area("ward"), count__gt=0)
        .values("partner_id", partner_name=F("partner__name"))
        .annotate(count=Sum("count"))
        .order_by("-count", "partner_name"),
        "open_recent": _whole(
            OpenConcernDay.objects.filter(scope.area("ward"), day__gte=second_bucket_from),
            age_0=Coalesce(Sum("count", filter=Q(day__gte=first_bucket_from, day__lte=today)), 0),
            age_1=Coalesce(Sum("count", filter=Q(day__lt=first_bucket_from)), 0),
            future=Coalesce(Sum("count", filter=Q(day__gt=today)), 0),
        ),
        "oldest": unresolved.values(
            "pk",
            "created_at",
            "location_text",
            "status",
            category_name=F("category__name"),
            ward_name=F("ward__name"),
            partner_name=F("partner__name"),
        ).order_by("created_at", "pk")[:oldest],
        # One page of officers (`workload`): the walks-in-period subquery runs for those only, not for
        # London's 800; the count says how many pages there are.
        "workload": _workload_rows(scope)[workload],
        "workload_count": _whole(_workload_officers(scope), count=Count("pk", distinct=True)),
        "waiting_list": Resident.objects.filter(scope.area("ward"), waiting_since__isnull=False)
        .values("pk", "preferred_name", "waiting_since", ward_name=F("ward__name"))
        .order_by("waiting_since", "pk")[:10],
        "failed": _whole(Notification.objects.filter(status=Notification.Status.FAILED), count=Count("pk")),
    }


def _concerns_by(scope: Scope, label: str) -> QuerySet:
    return (
        Concern.objects.filter(scope.area("ward"), scope.during("created_at"))
        .values(label=F(label))
        .annotate(count=Count("pk"))
        .order_by("-count", "label")
    )


def _ns(**fields) -> SimpleNamespace:
    return SimpleNamespace(**fields)


# Shapes: the parts' rows as the dashboard, the monthly report and the tests read them.
def _headline(rows: dict, now: datetime) -> dict:
    residents, walks, concerns, waiting = (
        _one(rows["residents"]),
        _one(rows["walks"]),
        _one(rows["concerns"]),
        None,
    )
    if "waiting" in rows:
        waiting = _one(rows["waiting"])
    oldest = _when(waiting["oldest"]) if waiting else None
    return {
        "signups": {"now": residents["signups_now"], "before": residents["signups_before"]},
        "paired": _one(rows["paired"]),
        "waiting": waiting["count"] if waiting else None,
        "longest_wait_days": (now - oldest).days if oldest else None,
        **{
            status: {"now": walks[f"{status}_now"], "before": walks[f"{status}_before"]}
            for status in ("completed", "cancelled", "no_show")
        },
        "concerns": {"now": concerns["logged_now"], "before": concerns["logged_before"]},
        "resolved": {"now": concerns["resolved_now"], "before": concerns["resolved_before"]},
        "median_days_to_resolve": {
            "now": _days(concerns["median_now"]),
            "before": _days(concerns["median_before"]),
        },
    }


def _feeling_safe(rows: dict) -> dict:
    residents, after = _one(rows["residents"]), _one(rows["ratings"])
    return {
        "baseline_mean": _round(residents["baseline_mean"]),
        "after_mean": _round(after["mean"]),
        "distribution": [
            {"rating": n, "baseline": residents[f"baseline_{n}"], "after": after[f"after_{n}"]}
            for n in range(1, 6)
        ],
        "rated_residents": residents["rated"],
        "share_up": round(100 * residents["up"] / residents["rated"]) if residents["rated"] else None,
    }


def _weekly(rows: dict) -> list[dict]:
    weeks: dict[date, dict] = {}
    for part, key in (("weeks_walks", "walks"), ("weeks_concerns", "concerns"), ("weeks_ratings", "rating")):
        for row in rows[part]:
            week = _when(row["week"])  # the Monday, in London time (naive in the SQL: AT TIME ZONE)
            week = (timezone.localtime(week, LONDON) if timezone.is_aware(week) else week).date()
            weeks.setdefault(week, {"week": week, "walks": 0, "concerns": 0, "rating": None})[key] = row[
                "value"
            ]
    for row in weeks.values():
        row["rating"] = _round(row["rating"])
    return [weeks[week] for week in sorted(weeks)]


def _unpinned(rows: list[dict]) -> dict:
    items = [
        _ns(
            pk=row["pk"],
            category=row["category_name"],
            location_text=row["location_text"],
            ward=_ns(name=row["ward_name"]),
            created_at=_when(row["created_at"]),
        )
        for row in rows
    ]
    total = rows[0]["total"] if rows else 0
    return {"count": total, "items": items, "more": total - len(items)}


STATUS_LABELS = dict(Concern.Status.choices)


def _open_actions(rows: dict) -> dict:
    by_partner = [
        {
            "partner_id": row["partner_id"],
            "partner__name": row["partner_name"],
            "label": row["partner_name"] or "Not referred yet",
            "count": row["count"],
        }
        for row in rows["open_by_partner"]
    ]
    recent = _one(rows["open_recent"])
    counted = sum(row["count"] for row in by_partner) - recent["future"]
    ages = [recent["age_0"], recent["age_1"], counted - recent["age_0"] - recent["age_1"]]
    oldest = [
        _ns(
            pk=row["pk"],
            created_at=_when(row["created_at"]),
            location_text=row["location_text"],
            category=row["category_name"],
            ward=_ns(name=row["ward_name"]),
            get_status_display=STATUS_LABELS[row["status"]],
            partner=_ns(name=row["partner_name"]) if row["partner_name"] else None,
        )
        for row in rows["oldest"]
    ]
    return {
        "by_age": [{"label": name, "count": ages[i]} for i, (name, _, _) in enumerate(AGE_BUCKETS)],
        "by_partner": by_partner,
        "oldest": oldest,
        "total": sum(ages),
    }


def _workload(rows: list[dict]) -> list[SimpleNamespace]:
    return [_ns(**{**row, "last_walk": _when(row["last_walk"])}) for row in rows]


def _waiting_list(rows: list[dict]) -> list[SimpleNamespace]:
    return [
        _ns(
            pk=row["pk"],
            preferred_name=row["preferred_name"],
            waiting_since=_when(row["waiting_since"]),
            ward=_ns(name=row["ward_name"]),
        )
        for row in rows
    ]


def _pick(parts: dict[str, QuerySet], *names: str) -> dict[str, QuerySet]:
    return {name: parts[name] for name in names}


def period_figures(scope: Scope) -> dict[str, list[dict]]:
    """The rows of every period figure, in one query (JSON-ready: what the dashboard caches)."""
    return together(_period_parts(scope))


def live_figures(
    scope: Scope, now: datetime | None = None, workload: slice = slice(None)
) -> dict[str, list[dict]]:
    """The rows of every current-state figure, in one query (not cached here); `workload`: which of the
    officers, busiest first."""
    return together(_live_parts(scope, now or timezone.now(), workload=workload))


def dashboard(
    scope: Scope, period: dict | None = None, now: datetime | None = None, workload: slice = slice(None)
) -> dict:
    """Everything the dashboard shows: the period's rows (given, from the cache, or fetched) and the
    live rows, shaped. One query each. `workload`: which officers' rows (busiest first); every
    officer is counted in `workload_count`."""
    now = now or timezone.now()
    rows = {
        **(period if period is not None else period_figures(scope)),
        **live_figures(scope, now, workload=workload),
    }
    return {
        "headline": _headline(rows, now),
        "safe": _feeling_safe(rows),
        "weeks": _weekly(rows),
        "by_category": rows["by_category"],
        "by_ward": rows["by_ward"],
        "unpinned": _unpinned(rows["unpinned"]),
        "actions": _open_actions(rows),
        "partners": _partner_shape(rows["partners"]),
        "workload": _workload(rows["workload"]),
        "workload_count": _one(rows["workload_count"])["count"],
        "waiting": _waiting_list(rows["waiting_list"]),
        "failed_messages": _one(rows["failed"])["count"],
    }


def headline(scope: Scope, now: datetime | None = None) -> dict:
    """Headline figures, each with the previous period's for comparison. One query."""
    now = now or timezone.now()
    parts = {
        **_pick(_period_parts(scope), "residents", "paired", "walks", "concerns"),
        **_pick(_live_parts(scope, now), "waiting"),
    }
    return _headline(together(parts), now)


def feeling_safe(scope: Scope) -> dict:
    """The scheme's own measure: how safe women feel at sign-up and after walks (each rated resident's
    latest rating from the ResidentSafety counter, against her baseline). One query."""
    return _feeling_safe(together(_pick(_period_parts(scope), "residents", "ratings")))


def weekly_trends(scope: Scope) -> list[dict]:
    """Per week (Monday start): walks completed, concerns logged, mean rating. One query."""
    return _weekly(together(_pick(_period_parts(scope), "weeks_walks", "weeks_concerns", "weeks_ratings")))


def concerns_by(scope: Scope, field: str, label: str) -> list[dict]:
    """Concerns logged in the period, counted by category or by ward. One query."""
    return list(_concerns_by(scope, label))


MAP_PINS = 5000


def map_points(scope: Scope, limit: int = MAP_PINS) -> list[dict]:
    """Concerns with a pin, for the map (the dashboard fetches them as JSON after the page): category,
    colour, status, the place in words and the admin link's id. No personal data — not what the
    resident said, not who — and disclosures are a different table altogether. One query."""
    rows = (
        Concern.objects.filter(scope.area("ward"), scope.during("created_at"), latitude__isnull=False)
        .values(
            "pk", "latitude", "longitude", "status", "category__name", "category__colour", "location_text"
        )
        .order_by("-created_at")[:limit]
    )
    return [
        {
            "id": row["pk"],
            "lat": float(row["latitude"]),
            "lng": float(row["longitude"]),
            "status": row["status"],
            "category": row["category__name"],
            "colour": row["category__colour"],
            "place": row["location_text"],
        }
        for row in rows
    ]


NO_PIN_LISTED = 100


def without_pin(concerns: QuerySet, limit: int = NO_PIN_LISTED) -> dict:
    """The concerns among these that a map cannot show (a street or landmark, no pin): how many, and
    the newest of them to list — so no concern is invisible. One query (the count is a window over
    the whole set, so the LIMIT does not cut it)."""
    rows = list(
        concerns.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True))
        .select_related("category", "ward")
        .annotate(total=Window(Count("pk")))
        .order_by("-created_at", "-pk")[:limit]
    )
    total = rows[0].total if rows else 0
    return {"count": total, "items": rows, "more": total - len(rows)}


def unpinned(scope: Scope, limit: int = NO_PIN_LISTED) -> dict:
    """The dashboard's "N concerns have no map pin", for the period and area the map shows."""
    return without_pin(Concern.objects.filter(scope.area("ward"), scope.during("created_at")), limit)


def open_actions(scope: Scope, now: datetime | None = None, oldest: int = 15) -> dict:
    """Unresolved concerns by age and by partner (from the OpenConcernDay and OpenConcernCount
    counters), and the oldest ones to act on. One query."""
    parts = _live_parts(scope, now or timezone.now(), oldest=oldest)
    return _open_actions(together(_pick(parts, "open_by_partner", "open_recent", "oldest")))


def _workload_officers(scope: Scope) -> QuerySet:
    officers = Officer.objects.filter(is_active=True)
    if scope.ward is not None:
        return officers.filter(wards=scope.ward)
    if scope.borough is not None:
        return officers.filter(wards__borough=scope.borough).distinct()
    return officers


def _workload_rows(scope: Scope) -> QuerySet:
    officers = _workload_officers(scope)
    walks = (
        Walk.objects.filter(officer=OuterRef("pk"), status__in=Walk.ACTIVE_STATUSES)
        .filter(scope.during("starts_at"))
        .values("officer")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return officers.values(
        "pk",
        "display_name",
        "collar_number",
        "capacity",
        residents=Coalesce(F("workload__residents"), 0),
        open_concerns=Coalesce(F("workload__open_concerns"), 0),
        last_walk=F("workload__last_walk_at"),
        walks_in_period=Coalesce(Subquery(walks, output_field=IntegerField()), 0),
    ).order_by("-residents", "display_name", "pk")


def officer_workload(scope: Scope, window: slice = slice(None)) -> list[SimpleNamespace]:
    """Per active officer covering the area (those in `window`, busiest first): residents ÷ capacity,
    open concerns and last walk from the OfficerWorkload counter; walks in the period from the
    (officer, starts_at) index. One query."""
    return _workload(list(_workload_rows(scope)[window]))


def waiting_list(scope: Scope, limit: int = 10) -> list[Resident]:
    return list(
        Resident.objects.filter(scope.area("ward"), waiting_since__isnull=False)
        .select_related("ward")
        .order_by("waiting_since", "pk")[:limit]
    )


def failed_messages() -> int:
    return Notification.objects.filter(status=Notification.Status.FAILED).count()


def top_places(scope: Scope, limit: int = 10) -> list[dict]:
    """The places named most often in concerns in the period (street or landmark, with its ward)."""
    return list(
        Concern.objects.filter(scope.area("ward"), scope.during("created_at"))
        .exclude(location_text="")
        .values("location_text", ward_name=F("ward__name"))
        .annotate(count=Count("pk"), open=Count("pk", filter=Q(status__in=["open", "referred"])))
        .order_by("-count", "location_text")[:limit]
    )


# What the partner figures count: ReferralQuerySet's own conditions, as FILTERs in one aggregate rather
# than a query per partner.
_CURRENT = ReferralQuerySet.CURRENT


def _partner_rows(scope: Scope, now: datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    today = timezone.localdate(now, LONDON)
    made = scope.during("referred_at")
    fixed = made & Q(fixed_at__isnull=False)
    to_fix = _seconds_between("referred_at", "fixed_at")
    return (
        Referral.objects.filter(scope.area("concern__ward"))
        # The period's referrals and every current one: the indexes narrow it before the FILTERs.
        .filter(made | _CURRENT)
        .values("partner_id", partner_name=F("partner__name"))
        .annotate(
            referred=Count("pk", filter=made),
            acknowledged=Count("pk", filter=made & ReferralQuerySet.ACKNOWLEDGED_ON_TIME),
            fixed=Count("pk", filter=fixed),
            median_to_fix=Median(to_fix, filter=fixed, output_field=FloatField()),
            overdue=Count("pk", filter=ReferralQuerySet.overdue_q(today)),
            unacknowledged=Count("pk", filter=ReferralQuerySet.unacknowledged_q(now)),
        )
        .filter(Q(referred__gt=0) | Q(overdue__gt=0) | Q(unacknowledged__gt=0))
        .order_by("partner_name")
    )


def _partner_shape(rows) -> list[dict]:
    return [
        {
            "partner_id": row["partner_id"],
            "name": row["partner_name"],
            "referred": row["referred"],
            "acknowledged": row["acknowledged"],
            "acknowledged_share": round(100 * row["acknowledged"] / row["referred"])
            if row["referred"]
            else None,
            "fixed": row["fixed"],
            "median_days_to_fix": _days(row["median_to_fix"]),
            "overdue": row["overdue"],
            "unacknowledged": row["unacknowledged"],
        }
        for row in rows
    ]


def partner_figures(scope: Scope, now: datetime | None = None) -> list[dict]:
    """Per partner: of the referrals made in the period (in the area), how many, how many acknowledged
    within 5 working days, how many fixed and the median days from referral to fix; and, whenever they
    were made, how many are overdue and unacknowledged after 5 working days now. One query: one
    aggregate over referrals grouped by partner, whatever the number of partners."""
    return _partner_shape(_partner_rows(scope, now))
