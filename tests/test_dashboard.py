"""The sergeant's dashboard, exports and monthly report: every figure against hand-built data."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from participants.models import Pairing, Resident
from patrols import stats
from patrols.models import LONDON, Concern, ConcernCategory, Disclosure, SafetyRating, Walk
from tests.factories import OfficerFactory, PairingFactory, PartnerFactory, ResidentFactory, WalkFactory, ward
from walkandtalk.outbox.models import Notification

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=LONDON)
DASHBOARD = reverse("admin:index")
CSV = reverse("admin:export_concerns")
REPORT = reverse("admin:monthly_report")


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def backdate(obj, **fields):
    type(obj).objects.filter(pk=obj.pk).update(**fields)
    obj.refresh_from_db()
    return obj


@pytest.fixture
def scheme():
    """Peckham (Southwark) and Oval (Lambeth). The default period is 29 Oct – 25 Nov; before it, 1–28 Oct."""
    peckham_officer = OfficerFactory(display_name="PC Pat Peck", wards=[ward("Peckham")], capacity=4)
    oval_officer = OfficerFactory(display_name="PC Olu Oval", wards=[ward("Oval")], capacity=2)
    amy = backdate(
        ResidentFactory(preferred_name="Amy", ward=ward("Peckham"), baseline_safety=2), created_at=days_ago(5)
    )
    bea = backdate(
        ResidentFactory(preferred_name="Bea", ward=ward("Peckham"), baseline_safety=3), created_at=days_ago(9)
    )
    cat = backdate(
        ResidentFactory(preferred_name="Cat", ward=ward("Oval"), baseline_safety=1), created_at=days_ago(40)
    )
    dot = ResidentFactory(preferred_name="Dot", ward=ward("Oval"), baseline_safety=1)
    backdate(dot, created_at=days_ago(3), waiting_since=days_ago(10))
    PairingFactory(resident=amy, officer=peckham_officer, started_at=days_ago(5))
    PairingFactory(resident=bea, officer=peckham_officer, started_at=days_ago(9))
    PairingFactory(resident=cat, officer=oval_officer, started_at=days_ago(40))

    def walk(resident, officer, ago, status):
        return WalkFactory(
            resident=resident, officer=officer, starts_at=days_ago(ago),
            ends_at=days_ago(ago) + timedelta(hours=1), status=status,
        )  # fmt: skip

    amy_walk = walk(amy, peckham_officer, 4, Walk.Status.COMPLETED)
    bea_walk = walk(bea, peckham_officer, 8, Walk.Status.COMPLETED)
    walk(bea, peckham_officer, 6, Walk.Status.CANCELLED)
    walk(amy, peckham_officer, 2, Walk.Status.NO_SHOW)
    cat_walk = walk(cat, oval_officer, 35, Walk.Status.COMPLETED)  # previous period
    lit = ConcernCategory.objects.get(name="Badly lit")
    cctv = ConcernCategory.objects.get(name="No or broken CCTV")

    def concern(walk_, category, ago, place, status=Concern.Status.OPEN, resolved_after=None, partner=None):
        made = Concern.objects.create(
            walk=walk_, officer=walk_.officer, ward=walk_.resident.ward, category=category,
            location_text=place, latitude=51.47, longitude=-0.07, status=status, partner=partner,
            resident_said=f"SAID-BY-{walk_.resident.preferred_name}",
        )  # fmt: skip
        created = days_ago(ago)
        resolved = created + timedelta(days=resolved_after) if resolved_after is not None else None
        return backdate(made, created_at=created, resolved_at=resolved)

    concern(amy_walk, lit, 4, "Holly Grove alley", Concern.Status.RESOLVED, resolved_after=2)
    concern(bea_walk, lit, 8, "Holly Grove alley", Concern.Status.RESOLVED, resolved_after=4)
    concern(
        bea_walk,
        cctv,
        7,
        "Rye Lane car park",
        Concern.Status.REFERRED,
        partner=PartnerFactory(name="Southwark Council"),
    )
    concern(cat_walk, cctv, 35, "Oval station exit")  # previous period, still open, 35 days old
    Disclosure.objects.create(
        walk=bea_walk, officer=peckham_officer, what_was_said="DISCLOSURE-SECRET", referral_made="MASH",
        referred_to="MASH",
    )  # fmt: skip
    backdate(SafetyRating.objects.create(resident=amy, walk=amy_walk, rating=4), created_at=days_ago(3))
    backdate(SafetyRating.objects.create(resident=bea, walk=bea_walk, rating=3), created_at=days_ago(7))
    return {
        "peckham_officer": peckham_officer,
        "oval_officer": oval_officer,
        "residents": [amy, bea, cat, dot],
    }


def test_headline_figures_against_hand_built_data(scheme):
    figures = stats.headline(stats.Scope.default())
    assert figures["signups"] == {"now": 3, "before": 1}  # Amy, Bea, Dot | Cat
    assert figures["paired"] == {"now": 2, "before": 1}
    assert figures["waiting"] == 1 and figures["longest_wait_days"] == 10
    assert figures["completed"] == {"now": 2, "before": 1}
    assert figures["cancelled"] == {"now": 1, "before": 0}
    assert figures["no_show"] == {"now": 1, "before": 0}
    assert figures["concerns"] == {"now": 3, "before": 1}
    assert figures["resolved"] == {"now": 2, "before": 0}
    assert figures["median_days_to_resolve"] == {"now": 3.0, "before": None}  # median of 2 and 4 days


def test_feeling_safe_against_hand_built_data(scheme):
    safe = stats.feeling_safe(stats.Scope.default())
    assert safe["baseline_mean"] == round((2 + 3 + 1 + 1) / 4, 2)
    assert safe["after_mean"] == 3.5
    assert safe["distribution"][3] == {"rating": 4, "baseline": 0, "after": 1}
    assert safe["distribution"][0] == {"rating": 1, "baseline": 2, "after": 0}
    assert safe["rated_residents"] == 2
    assert safe["share_up"] == 50  # Amy 2 → 4 is up; Bea 3 → 3 is not


def test_trends_categories_wards_and_open_actions(scheme):
    scope = stats.Scope.default()
    weeks = stats.weekly_trends(scope)
    assert sum(w["walks"] for w in weeks) == 2 and sum(w["concerns"] for w in weeks) == 3
    assert all(w["week"].weekday() == 0 for w in weeks)  # weeks start on Monday
    assert stats.concerns_by(scope, "category", "category__name") == [
        {"label": "Badly lit", "count": 2},
        {"label": "No or broken CCTV", "count": 1},
    ]
    assert stats.concerns_by(scope, "ward", "ward__name") == [{"label": "Peckham", "count": 3}]
    actions = stats.open_actions(scope)
    assert actions["total"] == 2
    assert [row["count"] for row in actions["by_age"]] == [1, 0, 1]  # 7 days; 35 days
    assert {row["label"]: row["count"] for row in actions["by_partner"]} == {
        "Southwark Council": 1,
        "Not referred yet": 1,
    }
    assert [c.location_text for c in actions["oldest"]] == ["Oval station exit", "Rye Lane car park"]


def test_officer_workload(scheme):
    rows = {o.display_name: o for o in stats.officer_workload(stats.Scope.default())}
    peck = rows["PC Pat Peck"]
    assert (peck.residents, peck.capacity, peck.walks_in_period, peck.open_concerns) == (2, 4, 2, 1)
    assert peck.last_walk == days_ago(4)
    oval = rows["PC Olu Oval"]
    assert (oval.residents, oval.walks_in_period, oval.open_concerns) == (1, 0, 1)


def test_the_workload_table_shows_25_officers_a_page_busiest_first(client, sergeant):
    """London has 800 officers: the table pages, keeping the dashboard's filters, so the page reads and
    renders 25 rows, not all of them, and counts them all (issue 16)."""
    for n in range(30):
        OfficerFactory(display_name=f"PC Page {n:02d}", wards=[ward("Oval")])
    busiest = OfficerFactory(display_name="PC Zara Busy", wards=[ward("Oval")])
    PairingFactory(resident=ResidentFactory(ward=ward("Oval")), officer=busiest)
    client.force_login(sergeant)
    first = client.get(DASHBOARD, {"ward": ward("Oval").pk})
    html = first.content.decode()
    assert first.context["workload_count"] == 31  # every officer counted
    assert len(first.context["workload"]) == 25  # one page read
    assert first.context["workload_page"][0].display_name == "PC Zara Busy"
    assert html.count("admin/participants/officer/") >= 25 and "Officers 1–25 of 31." in html
    assert f"ward={ward('Oval').pk}&amp;officers=2#workload-title" in html
    second = client.get(DASHBOARD, {"ward": ward("Oval").pk, "officers": "2"})
    assert len(list(second.context["workload_page"])) == 6
    assert "Previous officers" in second.content.decode()
    # a page number past the end (a stale link): the last page; one that isn't a number: the first
    past = client.get(DASHBOARD, {"ward": ward("Oval").pk, "officers": "9999"})
    assert past.status_code == 200 and past.context["workload_page"].number == 2
    assert len(list(past.context["workload_page"])) == 6
    for junk in ("x", "0", "-3", "1e9", "9" * 40):
        response = client.get(DASHBOARD, {"officers": junk})
        assert response.status_code == 200 and response.context["workload_page"].number == 1


def test_filtering_to_a_ward_and_a_period(client, sergeant, scheme):
    client.force_login(sergeant)
    response = client.get(DASHBOARD, {"ward": ward("Oval").pk})
    figures = response.context["headline"]
    assert figures["signups"]["now"] == 1 and figures["concerns"]["now"] == 0 and figures["waiting"] == 1
    assert [o.display_name for o in response.context["workload"]] == ["PC Olu Oval"]

    response = client.get(DASHBOARD, {"start": "2026-10-01", "end": "2026-10-31"})
    figures = response.context["headline"]
    assert figures["completed"]["now"] == 1 and figures["concerns"]["now"] == 1
    assert response.context["scope"].previous.first_day.isoformat() == "2026-08-31"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-11-20", "end": "2026-11-01"}, "on or after the start date"),
        ({"start": "not-a-date"}, "Enter a valid date"),
        ({"borough": "1", "ward": "-1"}, "Select a valid choice"),
    ],
)
def test_bad_filters_say_why_and_show_the_default_view(client, sergeant, scheme, params, message):
    client.force_login(sergeant)
    response = client.get(DASHBOARD, params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["scope"] == stats.Scope.default()


def test_an_empty_scheme_shows_friendly_empty_states(client, sergeant):
    client.force_login(sergeant)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "No safety ratings yet",
        "No concerns logged in this period",
        "Nobody is waiting",
        "Nothing open",
    ):
        assert text in html
    assert client.get(REPORT, {"borough": ward().borough.pk, "month": "2026-10"}).status_code == 200


def test_the_page_shows_the_map_points_without_personal_data_or_disclosures(client, sergeant, scheme):
    client.force_login(sergeant)
    response = client.get(DASHBOARD)
    html = response.content.decode()
    # The pins load after the page, from their own endpoint (issue 16), with the page's filters.
    assert 'data-pins-url="/admin/dashboard/pins.json?"' in html and 'id="map-points"' not in html
    pins = client.get(reverse("admin:dashboard_pins"))
    points = pins.json()["points"]
    assert len(points) == 3
    assert set(points[0]) == {"id", "lat", "lng", "status", "category", "colour", "place"}
    assert "DISCLOSURE-SECRET" not in html and "SAID-BY-" not in html
    assert "DISCLOSURE-SECRET" not in pins.text and "SAID-BY-" not in pins.text
    assert "chart-weeks" in html
    assert "<caption>Concerns by category</caption>" in html  # the table alternative to the chart


def test_csv_for_partners_has_exactly_the_agreed_columns_and_no_personal_data(client, sergeant, scheme):
    client.force_login(sergeant)
    response = client.get(CSV, {"borough": ward("Peckham").borough.pk})
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == [
        "category", "location", "latitude", "longitude", "ward", "borough", "severity", "when it matters",
        "status", "logged on", "resolved on", "action", "partner",
    ]  # fmt: skip
    assert len(rows) == 4  # header and Peckham's three
    assert {row[4] for row in rows[1:]} == {"Peckham"}
    for secret in ["DISCLOSURE-SECRET", "SAID-BY-", "Amy", "Bea", "@example.org", "PC Pat Peck"]:
        assert secret not in body


def test_csv_cells_cannot_smuggle_spreadsheet_formulas(client, sergeant, scheme):
    Concern.objects.filter(location_text="Rye Lane car park").update(location_text="=HYPERLINK(evil)")
    client.force_login(sergeant)
    body = b"".join(client.get(CSV).streaming_content).decode()
    assert "'=HYPERLINK(evil)" in body


def test_monthly_report_for_a_borough(client, sergeant, scheme):
    client.force_login(sergeant)
    response = client.get(REPORT, {"borough": ward("Peckham").borough.pk, "month": "2026-11"})
    html = response.content.decode()
    assert "Southwark, November 2026" in html
    assert response.context["top_places"][0] == {
        "location_text": "Holly Grove alley", "ward_name": "Peckham", "count": 2, "open": 0,
    }  # fmt: skip
    assert "@media print" in (pytest.importorskip("pathlib").Path("static/css/dashboard.css").read_text())
    bad = client.get(REPORT, {"borough": "1", "month": "November"})
    assert "Enter a month like 2026-11." in bad.content.decode()


def _grow(scheme, extra: int):
    officer = scheme["peckham_officer"]
    lit = ConcernCategory.objects.get(name="Badly lit")
    for index in range(extra):
        resident = ResidentFactory(ward=ward("Peckham"))
        Pairing.objects.create(resident=resident, officer=OfficerFactory(), started_at=days_ago(1))
        walk = WalkFactory(
            resident=resident, officer=officer, starts_at=days_ago(20) + timedelta(hours=2 * index),
            ends_at=days_ago(20) + timedelta(hours=2 * index + 1), status=Walk.Status.COMPLETED,
        )  # fmt: skip
        Concern.objects.create(
            walk=walk, officer=officer, ward=resident.ward, category=lit, location_text=f"Place {index}",
            latitude=51.47, longitude=-0.07,
        )  # fmt: skip
        SafetyRating.objects.create(resident=resident, walk=walk, rating=1 + index % 5)


def test_the_dashboard_query_count_does_not_grow_with_the_data(
    client, sergeant, scheme, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(sergeant)
    client.get(DASHBOARD)  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get(DASHBOARD)
    _grow(scheme, 40)
    with django_assert_num_queries(len(small)):
        response = client.get(DASHBOARD)
    assert response.context["headline"]["concerns"]["now"] == 43


def test_officers_and_residents_get_403_on_every_dashboard_url(client, officer_a, resident_a):
    for user in (officer_a.user, resident_a.user):
        client.force_login(user)
        for url in (DASHBOARD, CSV, REPORT, reverse("admin:patrols_concern_changelist")):
            assert client.get(url, follow=True).status_code == 403


def test_sergeant_marks_concerns_in_the_admin_and_exports_them(client, sergeant, scheme):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    client.force_login(sergeant)
    open_one = Concern.objects.get(location_text="Oval station exit")
    url = reverse("admin:patrols_concern_changelist")
    client.post(url, {"action": "mark_referred", ACTION_CHECKBOX_NAME: [open_one.pk]})
    open_one.refresh_from_db()
    assert open_one.status == Concern.Status.REFERRED
    assert open_one.updates.get().by == sergeant
    client.post(url, {"action": "mark_resolved", ACTION_CHECKBOX_NAME: [open_one.pk]})
    open_one.refresh_from_db()
    assert open_one.status == Concern.Status.RESOLVED
    exported = client.post(url, {"action": "export_csv", ACTION_CHECKBOX_NAME: [open_one.pk]})
    body = b"".join(exported.streaming_content).decode()
    assert "Oval station exit" in body and "SAID-BY-" not in body


def test_every_model_has_an_admin_page_for_the_sergeant(client, sergeant, scheme):
    from django.apps import apps
    from django.contrib import admin

    client.force_login(sergeant)
    for model in [
        *apps.get_app_config("participants").get_models(),
        *apps.get_app_config("patrols").get_models(),
    ]:
        if model._meta.proxy and model is not Resident:
            continue
        if model.__name__ in {"WalkEvent", "ConcernUpdate"}:  # shown inline on their walk and concern
            continue
        if model.__name__ in {"OfficerWorkload", "OpenConcernCount", "OpenConcernDay", "ResidentSafety"}:
            continue  # the dashboard's counters: kept by the database, shown on the dashboard itself
        assert model in admin.site._registry, model
        opts = model._meta
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert response.status_code == 200, model


def test_failed_messages_are_on_the_dashboard_and_link_to_the_outbox_list(client, sergeant):
    resident = ResidentFactory()
    Notification.objects.create(
        recipient=resident.user, kind="waiting_list", status="failed", note="SMTP down", idempotency_key="f-1"
    )
    client.force_login(sergeant)
    html = client.get(DASHBOARD).content.decode()
    link = reverse("admin:outbox_notification_changelist") + "?status__exact=failed"
    assert "1 message could not be sent" in html and link in html
    listing = client.get(link).content.decode()
    assert "SMTP down" in listing and "Joined the waiting list" in listing


def test_each_figure_says_plainly_what_it_is_compared_with(client, sergeant, scheme):
    client.force_login(sergeant)
    html = client.get(DASHBOARD).content.decode()
    # The default period is 29 Oct – 25 Nov (28 days); the one before it, 1–28 Oct.
    assert "Each figure is compared with the previous 28 days (1 Oct 2026 to 28 Oct 2026)" in html
    assert "before it" not in html
    figures = {figure["label"]: figure["compared"] for figure in client.get(DASHBOARD).context["figures"]}
    assert figures["New sign-ups"] == "Previous 28 days: 1 (up 2)"  # 3 now
    assert figures["Walks cancelled"] == "Previous 28 days: 0 (up 1)"
    assert figures["Median days to resolve"] == "Previous 28 days: —"  # nothing resolved before


@pytest.mark.parametrize(
    ("now", "before", "said"),
    [
        (12, 9, "Previous 28 days: 9 (up 3)"),
        (4, 6, "Previous 28 days: 6 (down 2)"),
        (5, 5, "Previous 28 days: 5 (the same)"),
        (2.5, 1.0, "Previous 28 days: 1.0 (up 1.5)"),
        (None, 3, "Previous 28 days: 3"),
    ],
)
def test_a_comparison_reads_as_a_sentence(now, before, said):
    from walkandtalk.dashboard import compared

    assert compared(now, before, days=28) == said
