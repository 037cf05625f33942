"""The dashboard at London scale (issue 16 point 2): the counters the database keeps stay equal to the
aggregates they replace through everything that changes them; the map's pins come from their own
endpoint (sergeants only, the page's filters, no personal data); the page asks a fixed number of
queries (at most 12) whatever the number of officers; the period figures are cached a minute per scope."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from participants import pairing as pairing_service
from participants.models import Officer, Pairing, Resident
from patrols import booking, concerns, counters, feedback, stats, walks
from patrols.models import (
    LONDON,
    Concern,
    ConcernCategory,
    OfficerWorkload,
    OpenConcernCount,
    OpenConcernDay,
    ResidentSafety,
    SafetyRating,
    Walk,
)
from tests.factories import OfficerFactory, PairingFactory, PartnerFactory, ResidentFactory, WalkFactory, ward
from walkandtalk import dashboard

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=LONDON)
DASHBOARD = reverse("admin:index")
PINS = reverse("admin:dashboard_pins")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def recomputed() -> dict:
    """The counters' values computed the slow way, from the rows they count."""
    open_q = Q(status__in=[Concern.Status.OPEN, Concern.Status.REFERRED])
    workload = {
        officer.pk: (
            Pairing.objects.filter(officer=officer, ended_at__isnull=True).count(),
            Concern.objects.filter(open_q, officer=officer).count(),
            Walk.objects.filter(officer=officer, status=Walk.Status.COMPLETED).aggregate(
                last=Max("starts_at")
            )["last"],
        )
        for officer in Officer.objects.all()
    }
    by_area = {
        (row["ward"], row["partner"]): row["n"]
        for row in Concern.objects.filter(open_q).values("ward", "partner").annotate(n=Count("pk"))
    }
    by_day: dict = {}
    for concern in Concern.objects.filter(open_q):
        key = (concern.ward_id, concern.created_at.astimezone(LONDON).date())
        by_day[key] = by_day.get(key, 0) + 1
    latest = {}
    for rating in SafetyRating.objects.filter(resident__isnull=False).order_by("created_at", "pk"):
        latest[rating.resident_id] = rating.rating
    return {"workload": workload, "open": by_area, "days": by_day, "latest": latest}


def kept() -> dict:
    """The counters as the triggers keep them (an officer with no row counts nothing yet)."""
    rows = {row.officer_id: row for row in OfficerWorkload.objects.all()}
    workload = {
        officer.pk: (
            (rows[officer.pk].residents, rows[officer.pk].open_concerns, rows[officer.pk].last_walk_at)
            if officer.pk in rows
            else (0, 0, None)
        )
        for officer in Officer.objects.all()
    }
    return {
        "workload": workload,
        "open": {
            (row.ward_id, row.partner_id): row.count for row in OpenConcernCount.objects.filter(count__gt=0)
        },
        "days": {(row.ward_id, row.day): row.count for row in OpenConcernDay.objects.filter(count__gt=0)},
        "latest": dict(ResidentSafety.objects.values_list("resident_id", "latest_rating")),
    }


def assert_counters_right():
    assert kept() == recomputed()


