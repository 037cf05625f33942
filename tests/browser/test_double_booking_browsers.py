"""Two women paired with the same officer choose the same time in their own browsers and book at once:
one gets the walk, the other is told it has just been taken and keeps what she typed."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from patrols.booking import TAKEN
from patrols.models import Walk
from tests.browser.axe import assert_accessible
from tests.browser.steps import choose_slot, sign_in, slot_time
from tests.factories import (
    PASSWORD,
    AvailabilityWindowFactory,
    OfficerFactory,
    PairingFactory,
    ResidentFactory,
)

TILES = re.compile(r"^https?://[^/]*tile\.openstreetmap\.org/")


@pytest.mark.viewports("desktop")
def test_two_residents_book_the_same_slot_at_once(new_page: Callable[..., Page], viewport):
    officer = OfficerFactory(display_name="PC Sarah Okafor", collar_number="4821AS")
    for weekday in range(7):
        AvailabilityWindowFactory(officer=officer, weekday=weekday, start_time="18:00", end_time="21:00")
    women = {}
    for name in ("Amira", "Bola"):
        resident = ResidentFactory(preferred_name=name)
        PairingFactory(resident=resident, officer=officer)
        page = new_page()
        page.route(TILES, lambda route: route.abort())
        sign_in(page, resident.user.email, PASSWORD)
        page.goto("/walks/book/")
        expect(page.get_by_role("heading", level=1, name="Book a walk")).to_be_visible()
        women[name] = (resident, page)

    # Both choose the same time: the first slot of the second day shown, wholly past the 24 hours' notice.
    typed = {}
    chosen = None
    for name, (_resident, page) in women.items():
        label = page.locator("fieldset.slot-day").nth(1).locator("label.slot").first
        starts_at = choose_slot(label)
        assert chosen in (None, starts_at)
        chosen = starts_at
        typed[name] = (f"Outside the library, ask for {name}", f"{name}'s usual way home past the bus garage")
        page.get_by_label("Where shall we meet?").fill(typed[name][0])
        page.get_by_label("The route you usually take").fill(typed[name][1])

    # Both press "Book this walk" at the same moment: each page is told to click at one instant on the
    # browser's clock (shared by both contexts), so the two requests reach the server together.
    (_, page_a), (_, page_b) = women.values()
    at = page_a.evaluate("Date.now()") + 400
    with page_a.expect_navigation(), page_b.expect_navigation():
        for page in (page_a, page_b):
            page.get_by_role("button", name="Book this walk").evaluate(
                "(button, at) => setTimeout(() => button.click(), at - Date.now())", at
            )

    walk = Walk.objects.get()
    assert walk.starts_at == chosen
    assert walk.status == Walk.Status.BOOKED
    winner = next(name for name, (resident, _page) in women.items() if resident == walk.resident)
    loser = next(name for name in women if name != winner)

    page = women[winner][1]
    expect(page).to_have_url(re.compile(rf"/walks/{walk.pk}/$"))
    expect(page.locator(".walk-code")).to_have_text(walk.walk_code)
    assert_accessible(page)

    page = women[loser][1]
    expect(page).to_have_url(re.compile(r"/walks/book/$"))
    expect(page.get_by_role("alert").filter(has_text=TAKEN).first).to_be_visible()
    expect(page.locator("#slot-error")).to_have_text(TAKEN)
    expect(page.get_by_label("Where shall we meet?")).to_have_value(typed[loser][0])
    expect(page.get_by_label("The route you usually take")).to_have_value(typed[loser][1])
    # The time just taken is no longer offered to her.
    offered = [slot_time(label) for label in page.locator("label.slot").all()]
    assert chosen not in offered
    assert_accessible(page)
