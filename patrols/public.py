""" "You said, we did": what residents raised on walks and what was done, per borough and ward, for anyone.

Aggregates only. Nothing here returns a row's free text (place, her words, the action, partner notes),
a pin, a disclosure or anything about a person: every query is a COUNT or a median grouped by category,
outcome, borough or ward.

Small numbers. A count of 1 or 2 in a small area can point at the woman who raised it, so it is shown
as "fewer than 3", and no figure on a page may let a reader work such a number out by subtraction.
What we do about totals (a table's rows add up to the headline "concerns raised"):
- Rows of 1 or 2 are not listed one by one: they are pooled into one unnamed row ("Other categories",
  "Other outcomes"). If that pool would itself be 1 or 2 (and so could be got from the total minus the
  other rows), the smallest listed row joins it until it is at least 3. So every number in a table is
  0 or at least 3 and the total stays exact, and the pooled rows' split cannot be worked out.
- Per category we show how many were raised and the median days to fix, not the number fixed: a
  "fixed" column would be a second set of parts summing to the headline "fixed", with its own hidden
  cells.
- The headline "fixed" is exact only when the outcome table does not already let a reader split the
  pooled row into fixed and not fixed; otherwise it is "fewer than 3", "all but fewer than 3" or
  "at least N" (a bound the table already gives) — see `_fixed_headline`.
- A page with fewer than 3 concerns shows only "fewer than 3", no breakdown.
What is left: a borough's figures minus those of all its other wards can still narrow down a small
ward's (cross-page secondary suppression is not done); the periods are whole months so that
comparing the page from one day to the next cannot single out a concern.

The period is the last 12 whole months in London dates (e.g. 1 December 2025 to 30 November 2026 on
any day in December 2026): the figures change once a month, like the monthly report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.models import Borough, Ward

from .models import LONDON, Concern, Partner, Referral

SMALL = 3  # counts below this are "fewer than 3"
FEWER = _("fewer than 3")
NO_MEDIAN = "—"

# What was done, in the order the table lists it. The partner kinds are those of the referral that
# fixed the concern; "none" is a concern resolved with no partner's fix recorded (the police saw to it).
FIXED_LABELS = {
    Partner.Kind.COUNCIL: _("Fixed by the council"),
    Partner.Kind.TRANSPORT: _("Fixed by transport (for example Transport for London)"),
    Partner.Kind.HOUSING: _("Fixed by a housing provider"),
    Partner.Kind.BUSINESS: _("Fixed by a local business"),
    Partner.Kind.OTHER: _("Fixed by another organisation"),
    "none": _("Fixed, with no partner named"),
}
NOT_FIXED_LABELS = {"closed": _("Closed without a fix"), "working": _("Still being worked on")}
OUTCOME_LABELS = {**FIXED_LABELS, **NOT_FIXED_LABELS}
OTHER_CATEGORIES = _("Other categories (too few to show one by one)")
OTHER_OUTCOMES = _("Other outcomes (too few to show one by one)")


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5), computed in the database (no rows come back)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False


@dataclass(frozen=True)
class Period:
    """London dates, both ends included."""

    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=LONDON)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=LONDON)

    @property
    def label(self) -> str:
        return f"{self.first_day:%-d %B %Y} to {self.last_day:%-d %B %Y}"


def period(*, today: date | None = None) -> Period:
    """The last 12 whole months before this one: whole months, so the page changes once a month and
    no day-to-day comparison singles out one concern."""
    today = today or timezone.localdate(timezone.now(), LONDON)
    first_of_this_month = today.replace(day=1)
    return Period(
        first_day=first_of_this_month.replace(year=first_of_this_month.year - 1),
        last_day=first_of_this_month - timedelta(days=1),
    )


@dataclass(frozen=True)
class Row:
    label: str
    count: str
    median_days: str = NO_MEDIAN


@dataclass
class Summary:
    """One area's figures, as the page shows them (strings: small numbers already hidden)."""

    raised: str
    fixed: str
    median_days: str
    categories: list[Row] = field(default_factory=list)
    outcomes: list[Row] = field(default_factory=list)
    is_empty: bool = False
    is_small: bool = False  # fewer than 3 concerns: no breakdown


def shown(count: int) -> str:
    """A count as the public sees it: "none", "fewer than 3" or the number."""
    if count == 0:
        return "none"
    return FEWER if count < SMALL else str(count)


def _days(duration: timedelta | None) -> str:
    return NO_MEDIAN if duration is None else f"{duration.total_seconds() / 86400:.1f}"


def _pool(counts: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], set[str], int]:
    """Split counts into those listed one by one (each at least 3) and one pooled remainder (0 or at
    least 3), so that no 1 or 2 can be read off or worked out from the total. Returns the listed rows
    (in their order), the pooled keys and the pool's size."""
    present = [(key, n) for key, n in counts if n > 0]
    pooled = {key for key, n in present if n < SMALL}
    pool = sum(n for key, n in present if key in pooled)
    # The pool is the total minus the listed rows: a pool of 1 or 2 would give a small number away.
    for key, n in sorted((row for row in present if row[0] not in pooled), key=lambda row: row[1]):
        if pool == 0 or pool >= SMALL:
            break
        pooled.add(key)
        pool += n
    return [(key, n) for key, n in present if key not in pooled], pooled, pool