def test_counters_stay_right_through_the_scheme_s_life(sergeant, frozen):
    peck = OfficerFactory(wards=[ward("Peckham")], capacity=5)
    oval = OfficerFactory(wards=[ward("Oval"), ward("Peckham")], capacity=5)
    amy = ResidentFactory(ward=ward("Peckham"), baseline_safety=2)
    bea = ResidentFactory(ward=ward("Peckham"), baseline_safety=3)
    pairing_service.pair_resident(resident=amy)
    pairing_service.pair_resident(resident=bea)
    assert_counters_right()

    # Booking and cancelling (a booked walk is not a completed one: only the last walk could move).
    booked = WalkFactory(resident=amy, officer=amy.pairings.get().officer, starts_at=NOW + timedelta(days=2))
    booking.cancel_walk(walk=booked, by=sergeant, reason="Officer on leave")
    assert_counters_right()

    # Completing a walk: her officer's last walk.
    walk = WalkFactory(resident=amy, officer=amy.pairings.get().officer, starts_at=NOW + timedelta(minutes=5))
    frozen.move_to(walk.starts_at)
    walk = walks.start_walk(walk=walk, by=walk.officer.user)
    walk = walks.finish_walk(walk=walk, by=walk.officer.user)
    assert_counters_right()
    assert OfficerWorkload.objects.get(officer=walk.officer).last_walk_at == walk.starts_at

    # Logging concerns, referring one to a partner, resolving and closing them.
    lit = ConcernCategory.objects.get(name="Badly lit")
    logged = [
        concerns.log_concern(
            walk=walk, by=walk.officer.user, category=lit, severity="high", when_it_matters="after_dark",
            location_text=f"Holly Grove {n}",
        )[0]
        for n in range(3)
    ]  # fmt: skip
    assert_counters_right()
    Concern.objects.filter(pk=logged[0].pk).update(partner=PartnerFactory(), status=Concern.Status.REFERRED)
    concerns.add_update(concern=logged[1], by=walk.officer.user, note="Lamp fixed", new_status="resolved")
    concerns.add_update(
        concern=logged[2],
        by=walk.officer.user,
        note="Not ours",
        new_status="closed",
        closed_reason="Private land",
    )
    assert_counters_right()
    assert OpenConcernCount.objects.get(partner__isnull=False).count == 1

    # Rating the walk, then changing her answer (one rating per walk: the second replaces the first).
    feedback.rate_walk(walk=walk, rating=4)
    assert ResidentSafety.objects.get(resident=amy).latest_rating == 4
    feedback.rate_walk(walk=walk, rating=1)
    assert_counters_right()

    # Reassigning her to the other officer: the pairing moves, the history stays.
    other = oval if walk.officer == peck else peck
    pairing_service.reassign_resident(resident=amy, officer=other, by=sergeant, reason="Closer to home")
    assert_counters_right()

    # Changes the services never make still move the counters: moving a concern to another officer and
    # ward, removing a completed walk's status, erasing a rating's resident.
    Concern.objects.filter(pk=logged[0].pk).update(officer=other, ward=ward("Oval"))
    Concern.objects.filter(pk=logged[0].pk).update(created_at=NOW - timedelta(days=40))  # its day moves
    Walk.objects.filter(pk=walk.pk).update(status=Walk.Status.NO_SHOW)
    SafetyRating.objects.update(resident=None)
    assert_counters_right()
    assert not ResidentSafety.objects.exists()


@pytest.mark.parametrize(
    ("logged", "bucket"),
    [
        (datetime(2026, 11, 25, 0, 1, tzinfo=LONDON), 0),  # today
        (datetime(2026, 11, 18, 0, 1, tzinfo=LONDON), 0),  # 7 days ago, just after midnight
        (datetime(2026, 11, 17, 23, 59, tzinfo=LONDON), 1),  # 8 days ago, just before midnight
        (datetime(2026, 10, 28, 0, 30, tzinfo=LONDON), 1),  # 28 days ago
        (datetime(2026, 10, 27, 23, 30, tzinfo=LONDON), 2),  # 29 days
        (datetime(2026, 10, 25, 0, 30, tzinfo=LONDON), 2),  # the night the clocks went back (BST)
        (datetime(2024, 2, 29, 12, 0, tzinfo=LONDON), 2),  # years ago
    ],
)
def test_open_actions_by_age_count_whole_london_days_from_the_counter(logged, bucket):
    officer = OfficerFactory(wards=[ward("Peckham")])
    resident = ResidentFactory(ward=ward("Peckham"))
    walk = WalkFactory(resident=resident, officer=officer, starts_at=logged, status="completed")
    concern = Concern.objects.create(
        walk=walk,
        officer=officer,
        ward=resident.ward,
        category=ConcernCategory.objects.first(),
        location_text="x",
    )
    Concern.objects.filter(pk=concern.pk).update(created_at=logged)
    assert_counters_right()
    for scope in (
        stats.Scope.default(),
        stats.Scope(first_day=NOW.date(), last_day=NOW.date(), borough=ward("Peckham").borough),
        stats.Scope(first_day=NOW.date(), last_day=NOW.date(), ward=ward("Peckham")),
    ):
        ages = [row["count"] for row in stats.open_actions(scope)["by_age"]]
        assert ages == [int(i == bucket) for i in range(3)], scope
    other = stats.Scope(first_day=NOW.date(), last_day=NOW.date(), ward=ward("Oval"))
    assert [row["count"] for row in stats.open_actions(other)["by_age"]] == [0, 0, 0]
    concerns.add_update(concern=concern, by=officer.user, note="Fixed", new_status="resolved")
    assert [row["count"] for row in stats.open_actions(stats.Scope.default())["by_age"]] == [0, 0, 0]


