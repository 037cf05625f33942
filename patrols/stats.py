"""The sergeant's dashboard figures. Every aggregate runs in PostgreSQL (FILTER, date_trunc,
percentile_cont); the number of queries is fixed, whatever the size of the scheme."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from participants.models import Borough, Officer, Pairing, Resident, Ward
from walkandtalk.outbox.models import Notification

from .models import LONDON, Concern, Referral, SafetyRating, Walk

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


def _both(scope: Scope, field: str, extra: Q | None = None) -> dict:
    """Count(…) for this period and the previous one, as a pair of FILTER aggregates."""
    extra = extra or Q()
    return {
        "now": Count("pk", filter=scope.during(field) & extra),
        "before": Count("pk", filter=scope.during(field, previous=True) & extra),
    }


def _pair(queryset: QuerySet, scope: Scope, field: str, extra: Q | None = None) -> dict:
    return queryset.filter(scope.both_periods(field)).aggregate(**_both(scope, field, extra))


def headline(scope: Scope, now: datetime | None = None) -> dict:
    """Headline figures, each with the previous period's for comparison. Six queries."""
    now = now or timezone.now()
    residents = Resident.objects.filter(scope.area("ward"))
    walks = Walk.objects.filter(scope.area("resident__ward"))
    concerns = Concern.objects.filter(scope.area("ward"))
    walk_counts = walks.filter(scope.both_periods("starts_at")).aggregate(
        **{
            f"{status}_{when}": Count(
                "pk", filter=scope.during("starts_at", previous=when == "before") & Q(status=status)
            )
            for status in ("completed", "cancelled", "no_show")
            for when in ("now", "before")
        }
    )
    to_resolve = ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())
    resolved = concerns.filter(scope.both_periods("resolved_at")).aggregate(
        now=Count("pk", filter=scope.during("resolved_at")),
        before=Count("pk", filter=scope.during("resolved_at", previous=True)),
        median_now=Median(to_resolve, filter=scope.during("resolved_at"), output_field=DurationField()),
        median_before=Median(
            to_resolve, filter=scope.during("resolved_at", previous=True), output_field=DurationField()
        ),
    )
    waiting = residents.filter(waiting_since__isnull=False).aggregate(
        count=Count("pk"), oldest=Min("waiting_since")
    )
    return {
        "signups": _pair(residents, scope, "created_at"),
        "paired": _pair(Pairing.objects.filter(scope.area("resident__ward")), scope, "started_at"),
        "waiting": waiting["count"],
        "longest_wait_days": (now - waiting["oldest"]).days if waiting["oldest"] else None,
        "completed": {"now": walk_counts["completed_now"], "before": walk_counts["completed_before"]},
        "cancelled": {"now": walk_counts["cancelled_now"], "before": walk_counts["cancelled_before"]},
        "no_show": {"now": walk_counts["no_show_now"], "before": walk_counts["no_show_before"]},
        "concerns": _pair(concerns, scope, "created_at"),
        "resolved": {"now": resolved["now"], "before": resolved["before"]},
        "median_days_to_resolve": {
            "now": _days(resolved["median_now"]),
            "before": _days(resolved["median_before"]),
        },
    }


def _days(duration: timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds() / 86400, 1)


