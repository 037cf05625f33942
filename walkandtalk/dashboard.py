"""The sergeant's dashboard (the admin's front page), the partners' CSV export and the monthly report.

Sergeants only: every view here is wrapped by the admin site's ``admin_view`` (see admin.py)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.forms.models import ModelChoiceIterator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from participants.audit import record_event
from participants.inputs import BoundedDateField, QuickSelect
from participants.models import AuditEvent, Borough, Ward
from patrols import stats
from patrols.exports import csv_response
from patrols.models import LONDON, Concern

logger = logging.getLogger(__name__)


class _WardChoices(ModelChoiceIterator):
    """The wards as (pk, "Name (Borough)", as Ward.__str__ writes it) read with values_list: London's
    ~680 wards without a Ward and a Borough object each, which cost more than the rest of the page."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, name, borough in self.queryset.values_list("pk", "name", "borough__name"):
            yield (pk, f"{name} ({borough})")


class WardChoiceField(forms.ModelChoiceField):
    iterator = _WardChoices


class DashboardFilterForm(forms.Form):
    # Bounded: a well-formed date at the end of the calendar (9999-12-31) overflowed in the date sums.
    start = BoundedDateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = BoundedDateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    borough = forms.ModelChoiceField(
        queryset=Borough.objects.all(), required=False, empty_label="All boroughs", widget=QuickSelect
    )
    ward = WardChoiceField(  # London has ~680 wards: read as values, rendered in Python
        queryset=Ward.objects.select_related("borough"),
        required=False,
        empty_label="All wards",
        widget=QuickSelect,
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date must be on or after the start date.")
        if start and end and (end - start).days > 366 * 3:
            self.add_error("start", "Choose a period of three years or less.")
        ward, borough = cleaned.get("ward"), cleaned.get("borough")
        if ward and borough and ward.borough_id != borough.pk:
            self.add_error("ward", f"{ward.name} is not in {borough.name}.")
        return cleaned

    def scope(self) -> stats.Scope:
        """The scope asked for; the default (the last 28 days, everywhere) for anything missing or invalid."""
        default = stats.Scope.default()
        if not self.is_bound or not self.is_valid():
            return default
        data = self.cleaned_data
        start = data.get("start") or (
            data["end"] - timedelta(days=27) if data.get("end") else default.first_day
        )
        end = data.get("end") or max(start, default.last_day)
        return stats.Scope(first_day=start, last_day=end, borough=data.get("borough"), ward=data.get("ward"))


def compared(now, before, *, days: int) -> str:
    """How a figure compares with the period of the same length just before, said plainly:
    "Previous 28 days: 12 (up 3)". ``None`` (a median with nothing to take it of) reads as a dash."""
    said = f"Previous {days} day{'s' if days != 1 else ''}: {'—' if before is None else before}"
    if now is None or before is None:
        return said
    difference = now - before
    if difference == 0:
        return f"{said} (the same)"
    amount = f"{abs(difference):g}" if isinstance(difference, float) else abs(difference)
    return f"{said} ({'up' if difference > 0 else 'down'} {amount})"


def headline_figures(scope: stats.Scope, headline: dict, labels: dict[str, str]) -> list[dict]:
    """The headline cards: each figure for the period, and how it compares with the one before."""
    return [
        {
            "label": label,
            "now": headline[key]["now"],
            "compared": compared(headline[key]["now"], headline[key]["before"], days=scope.days),
        }
        for key, label in labels.items()
    ]


DASHBOARD_FIGURES = {
    "signups": "New sign-ups",
    "paired": "Paired",
    "completed": "Walks completed",
    "cancelled": "Walks cancelled",
    "no_show": "No-shows",
    "concerns": "Concerns logged",
    "resolved": "Concerns resolved",
    "median_days_to_resolve": "Median days to resolve",
}
REPORT_FIGURES = {
    "signups": "New sign-ups",
    "completed": "Walks completed",
    "concerns": "Concerns logged",
    "resolved": "Concerns resolved",
}


def _period_cache_key(scope: stats.Scope) -> str:
    return "dashboard:period:v1:" + ":".join(
        str(part)
        for part in (
            scope.first_day,
            scope.last_day,
            scope.borough.pk if scope.borough else "-",
            scope.ward.pk if scope.ward else "-",
        )
    )


def period_figures(scope: stats.Scope) -> tuple[dict, datetime]:
    """The period's figures for a scope, and when they were computed: from the cache when another
    sergeant's request (or her own) computed them in the last DASHBOARD_CACHE_SECONDS, else fresh.
    On top of the counters, never instead: the current-state figures are read afresh here, and kept
    only as rendered, a few seconds (`dashboard`, DASHBOARD_LIVE_SECONDS)."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    key = _period_cache_key(scope)
    cached = cache.get(key) if seconds else None
    if cached is not None:
        return cached["rows"], cached["at"]
    rows, at = stats.period_figures(scope), timezone.now()
    if seconds:
        cache.set(key, {"rows": rows, "at": at}, seconds)
    return rows, at


WORKLOAD_PAGE = 25


def _without(request: HttpRequest, name: str) -> str:
    query = request.GET.copy()
    query.pop(name, None)
    return query.urlencode()


def _page_number(value: str | None) -> int:
    """A page number from the query string; anything else (junk, 0, huge) is the first page."""
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return number if 1 <= number <= 10_000 else 1


def _window(number: int) -> slice:
    """Which officers page `number` of the workload table shows (busiest first)."""
    return slice((number - 1) * WORKLOAD_PAGE, number * WORKLOAD_PAGE)


def _workload_page(rows: list, count: int, number: int):
    """Page `number` of `count` officers, of whom `rows` (that page's) were read."""
    return Paginator(_Fetched(rows, count, _window(number).start), WORKLOAD_PAGE).get_page(number)


class _Fetched:
    """The one page of rows already read, standing in for all of them: the Paginator counts `count`
    and slices within the page it asks for."""

    def __init__(self, rows: list, count: int, offset: int) -> None:
        self.rows, self.total, self.offset = rows, count, offset

    def count(self) -> int:
        return self.total

    def __getitem__(self, index: slice) -> list:
        return self.rows[index.start - self.offset : index.stop - self.offset]


GENERATION_KEY = "dashboard:generation"


def figures_changed() -> None:
    """A sergeant changed something in the admin: her next dashboard is computed afresh, every scope."""
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # not there yet (or evicted)
            cache.set(GENERATION_KEY, 1, None)
    except Exception:  # the cache is down: her change is saved; the figures catch up in seconds
        logger.warning("dashboard: could not mark the figures as changed", exc_info=True)


def _figures_key(scope: stats.Scope, number: int) -> str:
    generation = cache.get(GENERATION_KEY, 0)
    return f"{_period_cache_key(scope).replace(':period:', ':figures:')}:{number}:{generation}"


def dashboard(request: HttpRequest, extra_context: dict) -> TemplateResponse:
    """Sergeants: the whole scheme at a glance for a period and an area. Two queries for the figures:
    the period's (cached a minute per scope) and the live ones, from the counters; the map's pins
    come after the page (`concern_pins`). The figures as rendered are kept DASHBOARD_LIVE_SECONDS per
    scope and workload page (issue 16: a short cache on top of the counters, never instead), with
    their age on the page; a change a sergeant makes in the admin starts them afresh
    (`figures_changed`)."""
    form = DashboardFilterForm(request.GET or None)
    scope = form.scope()
    number = _page_number(request.GET.get("officers"))
    seconds = settings.DASHBOARD_LIVE_SECONDS
    key = _figures_key(scope, number) if seconds else None
    kept = cache.get(key) if key else None
    context = {
        **extra_context,
        "title": "Scheme dashboard",
        "form": form,
        "scope": scope,
        "query": request.GET.urlencode(),
        "live_seconds": seconds,
    }
    if kept is None:
        figures = _figures(request, scope, number)
        kept = {
            "html": render_to_string("admin/_dashboard_figures.html", {**context, **figures}, request),
            "computed_at": figures["computed_at"],
            "live_at": figures["live_at"],
        }
        if key:
            cache.set(key, kept, seconds)
        context.update(figures)  # (for the tests' eyes: what the page was made of)
    context.update(
        figures_html=mark_safe(kept["html"]),  # noqa: S308 — our own template's output
        computed_at=kept["computed_at"],
        live_at=kept["live_at"],
    )
    return TemplateResponse(request, "admin/dashboard.html", context)


def _figures(request: HttpRequest, scope: stats.Scope, number: int) -> dict:
    """What the figures fragment shows: the period's (from their cache) and the live ones, now."""
    period, computed_at = period_figures(scope)
    live_at = timezone.now()
    figures = stats.dashboard(scope, period=period, now=live_at, workload=_window(number))
    count = figures["workload_count"]
    workload_page = _workload_page(figures["workload"], count, number)
    if workload_page.number != number:  # past the last page (a stale link): the last one, read now
        last = workload_page.number
        workload_page = _workload_page(stats.officer_workload(scope, _window(last)), count, last)
    return {
        "computed_at": computed_at,
        "live_at": live_at,
        **figures,
        "figures": headline_figures(scope, figures["headline"], DASHBOARD_FIGURES),
        "partners": partner_rows(scope, figures["partners"]),
        "statuses": Concern.Status.choices,
        # 800 officers in London: one page of them is read and shown (bench, issue 16).
        "workload_page": workload_page,
        "query_without_officers": _without(request, "officers"),
    }


def concern_pins(request: HttpRequest) -> JsonResponse:
    """Sergeants: the map's pins as JSON for the dashboard's filters, fetched by static/js/dashboard.js
    after the page has loaded (5,000 pins serialised into the page were most of its template time).
    Only what a pin needs: id (for the admin link), position, status, category and colour, the place in
    words — never what the resident said, who she is or any disclosure. Cached a minute per scope."""
    scope = DashboardFilterForm(request.GET or None).scope()
    seconds = settings.DASHBOARD_CACHE_SECONDS
    key = _period_cache_key(scope).replace(":period:", ":pins:")
    points = cache.get(key) if seconds else None
    if points is None:
        points = stats.map_points(scope)
        if seconds:
            cache.set(key, points, seconds)
    response = JsonResponse({"points": points, "limit": stats.MAP_PINS})
    response["Cache-Control"] = "private, no-store"
    return response


def partner_rows(scope: stats.Scope, figures: list[dict]) -> list[dict]:
    """Each partner's figures with a link from every figure to the referrals it counts (the Referral
    list, filtered to them), so the sergeant can open any of them."""
    area: dict[str, int] = {}
    if scope.ward is not None:
        area["concern__ward__id__exact"] = scope.ward.pk
    elif scope.borough is not None:
        area["concern__ward__borough__id__exact"] = scope.borough.pk
    period = {"referred_at__gte": scope.start.isoformat(), "referred_at__lt": scope.end.isoformat()}
    changelist = reverse("admin:patrols_referral_changelist")
    # The query strings after the partner's id, each encoded once (not five times per partner).
    after = {
        "referred": urlencode({**area, **period}),
        "acknowledged": urlencode({**area, **period, "acknowledged": "on_time"}),
        "fixed": urlencode({**area, **period, "fixed": "yes"}),
        "overdue": urlencode({**area, "overdue": "yes"}),
        "unacknowledged": urlencode({**area, "acknowledged": "waiting"}),
    }
    for row in figures:
        start = f"{changelist}?{urlencode({'partner__id__exact': row['partner_id']})}"
        row["links"] = {figure: f"{start}&{rest}" if rest else start for figure, rest in after.items()}
    return figures


def scoped_concerns(scope: stats.Scope):
    return (
        Concern.objects.filter(scope.area("ward"), scope.during("created_at"))
        .select_related("category", "ward__borough", "partner")
        .order_by("created_at", "pk")
    )


def concerns_csv(request: HttpRequest) -> HttpResponse:
    """Sergeants: concerns for partners as CSV, filtered as the dashboard is."""
    scope = DashboardFilterForm(request.GET or None).scope()
    area = scope.ward.name if scope.ward else scope.borough.name if scope.borough else "all"
    filename = f"concerns-{area}-{scope.first_day}-{scope.last_day}.csv".replace(" ", "-").replace("&", "and")
    record_event(
        actor=request.user,
        action=AuditEvent.Action.EXPORTED,
        object_type="patrols.concern",
        request=request,
        detail=f"concerns CSV for partners: {filename}",
    )
    return csv_response(scoped_concerns(scope), filename)


class MonthlyReportForm(forms.Form):
    borough = forms.ModelChoiceField(queryset=Borough.objects.all(), empty_label=None)
    month = BoundedDateField(
        noun="month",
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": "Enter a month like 2026-11."},
    )


def monthly_report(request: HttpRequest, extra_context: dict) -> TemplateResponse:
    """Sergeants: a printable monthly report for one borough — figures, charts, top places of concern."""
    today = timezone.localdate(timezone.now(), LONDON)
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    form = MonthlyReportForm(
        request.GET or None, initial={"month": last_month, "borough": Borough.objects.first()}
    )
    context = {**extra_context, "title": "Monthly report", "form": form}
    if form.is_bound and form.is_valid():
        first = form.cleaned_data["month"].replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        scope = stats.Scope(first_day=first, last_day=last, borough=form.cleaned_data["borough"])
        record_event(
            actor=request.user,
            action=AuditEvent.Action.EXPORTED,
            object_type="patrols.concern",
            request=request,
            detail=f"monthly report: {scope.borough.name}, {first:%B %Y}",
        )
        headline = stats.headline(scope)
        context.update(
            {
                "scope": scope,
                "month": first,
                "headline": headline,
                "figures": headline_figures(scope, headline, REPORT_FIGURES),
                "safe": stats.feeling_safe(scope),
                "weeks": stats.weekly_trends(scope),
                "by_category": stats.concerns_by(scope, "category", "category__name"),
                "top_places": stats.top_places(scope),
                "actions": stats.open_actions(scope),
            }
        )
    return TemplateResponse(request, "admin/monthly_report.html", context)