def test_rebuild_recomputes_every_counter_from_the_rows(sergeant):
    officer = OfficerFactory(wards=[ward("Peckham")])
    resident = ResidentFactory(ward=ward("Peckham"))
    PairingFactory(resident=resident, officer=officer, started_at=NOW - timedelta(days=3))
    walk = WalkFactory(
        resident=resident, officer=officer, starts_at=NOW - timedelta(days=2), status="completed"
    )
    Concern.objects.create(
        walk=walk,
        officer=officer,
        ward=resident.ward,
        category=ConcernCategory.objects.first(),
        location_text="x",
    )
    SafetyRating.objects.create(resident=resident, walk=walk, rating=5)
    before = kept()
    OfficerWorkload.objects.all().delete()
    OpenConcernCount.objects.all().delete()
    OpenConcernDay.objects.all().delete()
    ResidentSafety.objects.all().delete()
    counters.rebuild()
    assert kept() == before == recomputed()


def _scene(officers: int):
    lit = ConcernCategory.objects.get(name="Badly lit")
    for n in range(officers):
        officer = OfficerFactory(wards=[ward("Peckham" if n % 2 else "Oval")])
        resident = ResidentFactory(ward=officer.wards.get())
        PairingFactory(resident=resident, officer=officer, started_at=NOW - timedelta(days=10))
        walk = WalkFactory(
            resident=resident, officer=officer, starts_at=NOW - timedelta(days=3, hours=n), status="completed"
        )
        Concern.objects.create(
            walk=walk, officer=officer, ward=resident.ward, category=lit, location_text=f"Place {n}",
            latitude=51.47, longitude=-0.07, resident_said=f"SAID-BY-{n}",
        )  # fmt: skip
        Concern.objects.create(
            walk=walk, officer=officer, ward=resident.ward, category=lit, location_text=f"Street {n}"
        )
        SafetyRating.objects.create(resident=resident, walk=walk, rating=1 + n % 5)
    backdated = ResidentFactory(ward=ward("Oval"))
    Resident.objects.filter(pk=backdated.pk).update(waiting_since=NOW - timedelta(days=4))


@pytest.mark.parametrize("params", [{}, {"borough": "ward:Peckham"}, {"ward": "ward:Oval"}])
def test_the_dashboard_asks_the_same_few_queries_for_one_officer_or_fifty(
    client, sergeant, params, django_assert_max_num_queries
):
    """Expected, uncached: session, user, groups and second-factor checks (the middleware); the
    borough and ward choices; the borough or ward asked for; the period figures (one statement, see
    stats.together); the live figures (one statement)."""
    client.force_login(sergeant)

    area = {}
    for key, value in params.items():
        chosen = ward(value.split(":")[1])
        area[key] = chosen.borough.pk if key == "borough" else chosen.pk
    _scene(1)
    client.get(DASHBOARD, area)  # warm the session
    with CaptureQueriesContext(connection) as one:
        response = client.get(DASHBOARD, area)
    assert response.status_code == 200
    _scene(49)
    with django_assert_max_num_queries(len(one)):
        response = client.get(DASHBOARD, area)
    assert len(one) <= 12
    assert response.context["headline"]["concerns"]["now"] >= 2


