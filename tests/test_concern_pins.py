"""Issue 14, point 8: no concern is invisible. A concern logged by street name has no map pin, so the
maps cannot show it: the dashboard and the area view count and list those, and the officer who logged
it (or the sergeant) adds a pin afterwards on a small map page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from patrols import concerns as concern_service
from patrols.models import Concern, ConcernCategory, ConcernUpdate, Walk
from tests.factories import WalkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(resident_a, officer_a):
    return WalkFactory(resident=resident_a, officer=officer_a, status=Walk.Status.COMPLETED)


def log(walk, place="Rye Lane alley", latitude=None, longitude=None, category="Badly lit"):
    concern, _ = concern_service.log_concern(
        walk=walk, by=walk.officer.user, category=ConcernCategory.objects.get(name=category),
        severity="medium", when_it_matters="after_dark", location_text=place,
        latitude=latitude, longitude=longitude,
    )  # fmt: skip
    return concern


@pytest.fixture
def unpinned(done):
    return log(done)


def pin_url(concern):
    return reverse("patrols:concern_pin", args=[concern.pk])


def test_the_officer_who_logged_it_adds_a_pin(client, officer_a, unpinned):
    client.force_login(officer_a.user)
    page = client.get(pin_url(unpinned))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Add a map pin" in html and "Rye Lane alley" in html and 'id="pin-map"' in html

    response = client.post(pin_url(unpinned), {"latitude": "51.468512", "longitude": "-0.069871"})
    assert response.status_code == 302 and response["Location"] == reverse("patrols:my_concerns")
    unpinned.refresh_from_db()
    assert (unpinned.latitude, unpinned.longitude) == (Decimal("51.468512"), Decimal("-0.069871"))
    assert unpinned.location_text == "Rye Lane alley"  # the words stay
    assert [u.note for u in ConcernUpdate.objects.filter(concern=unpinned)] == ["Map pin added."]
    assert "Map pin saved" in client.get(reverse("patrols:my_concerns")).content.decode()


def test_the_sergeant_may_add_a_pin_too(client, sergeant, unpinned):
    client.force_login(sergeant)
    assert client.get(pin_url(unpinned)).status_code == 200
    response = client.post(pin_url(unpinned), {"latitude": "51.47", "longitude": "-0.07"})
    assert response["Location"] == reverse("patrols:concern_detail", args=[unpinned.pk])
    unpinned.refresh_from_db()
    assert unpinned.latitude == Decimal("51.470000")


def test_another_officer_gets_404_and_changes_nothing(client, officer_b, unpinned):
    client.force_login(officer_b.user)
    assert client.get(pin_url(unpinned)).status_code == 404
    assert client.post(pin_url(unpinned), {"latitude": "51.47", "longitude": "-0.07"}).status_code == 404
    unpinned.refresh_from_db()
    assert unpinned.latitude is None and not ConcernUpdate.objects.exists()


def test_a_resident_cannot_open_it(client, resident_a, unpinned):
    client.force_login(resident_a.user)
    assert client.get(pin_url(unpinned)).status_code == 403


def test_get_changes_nothing(client, officer_a, unpinned):
    client.force_login(officer_a.user)
    assert client.get(pin_url(unpinned), {"latitude": "51.47", "longitude": "-0.07"}).status_code == 200
    unpinned.refresh_from_db()
    assert unpinned.latitude is None and not ConcernUpdate.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Tap the map where the concern is, then save."),
        ({"latitude": "51.47"}, "Tap the map where the concern is, then save."),
        ({"latitude": "north", "longitude": "-0.07"}, "Tap the map where the concern is, then save."),
        ({"latitude": "48.8566", "longitude": "2.3522"}, "That pin is outside Greater London."),
        ({"latitude": "51.47", "longitude": "0.50"}, "That pin is outside Greater London."),
        ({"latitude": "51.4700001", "longitude": "-0.07"}, "Tap the map where the concern is, then save."),
    ],
)
def test_bad_coordinates_get_a_clear_message(client, officer_a, unpinned, data, message):
    client.force_login(officer_a.user)
    response = client.post(pin_url(unpinned), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    unpinned.refresh_from_db()
    assert unpinned.latitude is None and not ConcernUpdate.objects.exists()


@pytest.mark.parametrize(
    "latitude, longitude, message",
    [
        (Decimal("48.8566"), Decimal("2.3522"), "outside Greater London"),
        (Decimal("51.70"), Decimal("0.340001"), "outside Greater London"),
        (None, Decimal("-0.07"), "Tap the map"),
    ],
)
def test_the_service_refuses_a_pin_outside_london_without_the_form(
    officer_a, unpinned, latitude, longitude, message
):
    """set_pin checks the pin's constraint itself (not with full_clean's queries): a caller that skips the
    form still cannot pin Paris, and nothing is saved."""
    with pytest.raises(concern_service.ConcernError, match=message):
        concern_service.set_pin(concern=unpinned, by=officer_a.user, latitude=latitude, longitude=longitude)
    unpinned.refresh_from_db()
    assert unpinned.latitude is None and not ConcernUpdate.objects.exists()


def test_the_service_pins_the_edges_of_the_box(officer_a, unpinned):
    concern_service.set_pin(
        concern=unpinned, by=officer_a.user, latitude=Decimal("51.70"), longitude=Decimal("0.34")
    )
    unpinned.refresh_from_db()
    assert (unpinned.latitude, unpinned.longitude) == (Decimal("51.700000"), Decimal("0.340000"))


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(client, officer_a, unpinned, method):
    client.force_login(officer_a.user)
    assert getattr(client, method)(pin_url(unpinned)).status_code == 405


def test_my_open_concerns_asks_for_a_pin_on_each_without_one(client, officer_a, done):
    unpinned = log(done, place="Holly Grove alley")
    log(done, place="Bus stop", latitude=51.47, longitude=-0.07)
    client.force_login(officer_a.user)
    html = client.get(reverse("patrols:my_concerns")).content.decode()
    assert "1 of your open concerns has no map pin" in html
    assert html.count(">Add a map pin<") == 1 and html.count(f'href="{pin_url(unpinned)}"') == 1


def test_the_dashboard_counts_and_lists_concerns_without_a_pin(client, sergeant, done):
    unpinned = log(done, place="Holly Grove alley")
    log(done, place="Bus stop", latitude=51.47, longitude=-0.07)
    client.force_login(sergeant)
    response = client.get(reverse("admin:index"))
    html = response.content.decode()
    # the pins come after the page, from their own endpoint (its script says "1 concern with a map pin")
    assert len(client.get(reverse("admin:dashboard_pins")).json()["points"]) == 1
    assert response.context["unpinned"]["count"] == 1
    assert "1 concern has no map pin" in html
    row = html[html.index("Concerns without a map pin") :]
    row = row[: row.index("</table>")]
    assert "Holly Grove alley" in row and done.resident.ward.name in row
    assert reverse("admin:patrols_concern_change", args=[unpinned.pk]) in row
    assert "Bus stop" not in row


def test_the_dashboard_list_is_capped_but_the_count_is_not(done):
    from patrols import stats

    for index in range(5):
        log(done, place=f"Street {index}")
    found = stats.without_pin(Concern.objects.all(), limit=3)
    assert (found["count"], len(found["items"]), found["more"]) == (5, 3, 2)
    assert [c.location_text for c in found["items"]] == ["Street 4", "Street 3", "Street 2"]  # newest first
    assert stats.without_pin(Concern.objects.none()) == {"count": 0, "items": [], "more": 0}


def test_the_area_view_counts_and_lists_concerns_without_a_pin(client, officer_a, done):
    log(done, place="Holly Grove alley")
    log(done, place="Bus stop", latitude=51.47, longitude=-0.07)
    client.force_login(officer_a.user)
    response = client.get(reverse("patrols:area_concerns"))
    html = response.content.decode()
    assert len(response.context["points"]) == 1
    assert "1 concern has no map pin" in html
    section = html[html.index("Not on the map") :]
    assert "Holly Grove alley" in section[: section.index("</section>")]
    assert "Amira" not in html  # still anonymised
