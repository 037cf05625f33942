"""Issue 14, point 8: a concern logged by street name is put on the map afterwards — from her open
concerns, one tap on a map, then Save. (No tiles here: the map is grey, and still takes a tap.)"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from patrols import concerns as concern_service
from patrols.forms import LONDON_BOUNDS
from patrols.models import Concern, ConcernCategory, Walk
from tests.browser.axe import assert_accessible
from tests.browser.steps import sign_in
from tests.browser.test_offline_concern import TILES
from tests.browser.test_offline_outbox import shot
from tests.factories import PASSWORD, OfficerFactory, PairingFactory, ResidentFactory, WalkFactory


@pytest.mark.viewports("phone")
def test_officer_drops_a_pin_on_a_concern_logged_by_street_name(page: Page, viewport):
    officer = OfficerFactory(display_name="PC Sarah Okafor", collar_number="4821AS")
    resident = ResidentFactory(preferred_name="Grace")
    PairingFactory(resident=resident, officer=officer)
    walk = WalkFactory(resident=resident, officer=officer, status=Walk.Status.COMPLETED)
    concern, _ = concern_service.log_concern(
        walk=walk, by=officer.user, category=ConcernCategory.objects.get(name="Badly lit"),
        severity="high", when_it_matters="after_dark", location_text="Rye Lane alley",
    )  # fmt: skip

    page.route(TILES, lambda route: route.abort())
    sign_in(page, officer.user.email, PASSWORD)
    page.goto("/concerns/area/")
    expect(page.locator("#no-pin-count")).to_contain_text("1 concern has no map pin")
    shot(page, "pin-area-view.png")
    assert_accessible(page)

    page.goto("/concerns/")
    expect(page.locator("#no-pin-count")).to_contain_text("1 of your open concerns has no map pin")
    shot(page, "pin-my-concerns.png")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"^Add a map pin")).click()
    expect(page.get_by_role("heading", level=1, name="Add a map pin")).to_be_visible()
    expect(page.locator("#pin-map.leaflet-container")).to_be_visible()

    # Save with no pin: she is told what to do.
    page.get_by_role("button", name="Save the pin").click()
    expect(page.locator(".error-summary")).to_contain_text("Tap the map where the concern is, then save.")

    page.locator("#pin-map").click()
    expect(page.locator("#pin-status")).to_have_text("Pin placed.")
    expect(page.locator("#pin-map .leaflet-marker-icon")).to_have_count(1)
    shot(page, "pin-page.png")
    assert_accessible(page)
    page.get_by_role("button", name="Save the pin").click()

    expect(page).to_have_url(re.compile(r"/concerns/$"))
    expect(page.locator(".messages")).to_contain_text("Map pin saved: Badly lit — Rye Lane alley.")
    expect(page.get_by_role("link", name=re.compile(r"^Add a map pin"))).to_have_count(0)
    expect(page.locator("#no-pin-count")).to_have_count(0)
    concern = Concern.objects.get(pk=concern.pk)
    assert LONDON_BOUNDS["south"] <= concern.latitude <= LONDON_BOUNDS["north"]
    assert LONDON_BOUNDS["west"] <= concern.longitude <= LONDON_BOUNDS["east"]
    assert concern.location_text == "Rye Lane alley"