def _fixed_headline(outcomes: dict[str, int], pooled: set[str]) -> str:
    """How many were fixed, without letting the reader split the outcome table's pooled row into
    fixed and not fixed when either part is 1 or 2."""
    fixed = sum(n for key, n in outcomes.items() if key in FIXED_LABELS)
    not_fixed = sum(outcomes.values()) - fixed
    pool_fixed = sum(n for key, n in outcomes.items() if key in pooled and key in FIXED_LABELS)
    pool_not_fixed = sum(n for key, n in outcomes.items() if key in pooled and key not in FIXED_LABELS)
    # The table already gives the number fixed (pool all one kind), or both parts of the pool are safe.
    if pool_fixed == 0 or pool_not_fixed == 0 or (pool_fixed >= SMALL and pool_not_fixed >= SMALL):
        return shown(fixed)
    if fixed < SMALL:
        return FEWER
    if not_fixed < SMALL:
        return f"all but {FEWER}"
    return f"at least {max(SMALL, fixed - pool_fixed)}"


def _outcome():
    """Each concern's outcome: the kind of partner whose referral fixed it, "none" when resolved
    with no partner's fix, "closed" or "working"."""
    fixed_by = Referral.objects.filter(concern=OuterRef("pk"), state=Referral.State.FIXED).order_by(
        "-fixed_at", "-pk"
    )
    return Case(
        When(
            status=Concern.Status.RESOLVED,
            then=Coalesce(Subquery(fixed_by.values("partner__kind")[:1]), Value("none")),
        ),
        When(status=Concern.Status.CLOSED, then=Value("closed")),
        default=Value("working"),
        output_field=CharField(),
    )


def _to_fix():
    return ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())


FIXED_Q = Q(status=Concern.Status.RESOLVED, resolved_at__isnull=False)


def _raised_in(when: Period) -> QuerySet:
    return Concern.objects.filter(created_at__gte=when.start, created_at__lt=when.end)


def _summarise(outcomes: dict[str, int], median: timedelta | None, categories: list[dict]) -> Summary:
    total = sum(outcomes.values())
    if total == 0:
        return Summary(raised="none", fixed="none", median_days=NO_MEDIAN, is_empty=True)
    fixed = sum(n for key, n in outcomes.items() if key in FIXED_LABELS)
    median_days = _days(median) if fixed >= SMALL else NO_MEDIAN
    if total < SMALL:
        return Summary(raised=FEWER, fixed=shown(fixed), median_days=NO_MEDIAN, is_small=True)
    listed, pooled, pool = _pool([(key, outcomes.get(key, 0)) for key in OUTCOME_LABELS])
    outcome_rows = [Row(OUTCOME_LABELS[key], str(n)) for key, n in listed]
    if pool:
        outcome_rows.append(Row(OTHER_OUTCOMES, str(pool)))
    by_name = {row["name"]: row for row in categories}
    listed_categories, _, category_pool = _pool([(row["name"], row["raised"]) for row in categories])
    category_rows = [
        Row(
            name,
            str(n),
            _days(by_name[name]["median"]) if by_name[name]["fixes"] >= SMALL else NO_MEDIAN,
        )
        for name, n in listed_categories
    ]
    if category_pool:
        category_rows.append(Row(OTHER_CATEGORIES, str(category_pool)))
    return Summary(
        raised=str(total),
        fixed=_fixed_headline(outcomes, pooled),
        median_days=median_days,
        categories=category_rows,
        outcomes=outcome_rows,
    )


def area_summary(*, borough: Borough, ward: Ward | None = None, when: Period | None = None) -> Summary:
    """A borough's or one ward's figures for the period. Three aggregate queries whatever the number
    of concerns or categories: by category, by outcome, and the median over all fixes."""
    when = when or period()
    concerns = _raised_in(when).filter(ward=ward) if ward else _raised_in(when).filter(ward__borough=borough)
    categories = list(
        concerns.values("category__position", "category__name")
        .annotate(
            name=F("category__name"),
            raised=Count("pk"),
            fixes=Count("pk", filter=FIXED_Q),
            median=Median(_to_fix(), filter=FIXED_Q, output_field=DurationField()),
        )
        .values("name", "raised", "fixes", "median")
        .order_by("category__position", "category__name")
    )
    outcomes = {
        row["outcome"]: row["n"]
        for row in concerns.annotate(outcome=_outcome()).values("outcome").annotate(n=Count("pk")).order_by()
    }
    median = concerns.aggregate(median=Median(_to_fix(), filter=FIXED_Q, output_field=DurationField()))
    return _summarise(outcomes, median["median"], categories)


@dataclass(frozen=True)
class BoroughHeadline:
    borough: Borough
    summary: Summary


def borough_headlines(*, when: Period | None = None) -> list[BoroughHeadline]:
    """Each borough's headline (raised, fixed, median days), as its own page gives it. Three queries:
    the boroughs, outcomes by borough, medians by borough."""
    when = when or period()
    boroughs = list(Borough.objects.order_by("name"))
    concerns = _raised_in(when)
    outcomes: dict[int, dict[str, int]] = {}
    rows = (
        concerns.annotate(outcome=_outcome())
        .values("ward__borough", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        outcomes.setdefault(row["ward__borough"], {})[row["outcome"]] = row["n"]
    medians = {
        row["ward__borough"]: row["median"]
        for row in concerns.values("ward__borough")
        .annotate(median=Median(_to_fix(), filter=FIXED_Q, output_field=DurationField()))
        .order_by()
    }
    return [
        BoroughHeadline(borough, _summarise(outcomes.get(borough.pk, {}), medians.get(borough.pk), []))
        for borough in boroughs
    ]
