"""Nothing lost offline: a concern saved with no signal waits on the phone and is sent, once, when the
signal returns; a draft she was typing survives a reload.

After ``context.set_offline(True)`` a navigation would show Chromium's error page instead of ours, so
everything checked while offline is checked in the page she already has open.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from patrols.models import Concern, Walk
from tests.browser.axe import assert_accessible
from tests.browser.steps import sign_in
from tests.factories import PASSWORD, OfficerFactory, PairingFactory, ResidentFactory, WalkFactory

TILES = re.compile(r"^https?://[^/]*tile\.openstreetmap\.org/")
STREET = "Bus stop on Peckham High Street, opposite the library"
QUEUED = "No signal: this concern is saved on your phone and will be sent when you are back online."
SETTLE = """async () => {
  await Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => null)));
}"""
# Each names the time she saved it (the phone's clock), and the time the server recorded it as done.
SENT = re.compile(
    "^Sent from this phone: Unsafe transport stop — "
    + re.escape(STREET)
    + r", recorded as done at \d\d:\d\d\.$"
)
WAITING = re.compile(
    "^1 concern waiting to send: Unsafe transport stop — " + re.escape(STREET) + r", done at \d\d:\d\d$"
)


def walk_under_way() -> Walk:
    officer = OfficerFactory(display_name="PC Sarah Okafor", collar_number="4821AS")
    resident = ResidentFactory(preferred_name="Grace")
    PairingFactory(resident=resident, officer=officer)
    now = timezone.now()
    return WalkFactory(
        resident=resident,
        officer=officer,
        starts_at=now - timedelta(minutes=5),
        status=Walk.Status.IN_PROGRESS,
        started_at=now - timedelta(minutes=5),
    )


def open_concern_form(page: Page, walk: Walk) -> None:
    page.route(TILES, lambda route: route.abort())  # no network here: fail the map tiles at once
    sign_in(page, walk.officer.user.email, PASSWORD)
    page.goto(f"/app/walks/{walk.pk}/concerns/new/")
    expect(page.get_by_role("heading", level=1, name="Log a concern")).to_be_visible()
    expect(page.locator("#concern-map.leaflet-container")).to_be_visible()  # the scripts have run


def assert_accessible_at_rest(page: Page) -> None:
    """axe on the page once its transitions have ended: a severity button restored from a draft fades to
    its checked colours over 0.15 s, and axe reading it halfway would report a contrast it never rests at."""
    # (page.wait_for_function evaluates a string, which the site's CSP forbids; evaluate() does not.)
    page.evaluate(SETTLE)
    assert_accessible(page)


# The phone's queue as the app keeps it (static/js/outbox-queue.js): IndexedDB "walkandtalk", store
# "outbox", the list under "items". Read without creating the database if the app has not yet.
READ_OUTBOX = """(record) => new Promise((resolve, reject) => {
  const open = indexedDB.open("walkandtalk");
  open.onupgradeneeded = () => open.transaction.abort();
  open.onerror = () => resolve(null);
  open.onsuccess = () => {
    const db = open.result;
    const get = db.transaction("outbox").objectStore("outbox").get(record);
    get.onsuccess = () => { db.close(); resolve(get.result === undefined ? null : get.result); };
    get.onerror = () => reject(get.error);
  };
})"""


def outbox(page: Page, record: str = "items") -> list[dict]:
    return page.evaluate(READ_OUTBOX, record) or []


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll until the condition holds (the live server writes in its own thread; the page sends in its own
    time)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the condition")
        time.sleep(0.1)


@pytest.mark.viewports("phone")
def test_concern_saved_offline_is_sent_once_when_back_online(page: Page, viewport):
    walk = walk_under_way()
    open_concern_form(page, walk)
    assert_accessible_at_rest(page)

    page.get_by_label("Street or landmark").fill(STREET)
    page.locator("#concern-map").click()  # and a pin where the stop is (the tiles are missing; the map works)
    expect(page.locator("#pin-status")).to_have_text("Pin placed.")
    page.get_by_label("What is it about?").select_option(label="Unsafe transport stop")
    page.get_by_label("When does it matter?").select_option(label="Late at night")
    page.get_by_label("What she said").fill("Nobody else waits here after ten.")
    draft_key = page.locator("#id_draft_key").input_value()
    assert re.fullmatch(r"[0-9a-f-]{36}", draft_key)

    # The signal drops as she saves: the concern waits on the phone, and the form is ready for the next.
    page.context.set_offline(True)
    page.get_by_role("button", name="Save concern").click()
    status = page.locator("#draft-status")
    expect(status).to_contain_text(QUEUED)
    expect(page.get_by_label("Street or landmark")).to_have_value("")
    expect(page.locator("#id_draft_key")).not_to_have_value(draft_key)  # a fresh key for the next one
    # The next concern starts without the last one's pin.
    expect(page.locator("#id_latitude")).to_have_value("")
    expect(page.locator("#id_longitude")).to_have_value("")
    expect(page.locator("#concern-map .leaflet-marker-icon")).to_have_count(0)
    expect(page.locator("#pin-status")).to_have_text(re.compile(r"^No pin"))
    # The banner at the top of the page says what waits on the phone.
    expect(page.locator("#outbox-summary")).to_have_text(WAITING)
    expect(page.get_by_role("button", name="Send now")).to_be_visible()
    assert_accessible_at_rest(page)
    queued = outbox(page)
    assert [item["key"] for item in queued] == [draft_key]
    assert ["location_text", STREET] in queued[0]["pairs"]
    assert not Concern.objects.exists()

    # The signal returns: the phone sends it by itself.
    page.context.set_offline(False)
    expect(page.locator("#outbox-news")).to_have_text(SENT)
    expect(page.locator("#outbox-banner")).to_be_hidden()
    wait_for(lambda: Concern.objects.count() == 1)
    concern = Concern.objects.get()
    assert str(concern.draft_key) == draft_key
    assert (concern.walk, concern.location_text) == (walk, STREET)
    assert concern.latitude is not None and concern.longitude is not None
    assert concern.category.name == "Unsafe transport stop"
    assert concern.when_it_matters == Concern.When.LATE_NIGHT
    assert concern.resident_said == "Nobody else waits here after ten."
    assert outbox(page) == []

    # The same draft sent again, twice at once (a retry after a flaky connection): still one concern.
    page.evaluate(
        """async (items) => {
             await window.WalkAndTalkQueue.change((state) => { state.items = items; });
             window.dispatchEvent(new Event("online"));
             window.dispatchEvent(new Event("online"));
           }""",
        queued,
    )
    wait_for(lambda: outbox(page) == [])
    expect(page.locator("#outbox-banner")).to_be_hidden()
    assert Concern.objects.count() == 1
    # And the server says so when asked directly with the draft's own form data.
    answer = page.evaluate(
        """async (pairs) => {
             const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
             const response = await fetch(location.pathname, {
               method: "POST", body: new URLSearchParams(pairs),
               headers: {"Accept": "application/json", "X-CSRFToken": token},
             });
             return await response.json();
           }""",
        queued[0]["pairs"],
    )
    assert answer == {
        "ok": True,
        "concern": concern.pk,
        "created": False,
        "next": f"/app/walks/{walk.pk}/",
        "done_at": concern.created_at.isoformat(),  # the first send's, not this one's
    }
    assert Concern.objects.count() == 1


@pytest.mark.viewports("phone")
def test_unsent_draft_survives_a_reload(page: Page, viewport):
    walk = walk_under_way()
    open_concern_form(page, walk)
    expect(page.locator("#draft-status")).to_be_hidden()

    page.get_by_label("Street or landmark").fill(STREET)
    page.get_by_label("What is it about?").select_option(label="Badly lit")
    page.locator("label[for='id_severity_2']").click()  # the radios are buttons: she taps the label
    page.get_by_label("What she said").fill("The shelter light is broken.")
    page.get_by_label("Partners may read her words").check()
    draft_key = page.locator("#id_draft_key").input_value()

    # The phone reloads the page (she switched apps, the browser dropped it): her draft is back.
    page.reload()
    status = page.locator("#draft-status")
    expect(status).to_have_text("Your unsent draft is back.")
    expect(page.get_by_label("Street or landmark")).to_have_value(STREET)
    expect(page.get_by_label("What is it about?").locator("option:checked")).to_have_text("Badly lit")
    expect(page.get_by_role("radio", name="High")).to_be_checked()
    expect(page.get_by_label("What she said")).to_have_value("The shelter light is broken.")
    expect(page.get_by_label("Partners may read her words")).to_be_checked()
    expect(page.locator("#id_draft_key")).to_have_value(draft_key)  # still the same draft
    assert_accessible_at_rest(page)
    assert not Concern.objects.exists()

    # She saves it: one concern, made from that draft, and the draft is gone from the phone.
    page.get_by_role("button", name="Save concern").click()
    expect(page).to_have_url(re.compile(rf"/app/walks/{walk.pk}/$"))
    concern = Concern.objects.get()
    assert str(concern.draft_key) == draft_key
    assert (concern.location_text, concern.severity, concern.resident_said_shared) == (STREET, "high", True)
    page.goto(f"/app/walks/{walk.pk}/concerns/new/")
    expect(page.get_by_label("Street or landmark")).to_have_value("")
    expect(page.locator("#draft-status")).to_be_hidden()
