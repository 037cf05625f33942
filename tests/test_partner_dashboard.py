"""Issue 15, point 6: how fast each partner acts, on the sergeant's dashboard — every figure against
hand-built referrals (made and answered through patrols.referrals, at the times given), the five working
days counted with England's bank holidays, each figure opening the referrals it counts, and one query
whatever the number of partners."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from participants.models import Borough
from patrols import referrals, stats
from patrols.models import LONDON, Concern, ConcernCategory, Referral, Walk
from patrols.referrals import Answer, working_days_after
from tests.factories import OfficerFactory, PairingFactory, PartnerFactory, ResidentFactory, WalkFactory, ward

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 20, 12, 0, tzinfo=LONDON)
DASHBOARD = reverse("admin:index")
PERIOD = {"start": "2026-12-01", "end": "2027-01-20"}


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def walk_in(ward_name: str) -> Walk:
    officer = OfficerFactory(wards=[ward(ward_name)])
    resident = ResidentFactory(ward=ward(ward_name), preferred_name=f"Resident of {ward_name}")
    PairingFactory(resident=resident, officer=officer)
    return WalkFactory(
        resident=resident,
        officer=officer,
        starts_at=at(date(2026, 11, 1), 19),
        ends_at=at(date(2026, 11, 1), 20),
        status=Walk.Status.COMPLETED,
    )


def refer(walk: Walk, partner, when: datetime, place: str) -> Referral:
    concern = Concern.objects.create(
        walk=walk,
        officer=walk.officer,
        ward=walk.resident.ward,
        category=ConcernCategory.objects.get(name="Badly lit"),
        location_text=place,
    )
    return referrals.refer(concern=concern, partner=partner, by=walk.officer.user, now=when)


@pytest.fixture
def scene():
    peckham, oval = walk_in("Peckham"), walk_in("Oval")
    council = PartnerFactory(name="Southwark Council", boroughs=[Borough.objects.get(name="Southwark")])
    tfl = PartnerFactory(name="Transport for London", kind="transport")

    # Over Christmas: 24 Dec, then 29, 30, 31 Dec and 4 Jan (25, 28 Dec and 1 Jan are bank holidays),
    # so 31 December is in time — five weekdays would have ended on 30 December.
    christmas = refer(peckham, council, at(date(2026, 12, 23)), "Christmas alley")
    referrals.answer(referral=christmas, kind=Answer.ACKNOWLEDGE, now=at(date(2026, 12, 31)))
    referrals.answer(referral=christmas, kind=Answer.FIXED, now=at(date(2027, 1, 4)))  # 12 days
    # Answered late (due 8 December), fixed at once: 8 days.
    late = refer(peckham, council, at(date(2026, 12, 1)), "Late lane")
    referrals.answer(referral=late, kind=Answer.FIXED, now=at(date(2026, 12, 9)))
    # A target date, now passed: overdue.
    overdue = refer(peckham, council, at(date(2027, 1, 4)), "Overdue underpass")
    referrals.answer(
        referral=overdue, kind=Answer.TARGET_DATE, target_date=date(2027, 1, 15), now=at(date(2027, 1, 5))
    )
    # Never answered, due 13 January: unacknowledged after 5 working days.
    silent = refer(peckham, council, at(date(2027, 1, 6)), "Silent street")
    # TfL: one from before the period, never answered; one in it, passed back as not theirs.
    old = refer(oval, tfl, at(date(2026, 11, 16)), "Oval bus stop")
    not_ours = refer(peckham, tfl, at(date(2027, 1, 11)), "Rye Lane bus stop")
    referrals.answer(
        referral=not_ours, kind=Answer.NOT_OURS, suggested="The council", now=at(date(2027, 1, 12))
    )
    # Made just now, not due until next week: neither late nor unacknowledged yet.
    fresh = refer(peckham, council, NOW - timedelta(hours=1), "Fresh footpath")
    return {
        "council": council,
        "tfl": tfl,
        "christmas": christmas,
        "late": late,
        "overdue": overdue,
        "silent": silent,
        "old": old,
        "not_ours": not_ours,
        "fresh": fresh,
    }


def scope(**area) -> stats.Scope:
    return stats.Scope(first_day=date(2026, 12, 1), last_day=date(2027, 1, 20), **area)


def test_the_acknowledgement_window_skips_weekends_and_bank_holidays(scene):
    christmas = Referral.objects.get(pk=scene["christmas"].pk)
    assert christmas.ack_due_at == working_days_after(at(date(2026, 12, 23)), 5) == at(date(2027, 1, 4))
    assert christmas.acknowledged_on_time
    late = Referral.objects.get(pk=scene["late"].pk)
    assert late.ack_due_at == at(date(2026, 12, 8)) and not late.acknowledged_on_time


def test_partner_figures_against_hand_built_referrals(scene):
    figures = {row["name"]: row for row in stats.partner_figures(scope())}
    council = figures["Southwark Council"]
    assert {k: v for k, v in council.items() if k != "partner_id"} == {
        "name": "Southwark Council",
        "referred": 5,  # christmas, late, overdue, silent, fresh
        "acknowledged": 2,  # christmas (thanks to the bank holidays) and overdue; late was late
        "acknowledged_share": 40,
        "fixed": 2,
        "median_days_to_fix": 10.0,  # of 12 and 8 days
        "overdue": 1,
        "unacknowledged": 1,  # silent; fresh is not due yet
    }
    tfl = figures["Transport for London"]
    assert (tfl["referred"], tfl["acknowledged"], tfl["acknowledged_share"]) == (1, 1, 100)
    assert (tfl["fixed"], tfl["median_days_to_fix"], tfl["overdue"], tfl["unacknowledged"]) == (0, None, 0, 1)
    # "Now" is what the QuerySet methods say.
    today = NOW.date()
    for row, partner in ((council, scene["council"]), (tfl, scene["tfl"])):
        assert row["overdue"] == Referral.objects.overdue(today).filter(partner=partner).count()
        assert (
            row["unacknowledged"]
            == Referral.objects.unacknowledged_after(NOW).filter(partner=partner).count()
        )


def test_partner_figures_for_an_area(scene):
    lambeth = Borough.objects.get(name="Lambeth")
    assert [
        (r["name"], r["referred"], r["unacknowledged"]) for r in stats.partner_figures(scope(borough=lambeth))
    ] == [
        ("Transport for London", 0, 1)  # the old Oval one, still waiting
    ]
    assert stats.partner_figures(scope(ward=ward("Camberwell Green"))) == []
    # A period with nothing in it still shows what is waiting now.
    quiet = stats.Scope(first_day=date(2026, 6, 1), last_day=date(2026, 6, 30))
    assert {
        r["name"]: (r["referred"], r["overdue"], r["unacknowledged"]) for r in stats.partner_figures(quiet)
    } == {
        "Southwark Council": (0, 1, 1),
        "Transport for London": (0, 0, 1),
    }


def test_each_figure_on_the_dashboard_opens_the_referrals_it_counts(client, sergeant, scene):
    client.force_login(sergeant)
    response = client.get(DASHBOARD, PERIOD)
    html = response.content.decode()
    assert "How fast partners act" in html and "Acknowledged within 5 working days" in html
    rows = {row["name"]: row for row in response.context["partners"]}
    expected = {
        "Southwark Council": {
            "referred": {"christmas", "late", "overdue", "silent", "fresh"},
            "acknowledged": {"christmas", "overdue"},
            "fixed": {"christmas", "late"},
            "overdue": {"overdue"},
            "unacknowledged": {"silent"},
        },
        "Transport for London": {
            "referred": {"not_ours"},
            "acknowledged": {"not_ours"},
            "fixed": set(),
            "overdue": set(),
            "unacknowledged": {"old"},
        },
    }
    names = {referral.pk: name for name, referral in scene.items() if isinstance(referral, Referral)}
    for partner, figures in expected.items():
        for figure, wanted in figures.items():
            url = rows[partner]["links"][figure]
            assert url.replace("&", "&amp;") in html
            listed = client.get(url)
            assert listed.status_code == 200, url
            assert {names[r.pk] for r in listed.context["cl"].result_list} == wanted, (partner, figure)
            assert len(wanted) == rows[partner][figure]


def test_the_dashboard_links_keep_the_area(client, sergeant, scene):
    client.force_login(sergeant)
    lambeth = Borough.objects.get(name="Lambeth")
    response = client.get(DASHBOARD, {**PERIOD, "borough": lambeth.pk})
    (row,) = response.context["partners"]
    listed = client.get(row["links"]["unacknowledged"]).context["cl"].result_list
    assert [r.pk for r in listed] == [scene["old"].pk]
    oval = client.get(DASHBOARD, {**PERIOD, "ward": ward("Oval").pk}).context["partners"]
    assert client.get(oval[0]["links"]["unacknowledged"]).context["cl"].result_list[0].pk == scene["old"].pk


def test_open_actions_by_partner_still_reads_and_links(client, sergeant, scene):
    client.force_login(sergeant)
    response = client.get(DASHBOARD, PERIOD)
    by_partner = {row["label"]: row["count"] for row in response.context["actions"]["by_partner"]}
    # Unresolved concerns: with the council now (overdue, silent, fresh), TfL (old), back with the
    # officer (not ours); christmas and late are fixed.
    assert by_partner == {"Southwark Council": 3, "Not referred yet": 1, "Transport for London": 1}
    html = response.content.decode()
    assert f"partner__id__exact={scene['council'].pk}&amp;status__in=open,referred" in html
    listed = client.get(
        reverse("admin:patrols_concern_changelist"),
        {"partner__isnull": "True", "status__in": "open,referred"},
    )
    assert [c.location_text for c in listed.context["cl"].result_list] == ["Rye Lane bus stop"]


def many_partners(count: int) -> None:
    walk = walk_in("Peckham")
    for n in range(count):
        partner = PartnerFactory(name=f"Partner {n:02} Council")
        first = refer(walk, partner, at(date(2027, 1, 4)), f"Place {n}a")
        referrals.answer(referral=first, kind=Answer.FIXED, now=at(date(2027, 1, 6)))
        refer(walk, partner, at(date(2027, 1, 5)), f"Place {n}b")


@pytest.mark.parametrize("count", [1, 30])
def test_partner_figures_are_one_query_for_one_partner_or_thirty(count, django_assert_max_num_queries):
    many_partners(count)
    with django_assert_max_num_queries(1):
        figures = stats.partner_figures(scope())
    assert len(figures) == count
    assert all((r["referred"], r["fixed"], r["unacknowledged"]) == (2, 1, 1) for r in figures)


def test_the_dashboard_asks_the_same_number_of_queries_for_one_partner_or_thirty(client, sergeant):
    client.force_login(sergeant)
    many_partners(1)
    client.get(DASHBOARD, PERIOD)  # the session and content types, once
    with CaptureQueriesContext(connection) as one:
        client.get(DASHBOARD, PERIOD)
    walk = walk_in("Oval")
    for n in range(29):
        refer(walk, PartnerFactory(name=f"More {n:02}"), at(date(2027, 1, 7)), f"More place {n}")
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(DASHBOARD, PERIOD)
    assert len(response.context["partners"]) == 30
    assert len(thirty) == len(one)
