"""Issue 14, point 5: a concern saved with no signal is sent from whichever page she is on when the
signal returns, and every officer page says what is still waiting until it has gone.

The network is cut for real: the browser reaches the live server only through a local relay
(tests/browser/relay.py) that the test stops, or stalls so that a request is still in flight as she
leaves the form. The page itself never hears it is offline, as on a phone with one bar.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route, expect

from patrols.models import Concern
from tests.browser.axe import assert_accessible
from tests.browser.relay import Relay
from tests.browser.steps import sign_in
from tests.browser.test_offline_concern import QUEUED, TILES, outbox, wait_for, walk_under_way
from tests.factories import PASSWORD

PLACE = "Rye Lane alley"
WAITING = re.compile(rf"^1 concern waiting to send: Badly lit — {PLACE}, done at \d\d:\d\d$")
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"


@pytest.fixture
def relay(live_server):
    relay = Relay(live_server.url)
    relay.start()
    yield relay
    relay.stop()


def fill_concern(page: Page, walk) -> None:
    page.goto(f"/app/walks/{walk.pk}/concerns/new/")
    expect(page.locator("#concern-map.leaflet-container")).to_be_visible()  # the scripts have run
    page.get_by_label("Street or landmark").fill(PLACE)
    page.get_by_label("What is it about?").select_option(label="Badly lit")
    page.get_by_label("What she said").fill("The lamp by the bins has been out for weeks.")


def open_through(new_page: Callable[..., Page], relay: Relay, walk) -> Page:
    page = new_page(base_url=relay.url)
    page.route(TILES, lambda route: route.abort())
    sign_in(page, walk.officer.user.email, PASSWORD)
    return page


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def open_today(page: Page) -> None:
    """She opens Today just as the signal returns. The form's outbox may send and move on by itself
    at that moment, aborting this navigation (net::ERR_ABORTED): she opens Today again, as she would."""
    try:
        page.goto("/app/today/")
    except PlaywrightError as error:
        if "ERR_ABORTED" not in str(error):
            raise
        page.goto("/app/today/")


@pytest.mark.viewports("phone")
def test_queued_concern_is_sent_from_today_when_the_signal_returns(new_page, relay, viewport):
    walk = walk_under_way()
    page = open_through(new_page, relay, walk)
    fill_concern(page, walk)

    # No signal as she saves: the request fails, the concern waits on the phone, the banner says so.
    relay.stop()
    page.get_by_role("button", name="Save concern").click()
    expect(page.locator("#draft-status")).to_contain_text(QUEUED)
    expect(page.locator("#outbox-summary")).to_have_text(WAITING)
    assert not Concern.objects.exists()
    [queued] = outbox(page)
    draft_key = queued["key"]

    # Hold the phone's background send on Today, so the banner can be seen before it goes.
    held: list[Route] = []
    page.route(re.compile(r"/walks/\d+/concerns/new/$"), lambda route: held.append(route))

    # The signal returns; she has left the form for Today.
    relay.start()
    open_today(page)
    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()
    banner = page.locator("#outbox-banner")
    expect(banner).to_be_visible()
    expect(page.locator("#outbox-summary")).to_have_text(WAITING)
    expect(banner.get_by_role("button", name="Send now")).to_be_visible()
    wait_for(lambda: len(held) == 1)  # sent by itself on load, not because she asked
    shot(page, "outbox-today-waiting.png")
    assert_accessible(page)
    assert not Concern.objects.exists()

    # The held request goes through: exactly one concern, and the banner is gone.
    page.unroute(re.compile(r"/walks/\d+/concerns/new/$"))
    held[0].continue_()
    expect(banner).to_be_hidden()
    expect(page.locator("#outbox-news")).to_have_text(
        re.compile(rf"^Sent from this phone: Badly lit — {PLACE}, recorded as done at \d\d:\d\d\.$")
    )
    shot(page, "outbox-today-sent.png")
    wait_for(lambda: Concern.objects.count() == 1)
    concern = Concern.objects.get()
    assert (str(concern.draft_key), concern.walk, concern.location_text) == (draft_key, walk, PLACE)
    assert concern.category.name == "Badly lit"
    assert outbox(page) == []
    page.reload()
    expect(page.locator("#outbox-banner")).to_be_hidden()
    expect(page.locator(".messages")).to_have_count(0)  # no stray "Concern logged" flash on Today
    assert Concern.objects.count() == 1


@pytest.mark.viewports("phone")
def test_a_request_in_flight_as_she_leaves_the_form_is_not_counted_as_sent(new_page, relay, viewport):
    walk = walk_under_way()
    page = open_through(new_page, relay, walk)
    fill_concern(page, walk)

    # A dead spot: the request leaves the phone and nothing comes back.
    relay.stall()
    page.get_by_role("button", name="Save concern").click()
    wait_for(lambda: len(outbox(page)) == 1)  # on the phone before it is sent
    expect(page.locator("#draft-status")).to_be_hidden()  # still on its way: nothing said yet

    # She walks on and opens Today; the request that was on its way is dropped with the page.
    relay.start()
    open_today(page)
    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()
    wait_for(lambda: Concern.objects.count() == 1)
    expect(page.locator("#outbox-banner")).to_be_hidden()
    assert outbox(page) == []
    concern = Concern.objects.get()
    assert (concern.walk, concern.location_text) == (walk, PLACE)

    # Back on the form: nothing comes back as an unsent draft (it was sent).
    page.goto(f"/app/walks/{walk.pk}/concerns/new/")
    expect(page.get_by_label("Street or landmark")).to_have_value("")
    expect(page.locator("#draft-status")).to_be_hidden()
    assert Concern.objects.count() == 1


@pytest.mark.viewports("phone")
def test_a_refused_concern_stays_with_the_reason_until_she_dismisses_it(new_page, relay, viewport):
    walk = walk_under_way()
    page = open_through(new_page, relay, walk)
    fill_concern(page, walk)
    relay.stop()
    page.get_by_role("button", name="Save concern").click()
    expect(page.locator("#outbox-summary")).to_have_text(WAITING)

    # Meanwhile the walk is cancelled: the server refuses the concern, and says why.
    walk.status = walk.Status.CANCELLED
    walk.save(update_fields=["status"])
    relay.start()
    page.goto("/app/today/")
    items = page.locator("#outbox-items")
    expect(items).to_contain_text("Not sent: This walk is cancelled: concerns are logged on a walk that")
    expect(page.locator("#outbox-summary")).to_have_text("1 concern could not be sent")
    items.get_by_text("What you typed").click()
    expect(items).to_contain_text("The lamp by the bins has been out for weeks.")
    assert_accessible(page)
    shot(page, "outbox-refused.png")
    page.reload()  # kept on the phone, across pages
    expect(page.locator("#outbox-items")).to_contain_text("Not sent:")
    assert len(outbox(page)) == 1

    page.get_by_role("button", name="Dismiss").click()
    expect(page.locator("#outbox-banner")).to_be_hidden()
    assert outbox(page) == []
    assert not Concern.objects.exists()
