"""An officer on her phone: signs in, starts today's walk, logs two concerns (one pinned with her
location, one by street name), finishes the walk (it asks first) and follows one concern up from her
open list.

The live clock is used: the walk starts ten minutes from now, inside the hour she may start early.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from patrols.models import Concern, ConcernUpdate, Walk, WalkEvent
from tests.browser.axe import assert_accessible
from tests.browser.steps import sign_in
from tests.factories import PASSWORD, OfficerFactory, PairingFactory, ResidentFactory, WalkFactory

TILES = re.compile(r"^https?://[^/]*tile\.openstreetmap\.org/")
PECKHAM = {"latitude": 51.4735, "longitude": -0.0690, "accuracy": 12}
STREET = "Alley between Rye Lane and Holly Grove"
FOLLOW_UP = "Reported to Southwark highways, ref 1234"
PINNED_HERE = re.compile(r"^Using your location \(within about 12 m\)")
SETTLE = """async () => {
  await Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => null)));
}"""


def open_menu_if_collapsed(page: Page) -> None:
    """On a phone the navigation sits behind the menu button (the navbar collapses below 768px)."""
    if page.viewport_size["width"] >= 768:
        return
    toggler = page.get_by_role("button", name="Show or hide the menu")
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")


def assert_accessible_at_rest(page: Page) -> None:
    """axe on the page once its transitions have ended (the map zooming to her location, a severity
    button fading to its checked colours over 0.15 s): read halfway, colours fail contrast checks they
    never rest at. (page.wait_for_function evaluates a string, which the site's CSP forbids.)"""
    page.evaluate(SETTLE)
    assert_accessible(page)


def concern_form_is_open(page: Page, walk: Walk) -> None:
    expect(page).to_have_url(re.compile(rf"/app/walks/{walk.pk}/concerns/new/$"))
    expect(page.get_by_role("heading", level=1, name="Log a concern")).to_be_visible()
    expect(page.locator("#concern-map.leaflet-container")).to_be_visible()  # the map is drawn


@pytest.mark.viewports("phone")
def test_officer_runs_a_walk_logs_concerns_and_follows_one_up(page: Page, live_server, viewport):
    officer = OfficerFactory(display_name="PC Sarah Okafor", collar_number="4821AS")
    resident = ResidentFactory(preferred_name="Grace")
    PairingFactory(resident=resident, officer=officer)
    walk = WalkFactory(
        resident=resident,
        officer=officer,
        starts_at=timezone.now() + timedelta(minutes=10),
        meeting_point="Outside Peckham Rye station",
    )
    assert walk.status == Walk.Status.BOOKED
    context = page.context
    context.grant_permissions(["geolocation"], origin=live_server.url)
    context.set_geolocation(PECKHAM)
    # No network here: refuse the map tiles at once rather than wait for them to fail.
    page.route(TILES, lambda route: route.abort())

    # She signs in and lands on Today, with the walk and the code she will say on meeting.
    sign_in(page, officer.user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/app/today/$"))
    card = page.locator("article.walk-card", has=page.get_by_role("heading", name=re.compile("Grace")))
    expect(card).to_be_visible()
    expect(card.locator(".walk-code")).to_have_text(walk.walk_code)
    expect(card.get_by_text("Outside Peckham Rye station")).to_be_visible()
    assert_accessible_at_rest(page)

    # She meets Grace and starts the walk.
    card.get_by_role("button", name="Start walk").click()
    expect(page).to_have_url(re.compile(r"/app/today/$"))
    expect(page.get_by_text("Walk started.")).to_be_visible()
    expect(card.get_by_text("In progress")).to_be_visible()
    assert_accessible_at_rest(page)
    walk.refresh_from_db()
    assert walk.status == Walk.Status.IN_PROGRESS
    assert walk.started_at is not None
    assert walk.events.filter(kind=WalkEvent.Kind.STARTED, by=officer.user).count() == 1

    # Concern 1: Grace points at a dark corner; PC Okafor pins it with her location.
    card.get_by_role("link", name="Log a concern").click()
    concern_form_is_open(page, walk)
    assert_accessible_at_rest(page)
    page.get_by_role("button", name="Use my location").click()
    expect(page.locator("#pin-status")).to_have_text(PINNED_HERE)
    expect(page.locator("#concern-map .leaflet-marker-icon")).to_have_count(1)
    expect(page.locator("#id_latitude")).to_have_value("51.473500")
    expect(page.locator("#id_longitude")).to_have_value("-0.069000")
    page.get_by_label("What is it about?").select_option(label="Badly lit")
    page.locator("label[for='id_severity_2']").click()  # the radios are buttons: she taps the label
    expect(page.get_by_role("radio", name="High")).to_be_checked()
    page.get_by_label("When does it matter?").select_option(label="After dark")
    page.get_by_label("What she said").fill("I cross the road here; the lamp has been out for weeks.")
    page.get_by_label("What you will do").fill("Report the broken street light.")
    page.get_by_label("Partners may read her words").check()
    assert_accessible_at_rest(page)
    page.get_by_role("button", name="Save concern").click()

    expect(page).to_have_url(re.compile(rf"/app/walks/{walk.pk}/$"))
    concerns = page.get_by_role("region", name="Concerns logged on this walk")
    expect(concerns.get_by_role("link", name="Badly lit")).to_be_visible()
    assert_accessible_at_rest(page)
    first = Concern.objects.get(walk=walk)
    assert (first.latitude, first.longitude) == (Decimal("51.473500"), Decimal("-0.069000"))
    assert first.location_text == ""
    assert first.category.name == "Badly lit"
    assert first.severity == Concern.Severity.HIGH
    assert first.when_it_matters == Concern.When.AFTER_DARK
    assert first.resident_said == "I cross the road here; the lamp has been out for weeks."
    assert first.action == "Report the broken street light."
    assert first.resident_said_shared is True and first.partner is None  # referred from its own page
    assert first.status == Concern.Status.OPEN
    assert first.officer == officer
    assert first.ward == resident.ward
    assert first.draft_key is not None

    # Concern 2: a street name only, no pin. The form starts empty (the last draft is not carried over).
    page.get_by_role("main").get_by_role("link", name="Log a concern").click()
    concern_form_is_open(page, walk)
    expect(page.locator("#id_latitude")).to_have_value("")
    expect(page.locator("#id_location_text")).to_have_value("")
    expect(page.locator("#draft-status")).to_be_hidden()
    page.get_by_label("Street or landmark").fill(STREET)
    page.get_by_label("What is it about?").select_option(label="Being followed")
    page.get_by_label("When does it matter?").select_option(label="Weekday evenings")
    page.get_by_label("What she said").fill("Men wait by the bins and follow women up the alley.")
    assert_accessible_at_rest(page)
    page.get_by_role("button", name="Save concern").click()

    expect(page).to_have_url(re.compile(rf"/app/walks/{walk.pk}/$"))
    expect(concerns.get_by_role("listitem")).to_have_count(2)
    expect(concerns.get_by_text(STREET)).to_be_visible()
    second = Concern.objects.exclude(pk=first.pk).get(walk=walk)
    assert second.location_text == STREET
    assert second.latitude is None and second.longitude is None
    assert second.category.name == "Being followed"
    assert second.severity == Concern.Severity.MEDIUM  # the default she left alone
    assert second.when_it_matters == Concern.When.WEEKDAY_EVENINGS
    assert second.resident_said_shared is False  # her words stay with the police unless ticked
    assert second.draft_key != first.draft_key

    # She finishes the walk. "Finish walk" sits apart from "Log a concern" and asks first; she first
    # says no (the walk goes on), then yes.
    finish = page.get_by_role("link", name="Finish walk")
    log_box = page.get_by_role("main").get_by_role("link", name="Log a concern").bounding_box()
    finish_box = finish.bounding_box()
    assert finish_box["y"] >= log_box["y"] + log_box["height"] + 24, (
        "Finish walk must not sit right by Log a concern"
    )
    finish.click()
    expect(page).to_have_url(re.compile(rf"/app/walks/{walk.pk}/finish/$"))
    expect(page.get_by_role("heading", level=1, name="Finish the walk?")).to_be_visible()
    expect(page.get_by_text("You have logged 2 concerns on this walk.")).to_be_visible()
    assert_accessible_at_rest(page)
    walk.refresh_from_db()
    assert walk.status == Walk.Status.IN_PROGRESS  # asking changed nothing
    page.get_by_role("link", name="No, the walk goes on").click()
    expect(page).to_have_url(re.compile(rf"/app/walks/{walk.pk}/$"))
    walk.refresh_from_db()
    assert walk.status == Walk.Status.IN_PROGRESS
    page.get_by_role("link", name="Finish walk").click()
    page.get_by_role("button", name="Yes, finish the walk").click()
    expect(page).to_have_url(re.compile(rf"/app/walks/{walk.pk}/$"))
    expect(page.get_by_text("Walk finished. Thank you.")).to_be_visible()
    expect(page.get_by_role("link", name="Finish walk")).to_have_count(0)
    assert_accessible_at_rest(page)
    walk.refresh_from_db()
    assert walk.status == Walk.Status.COMPLETED
    assert walk.finished_at is not None and walk.finished_at >= walk.started_at
    assert Concern.objects.filter(walk=walk).count() == 2

    # Later: her open concerns, oldest first; she follows up the broken light.
    open_menu_if_collapsed(page)
    page.get_by_role("link", name="Open concerns").click()
    expect(page).to_have_url(re.compile(r"/app/concerns/$"))
    expect(page.get_by_role("heading", level=1, name="My open concerns")).to_be_visible()
    links = page.get_by_role("main").get_by_role("link")
    expect(links.filter(has_text=re.compile("^(Badly lit|Being followed)$"))).to_have_count(2)
    assert_accessible_at_rest(page)
    page.get_by_role("link", name="Badly lit").click()

    expect(page).to_have_url(re.compile(rf"/app/concerns/{first.pk}/$"))
    expect(page.get_by_role("heading", level=1, name="Badly lit")).to_be_visible()
    expect(page.get_by_text("No updates yet.")).to_be_visible()
    assert_accessible_at_rest(page)
    page.get_by_label("What happened").fill(FOLLOW_UP)
    page.get_by_label("Status now").select_option(label="Referred")
    page.get_by_role("button", name="Add update").click()

    expect(page).to_have_url(re.compile(rf"/app/concerns/{first.pk}/$"))
    expect(page.get_by_text("Update added.")).to_be_visible()
    follow_up = page.get_by_role("region", name="Follow-up")
    expect(follow_up.get_by_text(FOLLOW_UP)).to_be_visible()
    expect(follow_up.get_by_text("now referred")).to_be_visible()
    assert_accessible_at_rest(page)
    first.refresh_from_db()
    assert first.status == Concern.Status.REFERRED
    update = ConcernUpdate.objects.get(concern=first)
    assert (update.note, update.old_status, update.new_status) == (FOLLOW_UP, "open", "referred")
    assert update.by == officer.user
    assert not ConcernUpdate.objects.filter(concern=second).exists()
    second.refresh_from_db()
    assert second.status == Concern.Status.OPEN
