"""A paired resident books a walk after dark on her phone, saves the invite, moves the walk, then cancels it.

The live clock is used throughout (the booking rules count from now: 24 hours' notice, 28 days ahead),
so slots are chosen from what the page offers rather than from fixed dates.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from patrols.models import Walk, WalkEvent
from tests.browser.axe import assert_accessible
from tests.browser.steps import AFTER_DARK_SLOT, choose_slot, sign_in
from tests.factories import (
    PASSWORD,
    AvailabilityWindowFactory,
    OfficerFactory,
    PairingFactory,
    ResidentFactory,
)

MEETING_POINT = "Outside Peckham Rye station, by the flower stall"
ROUTE = "Rye Lane, then Bellenden Road to the park"
WORRIES = "The underpass by the multi-storey car park"
TILES = re.compile(r"^https?://[^/]*tile\.openstreetmap\.org/")


def evening_officer():
    """An officer free 15:00–23:00 every day: after-dark slots whatever the season (sunset is at most
    about 21:20 in London)."""
    officer = OfficerFactory(display_name="PC Sarah Okafor", collar_number="4821AS")
    for weekday in range(7):
        AvailabilityWindowFactory(officer=officer, weekday=weekday, start_time="15:00", end_time="23:00")
    return officer


@pytest.mark.viewports("phone")
def test_book_save_invite_move_and_cancel_a_walk(page: Page, viewport):
    officer = evening_officer()
    resident = ResidentFactory(preferred_name="Grace")
    PairingFactory(resident=resident, officer=officer)
    # No network here: refuse the map tiles at once rather than wait for them to fail.
    page.route(TILES, lambda route: route.abort())

    sign_in(page, resident.user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/walks/$"))
    assert_accessible(page)
    page.get_by_role("main").get_by_role("link", name="Book a walk").click()

    expect(page.get_by_role("heading", level=1, name="Book a walk")).to_be_visible()
    expect(page.get_by_text("With PC Sarah Okafor (collar number 4821AS).")).to_be_visible()
    assert_accessible(page)

    # She types where to meet, then looks at the week after: what she typed is still there.
    meeting_point = page.get_by_label("Where shall we meet?")
    meeting_point.fill(MEETING_POINT)
    week_heading = page.get_by_role("heading", level=3)
    first_week = week_heading.inner_text()
    page.get_by_role("button", name="Later week ›").click()
    expect(week_heading).not_to_have_text(first_week)
    expect(page.get_by_role("button", name="‹ Earlier week")).to_be_visible()
    expect(meeting_point).to_have_value(MEETING_POINT)
    expect(page.locator(".error-summary")).to_have_count(0)  # changing week is not a failed submit
    assert_accessible(page)

    # A time after dark (every slot this week is well past the 24 hours' notice).
    starts_at = choose_slot(page.locator(AFTER_DARK_SLOT).first)
    page.get_by_label("The route you usually take").fill(ROUTE)
    page.get_by_label("Places that already worry you (optional)").fill(WORRIES)
    # A tap on the map drops a pin (the tiles are missing; the map still works).
    page.locator("#meeting-map").click()
    expect(page.locator("#map-status")).to_have_text("Pin placed.")
    assert_accessible(page)
    page.get_by_role("button", name="Book this walk").click()

    # The confirmation: who is coming, and the code she will say.
    expect(page).to_have_url(re.compile(r"/walks/\d+/$"))
    expect(page.get_by_text("Your walk is booked.")).to_be_visible()
    walk = Walk.objects.get()
    assert (walk.status, walk.starts_at, walk.officer, walk.resident) == (
        Walk.Status.BOOKED,
        starts_at,
        officer,
        resident,
    )
    assert (walk.meeting_point, walk.route, walk.known_worries) == (MEETING_POINT, ROUTE, WORRIES)
    assert walk.meeting_latitude is not None and walk.meeting_longitude is not None
    who = page.locator("section", has=page.get_by_role("heading", name="Who is coming"))
    expect(who).to_contain_text("PC Sarah Okafor")
    expect(who).to_contain_text("4821AS")
    expect(who.locator(".walk-code")).to_have_text(walk.walk_code)
    expect(page.get_by_text("After dark").first).to_be_visible()
    assert_accessible(page)

    # She saves the invite to her calendar.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to my calendar (.ics)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ics")
    with open(download.path(), encoding="utf-8") as invite_file:
        invite = invite_file.read().replace("\r\n ", "")  # unfold the long lines
    assert "BEGIN:VEVENT" in invite
    assert walk.walk_code in invite
    assert "police" not in invite.lower()  # she did not choose to have it mentioned

    # She moves it to another evening.
    page.get_by_role("link", name="Move this walk").click()
    expect(page.get_by_role("heading", level=1, name="Move your walk")).to_be_visible()
    assert_accessible(page)
    # The second day shown is wholly past the notice period, however close to it the first one is.
    second_day = page.locator("fieldset.slot-day").nth(1)
    new_starts_at = choose_slot(second_day.locator(AFTER_DARK_SLOT).first)
    assert new_starts_at != starts_at
    page.get_by_role("button", name="Move my walk").click()
    expect(page).to_have_url(re.compile(rf"/walks/{walk.pk}/$"))
    expect(page.get_by_text("Your walk has moved.")).to_be_visible()
    expect(who.locator(".walk-code")).to_have_text(walk.walk_code)  # the code she was given stands
    assert_accessible(page)
    walk.refresh_from_db()
    assert (walk.status, walk.starts_at, walk.version) == (Walk.Status.BOOKED, new_starts_at, 2)
    assert walk.events.filter(kind=WalkEvent.Kind.MOVED, old_starts_at=starts_at).exists()

    # Then cancels it, after being asked.
    page.get_by_role("link", name="Cancel this walk").click()
    expect(page.get_by_role("heading", level=1, name="Cancel the walk?")).to_be_visible()
    assert_accessible(page)
    walk.refresh_from_db()
    assert walk.status == Walk.Status.BOOKED  # asking changes nothing
    page.get_by_role("button", name="Yes, cancel the walk").click()
    expect(page).to_have_url(re.compile(rf"/walks/{walk.pk}/$"))
    expect(page.get_by_text("The walk is cancelled. Your officer has been told.")).to_be_visible()
    expect(page.get_by_role("link", name="Move this walk")).to_have_count(0)
    expect(page.get_by_role("link", name="Cancel this walk")).to_have_count(0)
    assert_accessible(page)
    walk.refresh_from_db()
    assert walk.status == Walk.Status.CANCELLED
    assert walk.cancelled_by == resident.user
    assert walk.starts_at == new_starts_at
