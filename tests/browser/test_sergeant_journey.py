"""The sergeant on a desktop: the dashboard, filtered to one ward; a concern opened from the map;
a resident reassigned to another officer — with axe on every page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from participants.pairing import active_pairing
from patrols.models import Concern, ConcernCategory, Walk
from tests.browser.axe import assert_accessible
from tests.browser.steps import sign_in
from tests.factories import (
    PASSWORD,
    OfficerFactory,
    PairingFactory,
    ResidentFactory,
    WalkFactory,
    sergeant_user,
    ward,
)


@pytest.mark.viewports("desktop")
def test_sergeant_filters_opens_a_concern_from_the_map_and_reassigns_a_resident(page):
    sergeant = sergeant_user(email="sarge@example.org")
    peckham_officer = OfficerFactory(display_name="PC Pat Peck", wards=[ward("Peckham")])
    other_officer = OfficerFactory(display_name="PC Rae Rye", wards=[ward("Peckham")])
    oval_officer = OfficerFactory(display_name="PC Olu Oval", wards=[ward("Oval")])
    resident = ResidentFactory(preferred_name="Amy", ward=ward("Peckham"))
    PairingFactory(resident=resident, officer=peckham_officer)
    oval_resident = ResidentFactory(preferred_name="Cat", ward=ward("Oval"))
    PairingFactory(resident=oval_resident, officer=oval_officer)
    start = timezone.now() - timedelta(days=3)
    lit = ConcernCategory.objects.get(name="Badly lit")
    for who, officer, place, lat in [
        (resident, peckham_officer, "Holly Grove alley", 51.4701),
        (oval_resident, oval_officer, "Oval station exit", 51.4819),
    ]:
        walk = WalkFactory(
            resident=who, officer=officer, starts_at=start, ends_at=start + timedelta(hours=1),
            status=Walk.Status.COMPLETED,
        )  # fmt: skip
        Concern.objects.create(
            walk=walk, officer=officer, ward=who.ward, category=lit, location_text=place,
            latitude=lat, longitude=-0.0690,
        )  # fmt: skip

    sign_in(page, sergeant.email, PASSWORD)
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Scheme dashboard", level=1)).to_be_visible()
    expect(page.locator("#map-count")).to_have_text("2 concerns with a map pin")
    assert_accessible(page)

    # Filter to one ward.
    page.get_by_label("Ward", exact=True).select_option(label="Peckham (Southwark)")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".wt-scope")).to_contain_text("Peckham ward")
    expect(page.locator("#map-count")).to_have_text("1 concern with a map pin")
    expect(page.get_by_text("Oval station exit")).to_have_count(0)
    assert_accessible(page)

    # Open the concern from the map: its marker's popup links to the concern.
    marker = page.locator("#concern-map path.leaflet-interactive").first
    marker.click()
    link = page.locator(".leaflet-popup-content a")
    expect(link).to_contain_text("Holly Grove alley")
    link.click()
    expect(page).to_have_url(re.compile(r"/admin/patrols/concern/\d+/change/$"))
    expect(page.locator("body")).to_contain_text("Holly Grove alley")
    assert_accessible(page)

    # Reassign the resident to another officer, with a reason.
    page.goto("/admin/participants/resident/")
    page.get_by_role("row", name=re.compile("Amy")).get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Reassign to another officer…")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("Each resident is told of the change.")).to_be_visible()
    assert_accessible(page)
    new_officer = page.get_by_label("New officer")
    new_officer.select_option(
        value=new_officer.locator("option", has_text="PC Rae Rye").get_attribute("value")
    )
    page.get_by_label("Reason").fill("Closer to her working hours")
    page.get_by_role("button", name="Reassign to another officer").click()
    expect(page.get_by_text(re.compile("Reassigned 1 resident"))).to_be_visible()
    assert_accessible(page)

    current = active_pairing(resident)
    assert current.officer == other_officer
    assert current.start_reason == "Closer to her working hours"
    assert current.started_by == sergeant