def feeling_safe(scope: Scope) -> dict:
    """The scheme's own measure: how safe women feel at sign-up and after walks. Three queries."""
    residents = Resident.objects.filter(scope.area("ward"))
    ratings = SafetyRating.objects.filter(scope.area("resident__ward")).filter(scope.during("created_at"))
    baseline = residents.aggregate(
        mean=Avg("baseline_safety"), **{str(n): Count("pk", filter=Q(baseline_safety=n)) for n in range(1, 6)}
    )
    after = ratings.aggregate(
        mean=Avg("rating"), **{str(n): Count("pk", filter=Q(rating=n)) for n in range(1, 6)}
    )
    # Each rated resident's latest rating, found once with PostgreSQL's DISTINCT ON (not one subquery per
    # resident), compared with her baseline.
    latest = (
        SafetyRating.objects.filter(scope.area("resident__ward"), resident__isnull=False)
        .order_by("resident_id", "-created_at", "-pk")
        .distinct("resident_id")
        .values("pk")
    )
    change = SafetyRating.objects.filter(pk__in=Subquery(latest)).aggregate(
        rated=Count("pk"), up=Count("pk", filter=Q(rating__gt=F("resident__baseline_safety")))
    )
    return {
        "baseline_mean": _round(baseline.pop("mean")),
        "after_mean": _round(after.pop("mean")),
        "distribution": [
            {"rating": n, "baseline": baseline[str(n)], "after": after[str(n)]} for n in range(1, 6)
        ],
        "rated_residents": change["rated"],
        "share_up": round(100 * change["up"] / change["rated"]) if change["rated"] else None,
    }


def _round(value) -> float | None:
    return None if value is None else round(float(value), 2)


def weekly_trends(scope: Scope) -> list[dict]:
    """Per week (Monday start): walks completed, concerns logged, mean rating. Three queries."""
    weeks: dict[date, dict] = {}

    def merge(rows, key):
        for row in rows:
            week = (
                timezone.localtime(row["week"], LONDON).date()
                if isinstance(row["week"], datetime)
                else row["week"]
            )
            weeks.setdefault(week, {"week": week, "walks": 0, "concerns": 0, "rating": None})[key] = row[
                "value"
            ]

    walks = (
        Walk.objects.filter(
            scope.area("resident__ward"), scope.during("starts_at"), status=Walk.Status.COMPLETED
        )
        .annotate(week=TruncWeek("starts_at", tzinfo=LONDON))
        .values("week")
        .annotate(value=Count("pk"))
    )
    concerns = (
        Concern.objects.filter(scope.area("ward"), scope.during("created_at"))
        .annotate(week=TruncWeek("created_at", tzinfo=LONDON))
        .values("week")
        .annotate(value=Count("pk"))
    )
    ratings = (
        SafetyRating.objects.filter(scope.area("resident__ward"), scope.during("created_at"))
        .annotate(week=TruncWeek("created_at", tzinfo=LONDON))
        .values("week")
        .annotate(value=Avg("rating"))
    )
    merge(walks, "walks")
    merge(concerns, "concerns")
    merge(ratings, "rating")
    for row in weeks.values():
        row["rating"] = _round(row["rating"])
    return [weeks[week] for week in sorted(weeks)]


def concerns_by(scope: Scope, field: str, label: str) -> list[dict]:
    """Concerns logged in the period, counted by category or by ward. One query."""
    return list(
        Concern.objects.filter(scope.area("ward"), scope.during("created_at"))
        .values(label=F(label))
        .annotate(count=Count("pk"))
        .order_by("-count", "label")
    )


