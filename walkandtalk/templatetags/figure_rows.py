"""The dashboard's tables, row by row, built in Python: `{{ rows|figure_rows }}` and the filters below.

Django's template engine spends ~20–50 µs on each variable it prints (lookup, localisation, escaping):
the dashboard's tables for all of London — a row per ward (~680), per partner, per officer on the page,
per open action — were most of its rendering time (issue 16). The markup is what the template wrote;
every value is escaped by format_html; dates are in London time as the `date` filter gives them."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.dates import MONTHS_3
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

from participants.inputs import quick_escape

register = template.Library()


def _day(value) -> str:
    """The `date` filter's "j M Y" ("4 Nov 2026", London time), as dateformat writes it: ~40 a page."""
    if not value:
        return ""
    local = template_localtime(value)
    return f"{local.day} {MONTHS_3[local.month].title()} {local.year:04d}"


def _change_url(name: str):
    """An admin change page's URL for any pk, reversed once (not once per row)."""
    start, end = reverse(name, args=[0]).rsplit("/0/", 1)
    return lambda pk: f"{start}/{pk}/{end}"


@register.filter
def figure_rows(rows) -> SafeString:
    """Rows with `label` and `count` (dicts, as patrols/stats.py gives them) as table rows."""
    return mark_safe(  # noqa: S308 — every value is escaped
        "".join(
            f'<tr><th scope="row">{quick_escape(row["label"])}</th><td>{quick_escape(row["count"])}</td></tr>'
            for row in rows
        )
    )


@register.filter
def open_by_partner_rows(rows) -> SafeString:
    """Open actions by partner, each count opening those concerns in the Concern list."""
    changelist = reverse("admin:patrols_concern_changelist")

    def filters(row) -> str:
        partner = f"partner__id__exact={row['partner_id']}" if row["partner_id"] else "partner__isnull=True"
        return f"{changelist}?{partner}&status__in=open,referred"

    return format_html_join(
        "",
        '<tr><th scope="row">{}</th><td><a href="{}" aria-label="{} open: {}">{}</a></td></tr>',
        ((row["label"], filters(row), row["count"], row["label"], row["count"]) for row in rows),
    )


@register.filter
def oldest_rows(concerns) -> SafeString:
    """The oldest open actions: when, what and where (a link to the concern), status, partner."""
    change = _change_url("admin:patrols_concern_change")
    cells = []
    for concern in concerns:
        what = (
            f"{concern.category}: {concern.location_text}" if concern.location_text else str(concern.category)
        )
        cells.append(
            (
                _day(concern.created_at),
                change(concern.pk),
                what,
                concern.ward.name,
                concern.get_status_display,
                concern.partner.name if concern.partner else "—",
            )
        )
    return format_html_join(
        "",
        '<tr><td>{}</td><td class="wt-text"><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
        cells,
    )


def _link(url: str, count, label: str) -> str:
    """A figure that opens what it counts, named for a screen reader ("3 fixed by the council")."""
    return (
        f'<a href="{quick_escape(url)}" aria-label="{quick_escape(count)} {label}">{quick_escape(count)}</a>'
    )


@register.filter
def partner_speed_rows(rows) -> SafeString:
    """How fast partners act: each figure links to the referrals it counts (row["links"])."""
    partner_change = _change_url("admin:patrols_partner_change")
    out = []
    for row in rows:
        name, links = quick_escape(row["name"]), row["links"]
        share = (
            f" ({quick_escape(row['acknowledged_share'])}%)" if row["acknowledged_share"] is not None else ""
        )
        median = "—" if row["median_days_to_fix"] is None else quick_escape(row["median_days_to_fix"])
        overdue = " <strong>overdue</strong>" if row["overdue"] else ""
        change = quick_escape(partner_change(row["partner_id"]))
        cells = (
            _link(links["referred"], row["referred"], f"referred to {name}"),
            _link(links["acknowledged"], row["acknowledged"], f"acknowledged in time by {name}") + share,
            _link(links["fixed"], row["fixed"], f"fixed by {name}"),
            median,
            _link(links["overdue"], row["overdue"], f"overdue with {name}") + overdue,
            _link(links["unacknowledged"], row["unacknowledged"], f"unacknowledged by {name}"),
        )
        out.append(
            f'<tr><th scope="row"><a href="{change}">{name}</a></th>'
            + "".join(f"<td>{c}</td>" for c in cells)
            + "</tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 — every value is escaped


@register.filter
def workload_rows(officers) -> SafeString:
    """Officer workload: her residents against her capacity, walks in the period, open concerns, last
    walk."""
    change = _change_url("admin:participants_officer_change")
    cells = []
    for officer in officers:
        full = format_html(" <strong>full</strong>") if officer.residents >= officer.capacity else ""
        cells.append(
            (
                change(officer.pk),
                officer.display_name,
                officer.collar_number,
                officer.residents,
                officer.capacity,
                full,
                officer.walks_in_period,
                officer.open_concerns,
                _day(officer.last_walk) or "—",
            )
        )
    return format_html_join(
        "",
        '<tr><th scope="row"><a href="{}">{}</a> <span class="wt-muted">{}</span></th>'
        "<td>{} / {}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        cells,
    )
