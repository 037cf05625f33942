""" "You said, we did" on a phone: a ward page at 390 px scrolls nothing sideways and is axe-clean
(WCAG 2.2 AA), with every table filled (categories, what was done) and the quick exit on top."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.factories import ward
from tests.test_you_said_we_did import Scene


@pytest.mark.viewports("phone")
def test_a_ward_page_fits_a_phone_and_is_accessible(page: Page, viewport):
    scene = Scene("London Bridge & West Bermondsey")  # the longest ward name
    logged = timezone.now() - timedelta(days=40)  # in the last 12 whole months, whatever today is
    for days, kind in ((2, "council"), (4, "transport"), (6, "council"), (8, "transport"), (9, "council")):
        scene.concern("Badly lit", logged=logged, fixed_after=days, fixed_by=kind)
    for _ in range(3):
        scene.concern("Unsafe transport stop", logged=logged, fixed_after=3, fixed_by="transport")
        scene.concern("No or broken CCTV", logged=logged)
        scene.concern("Being followed", logged=logged, closed=True)
    page.goto(reverse("patrols:you_said_we_did_ward", args=["southwark", ward(scene.ward.name).pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You said, we did: London Bridge & West Bermondsey"
    )
    expect(page.get_by_role("link", name="Exit this page")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(2)
    expect(page.get_by_role("cell", name="14", exact=True)).to_have_count(2)  # both tables' totals
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways at 390 px: {widths}"
    assert_accessible(page)
