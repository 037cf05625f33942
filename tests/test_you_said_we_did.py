""" "You said, we did": public aggregates per borough and ward, small numbers hidden, no free text."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from participants.models import Borough
from patrols import public
from patrols.models import LONDON, Concern, ConcernCategory, ConcernUpdate, Disclosure, Referral, Walk
from tests.factories import OfficerFactory, PartnerFactory, ResidentFactory, WalkFactory, ward

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=LONDON)  # the period: 1 December 2025 to 30 November 2026
INDEX = reverse("patrols:you_said_we_did")
SOUTHWARK = reverse("patrols:you_said_we_did_borough", args=["southwark"])

# Free text that must never reach a public page.
MARKERS = {
    "location_text": "Gloamingate Passage",
    "resident_said": "Vespertine said she is scared",
    "action": "Ask Thistledown about the lamp",
    "closed_reason": "Marramgrass duplicate",
    "update": "Partner note Quillonbright",
    "disclosure": "Obsidianfern disclosure",
    "name": "Zephyrella Moonwhistle",
    "meeting_point": "Larkspurwick Arcade",
    "route": "Cindertallow Row",
    "partner": "Hollowmere Estates",
}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def fresh_cache(settings) -> None:
    """The pages are cached for 10 minutes: a new key prefix, so the next GET is worked out again."""
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"you-said-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches


def ward_url(name: str, borough: str = "southwark") -> str:
    return reverse("patrols:you_said_we_did_ward", args=[borough, ward(name).pk])


class Scene:
    """Concerns in a ward, logged on one walk, with text in every free field."""

    def __init__(self, ward_name: str = "Peckham"):
        self.ward = ward(ward_name)
        self.officer = OfficerFactory(wards=[self.ward])
        resident = ResidentFactory(ward=self.ward, preferred_name=MARKERS["name"])
        resident.user.email = "moonwhistle@example.org"
        resident.user.save()
        self.walk = WalkFactory(
            resident=resident, officer=self.officer, starts_at=NOW - timedelta(days=60),
            ends_at=NOW - timedelta(days=60, hours=-1), status=Walk.Status.COMPLETED,
            meeting_point=MARKERS["meeting_point"], route=MARKERS["route"],
        )  # fmt: skip
        Disclosure.objects.create(
            walk=self.walk, officer=self.officer, what_was_said=MARKERS["disclosure"],
            referral_made="MASH", referred_to="MASH",
        )  # fmt: skip

    def concern(
        self,
        category: str,
        *,
        logged: datetime | None = None,
        fixed_after: float | None = None,
        fixed_by: str | None = None,
        closed: bool = False,
    ) -> Concern:
        """A concern logged at `logged` (default 30 days ago); `fixed_after` days later it is resolved,
        by a partner of kind `fixed_by` (a Referral in state fixed) or with none; or closed."""
        logged = logged or NOW - timedelta(days=30)
        status = Concern.Status.OPEN
        if fixed_after is not None:
            status = Concern.Status.RESOLVED
        elif closed:
            status = Concern.Status.CLOSED
        made = Concern.objects.create(
            walk=self.walk, officer=self.officer, ward=self.ward,
            category=ConcernCategory.objects.get(name=category), location_text=MARKERS["location_text"],
            latitude=51.47, longitude=-0.07, resident_said=MARKERS["resident_said"],
            action=MARKERS["action"], status=status, closed_reason=MARKERS["closed_reason"] if closed else "",
        )  # fmt: skip
        resolved = logged + timedelta(days=fixed_after) if fixed_after is not None else None
        Concern.objects.filter(pk=made.pk).update(created_at=logged, resolved_at=resolved)
        ConcernUpdate.objects.create(concern=made, note=MARKERS["update"], shared_with_partner=True)
        if fixed_by:
            partner = PartnerFactory(name=f"{MARKERS['partner']} {fixed_by}", kind=fixed_by)
            Referral.objects.create(
                concern=made, partner=partner, state=Referral.State.FIXED, fixed_at=resolved,
                ack_due_at=logged + timedelta(days=7), link_expires_at=logged + timedelta(days=90),
            )  # fmt: skip
        made.refresh_from_db()
        return made


@pytest.fixture
def peckham():
    """13 concerns in Peckham:
    badly lit 7 (4 fixed by the council after 2, 4, 6, 8 days; 3 still being worked on),
    no CCTV 3 (closed), being followed 2 (being worked on), rundown 1 (fixed after 10 days, no partner).
    Outcomes: council 4, fixed with no partner 1, closed 3, working 5."""
    scene = Scene("Peckham")
    for days in (2, 4, 6, 8):
        scene.concern("Badly lit", fixed_after=days, fixed_by="council")
    for _ in range(3):
        scene.concern("Badly lit")
        scene.concern("No or broken CCTV", closed=True)
    for _ in range(2):
        scene.concern("Being followed")
    scene.concern("Rundown (derelict buildings, graffiti, fly-tipping)", fixed_after=10)
    return scene


def category_name(fragment: str) -> str:
    return ConcernCategory.objects.get(name__startswith=fragment).name


# --- The figures ------------------------------------------------------------------------------------


def test_the_period_is_the_last_twelve_whole_months():
    assert public.period().label == "1 December 2025 to 30 November 2026"
    assert public.period(today=datetime(2026, 12, 1).date()).label == "1 December 2025 to 30 November 2026"
    assert public.period(today=datetime(2026, 11, 30).date()).label == "1 November 2025 to 31 October 2026"
    assert public.period(today=datetime(2024, 3, 1).date()).label == "1 March 2023 to 29 February 2024"


def test_a_ward_counts_by_category_and_outcome_with_small_numbers_pooled(peckham):
    summary = public.area_summary(borough=peckham.ward.borough, ward=peckham.ward)
    assert summary.raised == "13"
    # small categories (being followed 2, rundown 1) are one pooled row of 3, never named
    rows = {row.label: (row.count, row.median_days) for row in summary.categories}
    assert rows == {
        "No or broken CCTV": ("3", "—"),  # no fixes: no median
        "Badly lit": ("7", "5.0"),  # the median of 2, 4, 6 and 8 days
        public.OTHER_CATEGORIES: ("3", "—"),
    }
    assert summary.categories[-1].label == public.OTHER_CATEGORIES
    labels = [row.label for row in summary.categories]
    assert "Being followed" not in labels and not any(label.startswith("Rundown") for label in labels)
    # "fixed with no partner" (1) is pooled with the smallest listed row (closed, 3): pool of 4
    assert [(row.label, row.count) for row in summary.outcomes] == [
        ("Fixed by the council", "4"),
        ("Still being worked on", "5"),
        (public.OTHER_OUTCOMES, "4"),
    ]
    # 5 fixed; said exactly, it would split the pool into 1 fixed + 3 closed: a bound the table gives
    assert summary.fixed == "at least 4"
    assert summary.median_days == "6.0"  # 2, 4, 6, 8, 10


def test_the_ward_page_shows_them(client, peckham):
    response = client.get(ward_url("Peckham"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "You said, we did: Peckham" in body
    assert "What residents told officers on walks" in body
    assert "1 December 2025 to 30 November 2026" in body
    assert (
        "<caption>Concerns raised in Peckham, 1 December 2025 to 30 November 2026, by category</caption>"
        in body
    )
    assert '<th scope="row">Fixed by the council</th><td>4</td>' in body
    assert "at least 4" in body and "6.0" in body
    assert 'class="table-responsive" tabindex="0" role="region"' in body
    assert "Exit this page" in body


def test_fewer_than_three_everywhere_and_no_median_without_three_fixes(client):
    scene = Scene("Rye Lane")
    scene.concern("Badly lit", fixed_after=3, fixed_by="council")
    scene.concern("Being followed")
    summary = public.area_summary(borough=scene.ward.borough, ward=scene.ward)
    assert (summary.raised, summary.fixed, summary.median_days) == ("fewer than 3", "fewer than 3", "—")
    assert summary.is_small and not summary.categories and not summary.outcomes
    body = client.get(ward_url("Rye Lane")).content.decode()
    assert "fewer than 3" in body and "Being followed" not in body and "Badly lit" not in body
    # the borough's headline, on the index too
    body = client.get(INDEX).content.decode()
    assert "fewer than 3" in body


def test_a_clean_ward_gives_exact_figures():
    scene = Scene("Oval")
    for days in (1, 2, 30):
        scene.concern("Badly lit", fixed_after=days, fixed_by="transport")
    for _ in range(3):
        scene.concern("Badly lit")
    summary = public.area_summary(borough=scene.ward.borough, ward=scene.ward)
    assert (summary.raised, summary.fixed, summary.median_days) == ("6", "3", "2.0")
    assert [(row.label, row.count) for row in summary.outcomes] == [
        ("Fixed by transport (for example Transport for London)", "3"),
        ("Still being worked on", "3"),
    ]
    assert [(row.label, row.count, row.median_days) for row in summary.categories] == [
        ("Badly lit", "6", "2.0")
    ]


def test_the_pool_never_leaves_a_small_number_to_subtract():
    # a lone small row joins the smallest listed one, so total − listed rows is never 1 or 2
    listed, pooled, pool = public._pool([("a", 5), ("b", 1), ("c", 3), ("d", 0)])
    assert listed == [("a", 5)] and pooled == {"b", "c"} and pool == 4
    listed, pooled, pool = public._pool([("a", 5), ("b", 2), ("c", 1)])
    assert listed == [("a", 5)] and pool == 3
    listed, pooled, pool = public._pool([("a", 5), ("b", 4)])
    assert listed == [("a", 5), ("b", 4)] and pool == 0
    for counts in ([("a", 1), ("b", 1), ("c", 9)], [("a", 2), ("b", 7), ("c", 3)], [("a", 1), ("b", 2)]):
        listed, _, pool = public._pool(counts)
        assert all(n >= 3 for _, n in listed) and (pool == 0 or pool >= 3), counts


def test_the_fixed_headline_never_splits_the_pool_into_a_small_number():
    fixed = public._fixed_headline
    assert fixed({"council": 4, "closed": 3}, set()) == "4"
    assert fixed({"council": 4, "none": 1, "closed": 3}, {"none", "closed"}) == "at least 4"
    assert fixed({"council": 2, "closed": 1, "working": 10}, {"council", "closed"}) == "fewer than 3"
    assert fixed({"council": 10, "closed": 1, "housing": 3}, {"closed", "housing"}) == "all but fewer than 3"
    assert fixed({"council": 1, "none": 2, "closed": 9}, {"council", "none"}) == "3"  # pool all fixed
    assert fixed({}, set()) == "none"


def test_the_twelve_month_window_edges(settings):
    scene = Scene("Peckham")
    edges = {
        "before": datetime(2025, 11, 30, 23, 59, tzinfo=LONDON),
        "first": datetime(2025, 12, 1, 0, 0, tzinfo=LONDON),
        "last": datetime(2026, 11, 30, 23, 59, tzinfo=LONDON),
        "after": datetime(2026, 12, 1, 0, 0, tzinfo=LONDON),
    }
    for moment in edges.values():
        for _ in range(3):
            scene.concern("Badly lit", logged=moment)
    summary = public.area_summary(borough=scene.ward.borough, ward=scene.ward)
    assert summary.raised == "6"  # first and last day, not the day before nor this month
    # a month later the window has moved on: "after" is in, "first" is out
    with time_machine.travel(datetime(2027, 1, 3, 9, 0, tzinfo=LONDON), tick=False):
        assert public.period().label == "1 January 2026 to 31 December 2026"
        assert public.area_summary(borough=scene.ward.borough, ward=scene.ward).raised == "6"
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=LONDON), tick=False):
        assert public.area_summary(borough=scene.ward.borough, ward=scene.ward).raised == "6"


def test_the_borough_page_and_the_index(client, peckham):
    body = client.get(SOUTHWARK).content.decode()
    assert "You said, we did: Southwark" in body
    assert '<th scope="row">Fixed by the council</th><td>4</td>' in body
    for name in ("Peckham", "Rye Lane", "Camberwell Green"):
        assert f'href="{ward_url(name)}"' in body
    assert body.count('href="/you-said-we-did/southwark/') == 23  # every ward, and none of Lambeth's
    body = client.get(INDEX).content.decode()
    assert f'href="{SOUTHWARK}"' in body and 'href="/you-said-we-did/lambeth/"' in body
    assert "<td>13</td>" in body  # Southwark's headline
    headline = {h.borough.slug: h.summary for h in public.borough_headlines()}
    assert headline["southwark"].raised == "13" and headline["southwark"].fixed == "at least 4"
    assert headline["lambeth"].is_empty


def test_empty_state(client):
    body = client.get(ward_url("Peckham")).content.decode()
    assert "No concerns were raised in this ward in the last 12 months" in body
    assert "<table" not in body


def test_no_free_text_or_people_on_any_public_page(client, peckham, settings):
    peckham.concern("Badly lit", fixed_after=1, fixed_by="housing")
    paths = [
        INDEX,
        SOUTHWARK,
        ward_url("Peckham"),
        reverse("patrols:you_said_we_did_borough", args=["lambeth"]),
    ]
    for path in paths:
        body = client.get(path).content.decode()
        leaked = [marker for marker in [*MARKERS.values(), "moonwhistle@example.org"] if marker in body]
        assert not leaked, (path, leaked)
        assert "51.47" not in body and "-0.07" not in body  # no pins


def test_unknown_borough_or_a_ward_of_another_borough_is_404(client):
    assert client.get(reverse("patrols:you_said_we_did_borough", args=["croydon"])).status_code == 404
    oval = ward("Oval")  # Lambeth
    assert client.get(reverse("patrols:you_said_we_did_ward", args=["southwark", oval.pk])).status_code == 404
    assert client.get(reverse("patrols:you_said_we_did_ward", args=["lambeth", oval.pk])).status_code == 200
    assert client.get(reverse("patrols:you_said_we_did_ward", args=["southwark", 999999])).status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "resident", "officer", "sergeant"])
def test_anyone_may_see_them(client, who, resident_a, officer_a, sergeant):
    user = {"resident": resident_a.user, "officer": officer_a.user, "sergeant": sergeant}.get(who)
    if user:
        client.force_login(user)
    for path in (INDEX, SOUTHWARK, ward_url("Peckham")):
        assert client.get(path).status_code == 200, (who, path)


def test_get_only(client):
    for path in (INDEX, SOUTHWARK, ward_url("Peckham")):
        assert client.post(path).status_code == 405


def test_the_home_page_and_the_footer_link_to_it(client):
    body = client.get(reverse("home")).content.decode()
    assert f'href="{INDEX}"' in body
    assert body.count(f'href="{INDEX}"') >= 2  # the home page's section and the footer (and the menu)


def test_the_pages_are_cached_briefly(client, peckham, settings):
    response = client.get(ward_url("Peckham"))
    assert "max-age=600" in response["Cache-Control"]
    peckham.concern("Badly lit")
    assert "<td>13</td>" in client.get(ward_url("Peckham")).content.decode()  # still the cached page
    fresh_cache(settings)
    assert "<td>14</td>" in client.get(ward_url("Peckham")).content.decode()


def test_a_ward_page_costs_the_same_with_1_and_50_concerns(client, settings, django_assert_max_num_queries):
    """Queries: the ward (with its borough); concerns by category; by outcome; the median of all fixes."""
    scene = Scene("Peckham")
    scene.concern("Badly lit", fixed_after=2, fixed_by="council")
    path = ward_url("Peckham")
    with CaptureQueriesContext(connection) as one:
        assert client.get(path).status_code == 200
    categories = list(ConcernCategory.objects.all()[:10])
    kinds = ["council", "transport", "housing", None]
    for n in range(49):
        scene.concern(
            categories[n % len(categories)].name,
            fixed_after=(n % 5) + 1 if n % 3 else None,
            fixed_by=kinds[n % 4] if n % 3 else None,
            closed=n % 7 == 0,
        )
    fresh_cache(settings)
    with django_assert_max_num_queries(4), CaptureQueriesContext(connection) as fifty:
        assert client.get(path).status_code == 200
    assert len(one) == len(fifty) == 4
    assert Concern.objects.filter(ward=scene.ward).count() == 50


def test_the_borough_and_index_pages_are_a_few_aggregate_queries(
    client, peckham, django_assert_max_num_queries
):
    """Borough: the borough, its wards, by category, by outcome, the median. Index: the boroughs,
    outcomes by borough, medians by borough."""
    with django_assert_max_num_queries(5):
        assert client.get(SOUTHWARK).status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(INDEX).status_code == 200


def test_the_window_is_in_london_dates_in_summer_time_too():
    """In June 2026 the window starts on 1 June 2025, London time: 23:30 UTC on 31 May is 00:30 BST on
    1 June (in), 22:30 UTC is 23:30 BST on 31 May (out)."""
    scene = Scene("Peckham")
    for _ in range(3):
        scene.concern("Badly lit", logged=datetime(2025, 5, 31, 23, 30, tzinfo=UTC))
        scene.concern("No or broken CCTV", logged=datetime(2025, 5, 31, 22, 30, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 6, 15, 12, 0, tzinfo=LONDON), tick=False):
        summary = public.area_summary(borough=Borough.objects.get(slug="southwark"))
    assert summary.raised == "3" and [row.label for row in summary.categories] == ["Badly lit"]
