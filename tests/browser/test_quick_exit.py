"""The quick exit in the browser (issue 14 point 13): from a resident's page, "Exit this page" (a tap, or
Shift three times) blanks the page and replaces it with the neutral site, so Back does not return to it.

The machine has no internet: the neutral site (QUICK_EXIT_URL) and a page she was on before ours are
answered by `page.route` stubs. Each journey first opens the "before" page, then her page, so the history
is [before, her page]; after the exit it must be [before, neutral site]: the same length, and Back lands
on the page before ours. (Pages of our site visited before that stay in the history: no browser lets a
page remove them, which the privacy notice says.)
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from tests.browser.axe import assert_accessible
from tests.browser.steps import sign_in
from tests.factories import PASSWORD, PairingFactory, ResidentFactory, WalkFactory

NEUTRAL = "https://neutral.example/weather"
BEFORE = "https://before.example/news"
STUB = (
    "<!doctype html><html lang='en'><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
)
EXIT = re.compile(r"^Exit this page$")


@pytest.fixture(autouse=True)
def neutral_site(settings):
    settings.QUICK_EXIT_URL = NEUTRAL  # the live server runs in this process and reads it per request


class Stubs:
    """Answer the two outside addresses; remember the requests for the neutral site."""

    def __init__(self, page: Page) -> None:
        self.neutral_requests: list[dict] = []
        page.route(NEUTRAL, self.neutral)
        page.route(
            BEFORE, lambda route: route.fulfill(content_type="text/html", body=STUB.format(title="News"))
        )

    def neutral(self, route: Route) -> None:
        self.neutral_requests.append(route.request.headers)
        route.fulfill(content_type="text/html", body=STUB.format(title="Weather"))


def her_walk_page(page: Page) -> str:
    """Signed in as a resident, on the page before ours, then on her walk's page: returns its path."""
    resident = ResidentFactory(preferred_name="Grace")
    pairing = PairingFactory(resident=resident)
    walk = WalkFactory(
        resident=resident, officer=pairing.officer, starts_at=timezone.now() + timedelta(days=2)
    )
    sign_in(page, resident.user.email, PASSWORD)
    page.goto(BEFORE)
    path = f"/walks/{walk.pk}/"
    page.goto(path)
    expect(page.get_by_role("heading", level=1, name=re.compile("^Walk on"))).to_be_visible()
    return path


def assert_left_for_good(page: Page, stubs: Stubs, history_before: int, path: str) -> None:
    expect(page).to_have_url(NEUTRAL)
    expect(page.get_by_role("heading", name="Weather")).to_be_visible()
    assert len(stubs.neutral_requests) == 1
    assert "referer" not in stubs.neutral_requests[0], "the neutral site must not learn where she came from"
    # her page's history entry was replaced, not added to
    assert page.evaluate("history.length") == history_before
    page.go_back()
    expect(page).to_have_url(BEFORE)
    assert path not in page.url


@pytest.mark.viewports("phone")
def test_tapping_exit_this_page_replaces_her_page_with_the_neutral_site(page: Page, viewport):
    stubs = Stubs(page)
    path = her_walk_page(page)
    control = page.get_by_role("link", name=EXIT)
    expect(control).to_be_visible()
    expect(control).to_have_attribute("href", NEUTRAL)
    expect(control).to_have_attribute("rel", "nofollow noreferrer")
    assert_accessible(page)
    history_before = page.evaluate("history.length")

    control.click()
    assert_left_for_good(page, stubs, history_before, path)


def test_shift_three_times_leaves_but_capitals_and_a_slow_sequence_do_not(page: Page, viewport):
    stubs = Stubs(page)
    page.clock.install()  # the 5-second window, without waiting for it
    path = her_walk_page(page)
    status = page.locator("[data-quick-exit-status]")
    lights = page.locator(".quick-exit__light--on")

    # Typing capitals (Shift with a letter) never counts.
    page.get_by_role("link", name="Cancel this walk").click()
    reason = page.get_by_role("textbox").first
    reason.press_sequentially("AB")
    for _ in range(3):
        reason.press("Shift+C")
    expect(reason).to_have_value("ABCCC")
    expect(lights).to_have_count(0)
    page.go_back()
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}$"))

    # Two presses, then more than five seconds: the sequence runs out.
    page.keyboard.press("Shift")
    expect(status).to_have_text("Shift, press 2 more times to exit.")
    expect(lights).to_have_count(1)
    page.keyboard.press("Shift")
    expect(status).to_have_text("Shift, press 1 more time to exit.")
    expect(lights).to_have_count(2)
    page.clock.run_for(5_100)
    expect(status).to_have_text("Exit this page expired.")
    expect(lights).to_have_count(0)
    page.keyboard.press("Shift")
    expect(lights).to_have_count(1)
    page.keyboard.press("a")  # another key breaks the sequence too
    expect(lights).to_have_count(0)
    assert stubs.neutral_requests == []

    # Three presses, each within five seconds of the last: gone.
    history_before = page.evaluate("history.length")
    page.keyboard.press("Shift")
    page.clock.run_for(4_000)
    page.keyboard.press("Shift")
    page.clock.run_for(4_000)
    page.keyboard.press("Shift")
    assert_left_for_good(page, stubs, history_before, path)


@pytest.mark.viewports("phone")
def test_without_javascript_it_is_a_plain_link_with_no_referrer(new_page, viewport):
    page = new_page(java_script_enabled=False)
    stubs = Stubs(page)
    page.goto("/")
    page.get_by_role("link", name=EXIT).click()
    expect(page).to_have_url(NEUTRAL)
    assert "referer" not in stubs.neutral_requests[0]


@pytest.mark.viewports("phone")
def test_on_a_320px_phone_it_is_first_big_enough_and_hides_nothing(new_page, viewport):
    page = new_page(viewport={"width": 320, "height": 640})
    Stubs(page)
    her_walk_page(page)
    for path in ("/", "/privacy/", page.url):
        page.goto(path)
        control = page.get_by_role("link", name=EXIT)
        box = control.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
        assert box["y"] < 10, "at the very top of the page"
        no_sideways_scroll = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        assert page.evaluate(no_sideways_scroll), f"sideways scroll on {path}"
        # the first thing the Tab key reaches, with a visible focus ring
        page.keyboard.press("Tab")
        expect(control).to_be_focused()
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
        assert_accessible(page)
    # Scrolled down, it stays in reach, and the focused element is not hidden under it.
    page.get_by_role("link", name="Privacy notice").focus()
    expect(page.get_by_role("link", name=EXIT)).to_be_in_viewport()
    exit_bottom = page.get_by_role("link", name=EXIT).bounding_box()
    link_box = page.get_by_role("link", name="Privacy notice").bounding_box()
    assert link_box["y"] >= exit_bottom["y"] + exit_bottom["height"]