def test_the_pins_endpoint_is_for_sergeants_with_the_filters_and_no_personal_data(
    client, sergeant, officer_a, resident_a
):
    _scene(4)
    for user in (officer_a.user, resident_a.user):
        client.force_login(user)
        assert client.get(PINS).status_code in (302, 403)
    client.logout()
    assert client.get(PINS).status_code == 302  # to sign in
    client.force_login(sergeant)
    everywhere = client.get(PINS)
    assert everywhere.status_code == 200 and everywhere["Content-Type"] == "application/json"
    points = everywhere.json()["points"]
    assert len(points) == 4  # the pinned ones only; the four without a pin are listed on the page
    assert all(set(p) == {"id", "lat", "lng", "status", "category", "colour", "place"} for p in points)
    assert "SAID-BY-" not in everywhere.text and "@" not in everywhere.text
    assert len(client.get(PINS, {"ward": ward("Oval").pk}).json()["points"]) == 2
    assert len(client.get(PINS, {"borough": ward("Oval").borough.pk}).json()["points"]) == 2
    assert client.get(PINS, {"start": "2026-01-01", "end": "2026-01-31"}).json()["points"] == []


def test_the_period_figures_are_cached_a_minute_per_scope_and_the_live_ones_never(
    client, sergeant, settings, frozen
):
    settings.DASHBOARD_CACHE_SECONDS = 60
    _scene(2)
    client.force_login(sergeant)
    first = client.get(DASHBOARD)
    assert first.context["headline"]["concerns"]["now"] == 4
    _scene(1)
    again = client.get(DASHBOARD)
    assert again.context["headline"]["concerns"]["now"] == 4  # the period figures: from the cache
    assert again.context["actions"]["total"] == 6  # open actions: live, from the counters
    assert len(again.context["workload"]) == 3
    assert "Period figures as of 12:00:00" in again.content.decode()
    oval = client.get(DASHBOARD, {"ward": ward("Oval").pk})  # another scope: its own entry
    assert oval.context["headline"]["concerns"]["now"] == 4
    # Redis expires the entry after the minute (real time, which time_machine does not move): as then,
    cache.delete(dashboard._period_cache_key(first.context["scope"]))
    assert client.get(DASHBOARD).context["headline"]["concerns"]["now"] == 6


def test_the_figures_as_rendered_are_kept_seconds_per_scope_and_a_sergeant_s_change_shows_at_once(
    client, sergeant, settings, frozen
):
    settings.DASHBOARD_CACHE_SECONDS = 60
    settings.DASHBOARD_LIVE_SECONDS = 15
    _scene(2)
    client.force_login(sergeant)
    first = client.get(DASHBOARD).content.decode()
    assert "Actions still open (4)" in first
    assert "waiting list as of 12:00:00 (kept for up to 15 seconds; a change you make in the admin" in first
    _scene(1)  # an officer logs two more concerns meanwhile
    frozen.shift(5)
    again = client.get(DASHBOARD).content.decode()
    assert "Actions still open (4)" in again and "as of 12:00:00" in again  # the kept figures, their age
    assert 'name="ward"' in again and "Download concerns (CSV)" in again  # the rest of the page is live
    other_page = client.get(DASHBOARD, {"officers": "2"}).content.decode()  # another key: afresh
    assert "Actions still open (6)" in other_page
    # Her own change in the admin (here: a concern's status) shows on her next dashboard.
    concern = Concern.objects.filter(status=Concern.Status.OPEN).first()
    change = reverse("admin:patrols_concern_change", args=[concern.pk])
    page = client.get(change)
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"status": Concern.Status.CLOSED, "closed_reason": "Duplicate"})
    data.update(_inline_management(page))
    assert client.post(change, data).status_code == 302
    fresh = client.get(DASHBOARD).content.decode()
    assert "Actions still open (5)" in fresh and "as of 12:00:05" in fresh
    # A refused POST (a form with errors) changes nothing, and keeps the figures.
    assert client.post(change, {"status": "no-such-status"}).status_code == 200
    assert "as of 12:00:05" in client.get(DASHBOARD).content.decode()


def _inline_management(page) -> dict:
    """The inline formsets' management forms, as the browser would send them back."""
    data = {}
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
    return data


def test_seed_scale_fills_the_counters(settings):
    from django.core.management import call_command

    call_command("seed_scale", scale="tiny")
    assert (
        OfficerWorkload.objects.exists()
        and OpenConcernCount.objects.exists()
        and OpenConcernDay.objects.exists()
        and ResidentSafety.objects.exists()
    )
    assert_counters_right()