def map_points(scope: Scope, limit: int = 5000) -> list[dict]:
    """Concerns with a pin, for the map: category, colour, status and the admin link's id. No personal
    data, and disclosures are a different table altogether. One query."""
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
    """Unresolved concerns by age and by partner, and the oldest ones to act on. Three queries."""
    now = now or timezone.now()
    unresolved = Concern.objects.filter(scope.area("ward")).unresolved()
    buckets = {}
    for index, (_, low, high) in enumerate(AGE_BUCKETS):
        window = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            window &= Q(created_at__gt=now - timedelta(days=high + 1))
        buckets[f"age_{index}"] = Count("pk", filter=window)
    by_age = unresolved.aggregate(**buckets)
    by_partner = list(
        unresolved.values("partner_id", "partner__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "partner__name")
    )
    for row in by_partner:
        row["label"] = row["partner__name"] or "Not referred yet"
    items = list(
        unresolved.select_related("category", "ward", "partner").order_by("created_at", "pk")[:oldest]
    )
    return {
        "by_age": [
            {"label": name, "count": by_age[f"age_{i}"]} for i, (name, _, _) in enumerate(AGE_BUCKETS)
        ],
        "by_partner": by_partner,
        "oldest": items,
        "total": sum(by_age.values()),
    }


def officer_workload(scope: Scope) -> list[Officer]:
    """Per active officer covering the area: residents ÷ capacity, walks in the period, open concerns,
    last walk. Correlated subqueries, so no join multiplies another's counts. One query."""
    officers = Officer.objects.filter(is_active=True)
    if scope.ward is not None:
        officers = officers.filter(wards=scope.ward)
    elif scope.borough is not None:
        officers = officers.filter(wards__borough=scope.borough).distinct()

    def count(model, extra: Q):
        rows = model.objects.filter(officer=OuterRef("pk")).filter(extra).values("officer")
        return Coalesce(
            Subquery(rows.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()), 0
        )

    last_walk = (
        Walk.objects.filter(officer=OuterRef("pk"), status=Walk.Status.COMPLETED)
        .values("officer")
        .annotate(last=Max("starts_at"))
        .values("last")[:1]
    )
    return list(
        officers.annotate(
            residents=count(Pairing, Q(ended_at__isnull=True)),
            walks_in_period=count(Walk, scope.during("starts_at") & Q(status__in=Walk.ACTIVE_STATUSES)),
            open_concerns=count(Concern, Q(status__in=[Concern.Status.OPEN, Concern.Status.REFERRED])),
            last_walk=Subquery(last_walk),
        ).order_by("-residents", "display_name")
    )


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


# What the partner figures count, as filters over Referral. They say what the QuerySet methods say
# (ReferralQuerySet.overdue and unacknowledged_after), as FILTERs in one aggregate rather than a
# query per partner; tests/test_partner_dashboard.py holds them to the methods.
def _current() -> Q:
    return Q(ended_at__isnull=True)


def overdue_q(today: date) -> Q:
    return _current() & ~Q(state=Referral.State.FIXED) & Q(target_date__lt=today)


def unacknowledged_q(now: datetime) -> Q:
    return _current() & Q(state=Referral.State.SENT, ack_due_at__lte=now)


# Acknowledged by its due time: five working days after referral, bank holidays skipped (ack_due_at
# is set by patrols.referrals.working_days_after when the referral is made).
ACKNOWLEDGED_ON_TIME = Q(acknowledged_at__isnull=False, acknowledged_at__lte=F("ack_due_at"))


def partner_figures(scope: Scope, now: datetime | None = None) -> list[dict]:
    """Per partner: of the referrals made in the period (in the area), how many, how many acknowledged
    within 5 working days, how many fixed and the median days from referral to fix; and, whenever they
    were made, how many are overdue and unacknowledged after 5 working days now. One query: one
    aggregate over referrals grouped by partner, whatever the number of partners."""
    now = now or timezone.now()
    today = timezone.localdate(now, LONDON)
    made = scope.during("referred_at")
    fixed = made & Q(fixed_at__isnull=False)
    to_fix = ExpressionWrapper(F("fixed_at") - F("referred_at"), output_field=DurationField())
    rows = (
        Referral.objects.filter(scope.area("concern__ward"))
        # The period's referrals and every current one: the indexes narrow it before the FILTERs.
        .filter(made | _current())
        .values("partner_id", "partner__name")
        .annotate(
            referred=Count("pk", filter=made),
            acknowledged=Count("pk", filter=made & ACKNOWLEDGED_ON_TIME),
            fixed=Count("pk", filter=fixed),
            median_to_fix=Median(to_fix, filter=fixed, output_field=DurationField()),
            overdue=Count("pk", filter=overdue_q(today)),
            unacknowledged=Count("pk", filter=unacknowledged_q(now)),
        )
        .filter(Q(referred__gt=0) | Q(overdue__gt=0) | Q(unacknowledged__gt=0))
        .order_by("partner__name")
    )
    return [
        {
            "partner_id": row["partner_id"],
            "name": row["partner__name"],
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
