"""Issue 17: the officer's phone app — installable, opens and acts with no signal, and leaves nothing
behind when she signs out.

The signal is cut for real: the browser reaches the live server only through a local relay
(tests/browser/relay.py) that the test stops, so every request fails as with no signal at all (the page
is never told it is offline). The service worker serves what it kept; the outbox sends in order once
the relay is back.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db.models.signals import post_save
from django.utils import timezone
from playwright.sync_api import Page, expect

from patrols import booking, concerns
from patrols.models import LONDON, Concern, ConcernCategory, ConcernUpdate, Walk, WalkEvent
from tests.browser.axe import assert_accessible
from tests.browser.relay import Relay
from tests.browser.steps import sign_in
from tests.browser.test_offline_concern import TILES, outbox, wait_for
from tests.factories import PASSWORD, OfficerFactory, PairingFactory, ResidentFactory, WalkFactory

SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
NO_SIGNAL = re.compile(r"^No signal — as of \d\d:\d\d\.")
READY = "() => document.documentElement.dataset.offlineReady === 'true'"


@pytest.fixture
def relay(live_server):
    relay = Relay(live_server.url)
    relay.start()
    yield relay
    relay.stop()


def walk_about_to_start() -> Walk:
    officer = OfficerFactory(display_name="PC Sarah Okafor", collar_number="4821AS")
    resident = ResidentFactory(preferred_name="Grace")
    PairingFactory(resident=resident, officer=officer)
    return WalkFactory(resident=resident, officer=officer, starts_at=timezone.now() + timedelta(minutes=20))


def local_time(moment: datetime) -> str:
    """As the pages write a time: London's, HH:MM."""
    return timezone.localtime(moment, LONDON).strftime("%H:%M")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def open_today_with_signal(new_page, relay: Relay, walk: Walk) -> Page:
    page = new_page(base_url=relay.url)
    page.route(TILES, lambda route: route.abort())
    sign_in(page, walk.officer.user.email, PASSWORD)
    page.goto("/app/today/")
    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()
    # The worker has fetched and kept the pages Today lists (static/js/app.js sets this when it has).
    page.wait_for_function(READY)
    return page


def log_concern_offline(page: Page, place: str, category: str) -> None:
    expect(page.get_by_role("heading", level=1, name="Log a concern")).to_be_visible()
    expect(page.locator("#concern-map.leaflet-container")).to_be_visible()  # its scripts came from the cache
    page.get_by_label("Street or landmark").fill(place)
    page.get_by_label("What is it about?").select_option(label=category)
    page.get_by_label("What she said").fill("She avoids it after dark.")
    page.get_by_role("button", name="Save concern").click()
    expect(page.locator("#draft-status")).to_contain_text("No signal: this concern is saved on your phone")


@pytest.mark.viewports("phone")
def test_the_app_is_installable(new_page, live_server, viewport):
    """Chromium's own installability check (DevTools' Page.getInstallabilityErrors) finds nothing
    missing, the manifest says what the issue asks, and the worker controls the officer's pages."""
    walk = walk_about_to_start()
    page = new_page()
    sign_in(page, walk.officer.user.email, PASSWORD)
    page.goto("/app/today/")
    page.wait_for_function(READY)
    manifest = page.evaluate(
        "() => fetch(document.querySelector('link[rel=manifest]').href).then((r) => r.json())"
    )
    assert manifest["start_url"] == manifest["id"] == "/app/today/" and manifest["display"] == "standalone"
    assert manifest["scope"] == "/app/" and manifest["theme_color"] == "#3a2a6b"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    registration = page.evaluate(
        "() => navigator.serviceWorker.ready.then((r) => ({scope: r.scope, script: r.active.scriptURL}))"
    )
    assert registration == {
        "scope": f"{live_server.url}/app/",
        "script": f"{live_server.url}/app/service-worker.js",
    }
    page.reload()
    assert page.evaluate("() => Boolean(navigator.serviceWorker.controller)")

    # What the phone keeps is exactly what the server listed; a page she browses is never kept.
    later = WalkFactory(
        resident=walk.resident, officer=walk.officer, starts_at=timezone.now() + timedelta(days=3)
    )
    page.goto(f"/app/walks/{later.pk}/")
    page.goto("/app/availability/")
    kept = page.evaluate(
        """() => caches.open("walkandtalk-officer-pages").then((cache) => cache.keys())
              .then((requests) => requests.map((r) => new URL(r.url).pathname + new URL(r.url).search))"""
    )
    assert sorted(kept) == sorted([
        "/app/today/", "/app/concerns/", "/app/schedule/", f"/app/walks/{walk.pk}/",
        f"/app/walks/{walk.pk}/concerns/new/", f"/app/walks/{walk.pk}/finish/?next=/app/today/",
        f"/app/walks/{walk.pk}/finish/",
    ])  # fmt: skip
    cdp = page.context.new_cdp_session(page)
    app = cdp.send("Page.getAppManifest")
    assert not app["errors"], app["errors"]
    errors = [e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    # A Playwright context is an incognito-like profile, in which Chromium never offers to install.
    assert set(errors) <= {"in-incognito"}, errors


@pytest.mark.viewports("phone")
def test_no_signal_journey_is_sent_in_order_once_and_sign_out_leaves_nothing(new_page, relay, viewport):
    walk = walk_about_to_start()
    # An open concern from an earlier walk, to follow up with no signal.
    earlier = WalkFactory(
        resident=walk.resident,
        officer=walk.officer,
        starts_at=timezone.now() - timedelta(days=9),
        status=Walk.Status.COMPLETED,
    )
    old_concern, _ = concerns.log_concern(
        walk=earlier,
        by=walk.officer.user,
        category=ConcernCategory.objects.get(name="Badly lit"),
        severity="medium",
        when_it_matters="after_dark",
        location_text="Bellenden Road underpass",
    )
    page = open_today_with_signal(new_page, relay, walk)
    assert not page.locator("#offline-banner").is_visible()

    # No signal: Today comes from the phone, plainly marked.
    relay.stop()
    page.reload()
    expect(page.locator("#offline-banner")).to_be_visible()
    expect(page.locator("#offline-banner")).to_have_text(NO_SIGNAL)
    expect(page.get_by_role("heading", level=3, name=re.compile("Grace"))).to_be_visible()
    expect(page.get_by_role("link", name="Log a concern")).to_be_hidden()
    expect(page.get_by_role("link", name="Finish walk")).to_be_hidden()
    assert_accessible(page)
    no_sideways_scroll(page)
    shot(page, "officer-app-today-offline.png")

    # She starts the walk: saved on the phone, with when she tapped, and the page shows it under way.
    # (The phone's clock is this machine's, as the server's is: the times are comparable.)
    tapped_start = timezone.now()
    page.get_by_role("button", name="Start walk").click()
    expect(page.locator("#outbox-summary")).to_have_text(
        re.compile(r"^1 action waiting to send: Start walk — \d\d:\d\d, done at \d\d:\d\d$")
    )
    expect(page.locator(".walk-card [data-status-label]")).to_have_text(
        re.compile(r"^In progress at \d\d:\d\d \(on this phone\)$")
    )
    acted = {item["kind"]: item["actedAt"] for item in outbox(page)}
    # ISO 8601 with the phone's offset, taken when she tapped.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", acted["start"]), acted
    expect(page.get_by_role("button", name="Start walk")).to_be_hidden()
    expect(page.get_by_role("link", name="Finish walk")).to_be_visible()
    shot(page, "officer-app-queue-banner.png")
    no_sideways_scroll(page)

    # Two concerns, on the form the phone kept.
    page.get_by_role("link", name="Log a concern").click()
    expect(page.locator("#offline-banner")).to_be_visible()
    assert_accessible(page)
    log_concern_offline(page, "Rye Lane alley", "Badly lit")
    # The second from the kept form opened again: it is a concern of its own (its own draft key).
    page.goto("/app/today/")
    page.get_by_role("link", name="Log a concern").click()
    log_concern_offline(page, "Bus stop on Peckham High Street", "Unsafe transport stop")
    expect(page.locator("#outbox-summary")).to_have_text("3 actions waiting to send")

    # Finish, from Today, through the "finish?" question the phone kept.
    page.goto("/app/today/")
    page.get_by_role("link", name="Finish walk").click()
    expect(page.get_by_role("heading", level=1, name="Finish the walk?")).to_be_visible()
    assert_accessible(page)
    tapped_finish = timezone.now()
    page.get_by_role("button", name="Yes, finish the walk").click()
    expect(page).to_have_url(re.compile(r"/app/today/$"))
    expect(page.locator("#outbox-summary")).to_have_text("4 actions waiting to send")
    expect(page.locator(".walk-card [data-status-label]")).to_have_text(
        re.compile(r"^Completed at \d\d:\d\d \(on this phone\)$")
    )
    # Each waiting action is listed with the time she did it.
    expect(page.locator("#outbox-items li").first).to_have_text(
        re.compile(r"^Start walk — .*, done at \d\d:\d\d$")
    )

    # A follow-up on an open concern, from its kept page.
    page.goto(f"/app/concerns/{old_concern.pk}/")
    expect(page.locator("#offline-banner")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("What happened").fill("Reported to Southwark highways, ref 4471")
    page.get_by_role("button", name="Add update").click()
    expect(page.locator("#outbox-summary")).to_have_text("5 actions waiting to send")

    # Her other kept pages open too, marked; a page never kept gets the app's own offline page.
    for path, heading in (
        ("/app/concerns/", None),
        ("/app/schedule/", "My schedule"),
        (f"/app/walks/{walk.pk}/", None),
    ):
        page.goto(path)
        expect(page.locator("#offline-banner")).to_be_visible()
        if heading:
            expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        assert_accessible(page)
        no_sideways_scroll(page)
    page.goto("/app/availability/")
    expect(page.get_by_role("heading", level=1, name="No signal")).to_be_visible()
    assert_accessible(page)
    no_sideways_scroll(page)

    # Nothing reached the server while the signal was gone.
    assert not WalkEvent.objects.filter(walk=walk, kind__in=["started", "completed"]).exists()
    assert not Concern.objects.filter(walk=walk).exists() and not ConcernUpdate.objects.exists()

    # The signal returns on Today, a little later: sent in order, each once, at the times she acted.
    time.sleep(2)
    restored = timezone.now()
    relay.start()
    page.goto("/app/today/")
    wait_for(lambda: WalkEvent.objects.filter(walk=walk, kind="completed").exists(), seconds=15)
    expect(page.locator("#outbox-banner")).to_be_hidden()
    walk.refresh_from_db()
    assert walk.status == Walk.Status.COMPLETED
    started = WalkEvent.objects.get(walk=walk, kind="started")
    finished = WalkEvent.objects.get(walk=walk, kind="completed")
    logged = list(Concern.objects.filter(walk=walk).order_by("created_at"))
    assert [c.location_text for c in logged] == ["Rye Lane alley", "Bus stop on Peckham High Street"]
    assert started.at < logged[0].created_at < logged[1].created_at < finished.at
    assert started.action_key and finished.action_key
    # Recorded when she tapped, by the phone's clock, not when the signal returned.
    assert tapped_start <= started.at < tapped_start + timedelta(seconds=5)
    assert tapped_finish <= finished.at < tapped_finish + timedelta(seconds=5) and finished.at < restored
    assert walk.started_at == started.at and walk.finished_at == finished.at
    assert started.at == datetime.fromisoformat(acted["start"])
    expect(page.locator("#outbox-news")).to_contain_text("Sent from this phone: Start walk")
    expect(page.locator("#outbox-news")).to_contain_text(f"recorded as done at {local_time(started.at)}")
    wait_for(lambda: ConcernUpdate.objects.filter(concern=old_concern).exists())
    [follow_up] = ConcernUpdate.objects.filter(concern=old_concern)
    assert follow_up.note == "Reported to Southwark highways, ref 4471" and follow_up.at > finished.at
    assert follow_up.at < restored

    # Signing out: every cache on the phone is emptied, and the sent entries go (the start and the
    # finish were kept, marked sent, for pages kept from before they went).
    assert page.evaluate("() => caches.keys()") != []
    assert sorted((item["kind"], bool(item.get("sentAt"))) for item in outbox(page)) == [
        ("finish", True),
        ("start", True),
    ]
    # Her walk's page, fresh from the server, says when she started and finished it. (Fetched without
    # opening it: a page fresh from the server would let the phone forget the sent entries now, and
    # signing out must be what removes them here.)
    html = page.request.get(f"{relay.url}/app/walks/{walk.pk}/").text()
    times = f"Started at {local_time(started.at)}, finished at {local_time(finished.at)}."
    assert f'<p class="mb-2" id="walk-times">{times}</p>' in html
    page.get_by_role("button", name="Show or hide the menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).not_to_have_url(re.compile(r"/app/today/"), timeout=10_000)
    assert page.evaluate("() => caches.keys()") == []
    assert outbox(page) == []


@pytest.mark.viewports("phone")
def test_a_phone_in_another_zone_with_a_slow_clock_is_taken_at_its_word_within_bounds(
    new_page, relay, viewport
):
    """The phone's clock is 30 minutes slow and set to India's zone (+05:30): the start she queued is
    recorded at the instant its clock said, whatever its offset; a finish its clock puts before that
    start is recorded at the start, never before it (patrols/acted_at.py)."""
    walk = walk_about_to_start()
    Walk.objects.filter(pk=walk.pk).update(created_at=timezone.now() - timedelta(days=1))  # booked yesterday
    page = new_page(base_url=relay.url, timezone_id="Asia/Kolkata")
    page.clock.install(time=timezone.now() - timedelta(minutes=30))
    page.route(TILES, lambda route: route.abort())
    sign_in(page, walk.officer.user.email, PASSWORD)
    page.goto("/app/today/")
    page.wait_for_function(READY)

    relay.stop()
    page.reload()
    expect(page.locator("#offline-banner")).to_be_visible()
    page.get_by_role("button", name="Start walk").click()
    expect(page.locator("#outbox-summary")).to_have_text(re.compile(r"^1 action waiting to send: Start walk"))
    [start] = outbox(page)
    assert start["actedAt"].endswith("+05:30"), start["actedAt"]
    # Its banner names the time as the phone reads it (in India: London's time plus five and a half hours).
    phone_time = datetime.fromisoformat(start["actedAt"]).strftime("%H:%M")
    expect(page.locator("#outbox-summary")).to_have_text(re.compile(rf", done at {phone_time}$"))
    # The phone's clock goes back another hour before she finishes: before the start, by its own count.
    page.clock.set_system_time(timezone.now() - timedelta(minutes=90))
    page.get_by_role("link", name="Finish walk").click()
    page.get_by_role("button", name="Yes, finish the walk").click()
    expect(page.locator("#outbox-summary")).to_have_text("2 actions waiting to send")

    relay.start()
    page.goto("/app/today/")
    wait_for(lambda: WalkEvent.objects.filter(walk=walk, kind="completed").exists(), seconds=15)
    walk.refresh_from_db()
    assert walk.started_at == datetime.fromisoformat(start["actedAt"])
    assert timezone.now() - timedelta(minutes=31) < walk.started_at < timezone.now() - timedelta(minutes=29)
    assert walk.finished_at == walk.started_at


@pytest.mark.viewports("phone")
def test_the_sign_in_page_drops_the_kept_pages_of_a_session_that_ended_elsewhere(
    new_page, live_server, viewport
):
    """Signed out without this phone's sign-out button (the session ran out, or she signed out on another
    device): the pages go as soon as the phone meets the sign-in page (static/js/sign-in.js: the app's
    worker, scoped to /app/, never sees that page). The server's Clear-Site-Data "cache" alone would
    not do it: Chromium leaves Cache Storage alone for "cache" (checked, 156)."""
    walk = walk_about_to_start()
    page = new_page()
    sign_in(page, walk.officer.user.email, PASSWORD)
    page.goto("/app/today/")
    page.wait_for_function(READY)
    assert "walkandtalk-officer-pages" in page.evaluate("() => caches.keys()")
    page.context.clear_cookies()  # the session is gone
    page.goto("/app/today/")  # to the sign-in page
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert "walkandtalk-officer-pages" not in page.evaluate("() => caches.keys()")


@pytest.mark.viewports("phone")
def test_a_refused_action_is_shown_with_why_and_a_damaged_entry_is_reported_without_blocking(
    new_page, live_server, viewport, sergeant
):
    """Bad input (issue 17): the walk was cancelled while her start waited on the phone; one entry in the
    phone's storage is damaged. The start is refused with the reason and kept until she dismisses it, the
    damaged entry is listed with what is left of it, and the finish queued after both still goes."""
    cancelled = walk_about_to_start()
    running = WalkFactory(
        resident=cancelled.resident,
        officer=cancelled.officer,
        starts_at=timezone.now() - timedelta(hours=3),
        status=Walk.Status.IN_PROGRESS,
        started_at=timezone.now() - timedelta(hours=3),
    )
    page = new_page()
    sign_in(page, cancelled.officer.user.email, PASSWORD)
    page.goto("/app/today/")
    user = cancelled.officer.user.pk
    # Queued before the app moved to /app/: the entries name the old URLs, which still work (308).
    items = [
        {"oops": "half an entry"},
        {"key": "3f1c1d8e-4b7a-4c55-9a39-0c4f5a7e1a01", "kind": "start", "walk": str(cancelled.pk),
         "url": f"/walks/{cancelled.pk}/start/", "user": str(user), "label": {"text": "04:00"},
         "pairs": [["next", "/today/"], ["action_key", "3f1c1d8e-4b7a-4c55-9a39-0c4f5a7e1a01"]]},
        {"key": "3f1c1d8e-4b7a-4c55-9a39-0c4f5a7e1a02", "kind": "finish", "walk": str(running.pk),
         "url": f"/walks/{running.pk}/finish/", "user": str(user), "label": {"text": "01:00"},
         "pairs": [["next", "/today/"], ["action_key", "3f1c1d8e-4b7a-4c55-9a39-0c4f5a7e1a02"]]},
    ]  # fmt: skip
    booking.cancel_walk(walk=cancelled, by=sergeant, reason="Officer on another duty", check_rules=False)
    page.evaluate("items => localStorage.setItem('walkandtalk:concern-outbox', JSON.stringify(items))", items)
    page.reload()  # a phone that kept its queue in localStorage (before IndexedDB): moved over once

    wait_for(lambda: Walk.objects.get(pk=running.pk).status == Walk.Status.COMPLETED)
    assert page.evaluate("localStorage.getItem('walkandtalk:concern-outbox')") is None
    assert [item.get("key") for item in outbox(page)] == [None, *(item["key"] for item in items[1:])]
    summary = page.locator("#outbox-summary")
    expect(summary).to_have_text("1 action could not be sent. 1 damaged entry")
    expect(page.locator("#outbox-items")).to_contain_text(
        "Not sent: This walk is cancelled, so it can’t be in progress now."
    )
    expect(page.locator("#outbox-items")).to_contain_text("A saved entry on this phone is damaged")
    assert_accessible(page)
    no_sideways_scroll(page)
    shot(page, "officer-app-refused.png")
    assert not WalkEvent.objects.filter(walk=cancelled, kind="started").exists()

    # Kept across pages until she dismisses each.
    page.reload()
    expect(summary).to_have_text("1 action could not be sent. 1 damaged entry")
    page.locator("#outbox-items li", has_text="damaged").get_by_role("button", name="Dismiss").click()
    expect(summary).to_have_text("1 action could not be sent")
    page.get_by_role("button", name="Dismiss").click()
    expect(page.locator("#outbox-banner")).to_be_hidden()
    # The sent finish went too: the page fresh from the server after it was sent shows the walk finished.
    assert outbox(page) == []


# -- the app's scope: /app/ (issue 17, point 1) ----------------------------------------------------------

REGISTRATIONS = "() => navigator.serviceWorker.getRegistrations().then((all) => all.map((r) => r.scope))"
KEPT_URLS = """() => caches.open("walkandtalk-officer-pages").then((cache) => cache.keys())
    .then((requests) => requests.map((r) => new URL(r.url).pathname))"""


@pytest.mark.viewports("phone")
def test_a_residents_page_is_never_in_the_officers_app(new_page, live_server, viewport):
    """After an officer used the app on this browser, a resident's page is not controlled by its worker
    (the worker's scope is /app/): nothing of hers passes through it or is kept."""
    walk = walk_about_to_start()
    page = new_page()
    sign_in(page, walk.officer.user.email, PASSWORD)
    page.goto("/app/today/")
    page.wait_for_function(READY)
    page.reload()
    assert page.evaluate("() => Boolean(navigator.serviceWorker.controller)")
    assert page.evaluate(REGISTRATIONS) == [f"{live_server.url}/app/"]
    # her old links: /today/ and her walk at /walks/<pk>/ go to the app's pages
    page.goto("/today/")
    expect(page).to_have_url(f"{live_server.url}/app/today/")
    page.goto(f"/walks/{walk.pk}/")
    expect(page).to_have_url(f"{live_server.url}/app/walks/{walk.pk}/")
    assert page.evaluate("() => Boolean(navigator.serviceWorker.controller)")
    page.get_by_role("button", name="Show or hide the menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).not_to_have_url(re.compile(r"/app/"), timeout=10_000)
    assert page.evaluate("() => caches.keys()") == []

    sign_in(page, walk.resident.user.email, PASSWORD)
    for path in ("/walks/", f"/walks/{walk.pk}/"):
        page.goto(path)
        expect(page).to_have_url(f"{live_server.url}{path}")
        assert page.evaluate("() => navigator.serviceWorker.controller") is None, path
    assert page.evaluate("() => caches.keys()") == []  # nothing kept of her pages


def register_old_worker(page: Page, live_server) -> None:
    """As a phone had it before the app moved: the app's worker at /service-worker.js, scope "/", with
    what it kept (its precache, and a page kept with an old URL). The old worker is the app's, served
    at the old URL for this (the site now serves the retired one there)."""
    worker = page.request.get(f"{live_server.url}/app/service-worker.js").text()

    def old_worker(route):
        route.fulfill(
            body=worker,
            headers={
                "Content-Type": "text/javascript",
                "Service-Worker-Allowed": "/",
                "Cache-Control": "no-cache",
            },
        )

    page.context.route(f"{live_server.url}/service-worker.js", old_worker)
    page.goto("/privacy/")
    page.evaluate(
        """() => navigator.serviceWorker.register("/service-worker.js", {scope: "/"})
            .then(() => navigator.serviceWorker.ready)
            .then(() => caches.open("walkandtalk-officer-pages"))
            .then((cache) => cache.put("/today/", new Response("kept before the move")))"""
    )
    assert page.evaluate(REGISTRATIONS) == [f"{live_server.url}/"]
    assert f"workbox-precache-v2-{live_server.url}/" in page.evaluate("() => caches.keys()")
    page.context.unroute(f"{live_server.url}/service-worker.js")


@pytest.mark.viewports("phone")
def test_the_old_worker_at_the_sites_root_removes_itself_and_what_it_kept(new_page, live_server, viewport):
    page = new_page()
    register_old_worker(page, live_server)
    # The browser checks the worker's URL for a new version (on a visit; here at once): the retired one.
    page.evaluate("() => navigator.serviceWorker.getRegistration('/').then((r) => r.update())")
    wait_for(lambda: page.evaluate(REGISTRATIONS) == [], seconds=10)
    assert page.evaluate("() => caches.keys()") == ["walkandtalk-officer-pages"]  # its precache went
    assert page.evaluate(KEPT_URLS) == []  # and the page kept with its old URL


@pytest.mark.viewports("phone")
def test_the_app_removes_an_old_worker_it_finds_at_the_sites_root(new_page, live_server, viewport):
    walk = walk_about_to_start()
    page = new_page()
    register_old_worker(page, live_server)
    sign_in(page, walk.officer.user.email, PASSWORD)
    page.goto("/app/today/")
    page.wait_for_function(READY)
    wait_for(lambda: page.evaluate(REGISTRATIONS) == [f"{live_server.url}/app/"], seconds=10)
    # and what the app keeps now is under /app/ only
    assert page.evaluate(KEPT_URLS) and all(path.startswith("/app/") for path in page.evaluate(KEPT_URLS))


def queue_a_walk_offline(page: Page, relay: Relay) -> None:
    """With no signal, on the pages the phone kept: start, two concerns, finish (four waiting)."""
    relay.stop()
    page.reload()
    expect(page.locator("#offline-banner")).to_be_visible()
    page.get_by_role("button", name="Start walk").click()
    expect(page.locator("#outbox-summary")).to_have_text(re.compile(r"^1 action waiting to send"))
    for place, category in (
        ("Rye Lane alley", "Badly lit"),
        ("Bus stop on Peckham High Street", "Unsafe transport stop"),
    ):
        page.goto("/app/today/")
        page.get_by_role("link", name="Log a concern").click()
        log_concern_offline(page, place, category)
    page.goto("/app/today/")
    page.get_by_role("link", name="Finish walk").click()
    page.get_by_role("button", name="Yes, finish the walk").click()
    expect(page).to_have_url(re.compile(r"/app/today/$"))  # queued, the finish page sends her back to Today
    page.wait_for_load_state()
    expect(page.locator("#outbox-summary")).to_have_text("4 actions waiting to send")


def fire_sync(cdp, origin: str, registration: str) -> None:
    """What the browser does when the signal returns: the "sync" event of the outbox's tag."""
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {"origin": origin, "registrationId": registration, "tag": "walkandtalk-outbox", "lastChance": False},
    )


def worker_registration(context) -> tuple[object, str, str]:
    """A DevTools session on a blank page (none of the app's) and the app's worker registration there."""
    blank = context.new_page()
    cdp = context.new_cdp_session(blank)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"])
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(50):  # events arrive while Playwright is called (it is not during time.sleep)
        if any(not r.get("isDeleted") for r in registrations):
            break
        blank.wait_for_timeout(100)
    # The events may name a registration more than once (each update): the app's, by its scope.
    latest = {r["registrationId"]: r for r in registrations}
    [registration] = [
        r for r in latest.values() if not r.get("isDeleted") and urlsplit(r["scopeURL"]).path == "/app/"
    ]
    scope = urlsplit(registration["scopeURL"])  # the app's: <origin>/app/
    return cdp, f"{scope.scheme}://{scope.netloc}", registration["registrationId"]


def in_order_of_arrival():
    """What the server stored, in the order it stored it (post_save, in the live server's thread)."""
    arrived: list[tuple[str, str]] = []

    def walk_event(sender, instance, created, **kwargs):
        if created and instance.kind in ("started", "completed"):
            arrived.append(("walk", instance.kind))

    def concern(sender, instance, created, **kwargs):
        if created:
            arrived.append(("concern", instance.location_text))

    post_save.connect(walk_event, sender=WalkEvent, weak=False)
    post_save.connect(concern, sender=Concern, weak=False)
    return arrived, lambda: (
        post_save.disconnect(walk_event, sender=WalkEvent),
        post_save.disconnect(concern, sender=Concern),
    )


QUEUED_WALK = [
    ("walk", "started"),
    ("concern", "Rye Lane alley"),
    ("concern", "Bus stop on Peckham High Street"),
    ("walk", "completed"),
]


@pytest.mark.viewports("phone")
def test_the_worker_sends_the_queue_with_no_page_of_the_app_open(new_page, relay, viewport):
    """Issue 17 point 3: Background Sync sends what waits even when she has closed the app. The pages are
    closed (the browser and its worker stay), the signal returns, the browser fires "sync": the worker
    sends the queue from IndexedDB itself, in order, each once, passing Django's CSRF check."""
    walk = walk_about_to_start()
    page = open_today_with_signal(new_page, relay, walk)
    queue_a_walk_offline(page, relay)
    context = page.context
    cdp, origin, registration = worker_registration(context)
    page.close()  # no page of the app is open now
    assert [p.url for p in context.pages] == ["about:blank"]

    arrived, disconnect = in_order_of_arrival()
    try:
        relay.start()
        fire_sync(cdp, origin, registration)
        wait_for(lambda: len(arrived) == 4, seconds=15)
        # post_save runs before the server's transaction commits: wait for the last one to be there.
        wait_for(lambda: WalkEvent.objects.filter(kind="completed").exists())
    finally:
        disconnect()
    assert arrived == QUEUED_WALK
    assert WalkEvent.objects.filter(walk=walk, kind="started").count() == 1
    assert WalkEvent.objects.filter(walk=walk, kind="completed").count() == 1
    assert Concern.objects.filter(walk=walk).count() == 2
    walk.refresh_from_db()
    assert walk.status == Walk.Status.COMPLETED

    # Opened again, the app says nothing waits (the start and finish are kept, marked sent).
    page = context.new_page()
    page.goto(f"{relay.url}/app/today/")
    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()
    expect(page.locator("#outbox-banner")).to_be_hidden()
    assert all(item.get("sentAt") for item in outbox(page))


@pytest.mark.viewports("phone")
def test_page_and_worker_sending_at_once_send_each_once_past_a_damaged_entry(new_page, relay, viewport):
    """The page (its "online" event) and the worker (a sync event) start sending the same queue at the
    same moment: each entry reaches the server once, none shows as refused, and a damaged entry in
    IndexedDB is reported to her and stops nothing."""
    walk = walk_about_to_start()
    page = open_today_with_signal(new_page, relay, walk)
    queue_a_walk_offline(page, relay)
    page.evaluate(
        "() => window.WalkAndTalkQueue.change((state) => { state.items.unshift({ oops: 'half an entry' }); })"
    )
    cdp, origin, registration = worker_registration(page.context)

    arrived, disconnect = in_order_of_arrival()
    try:
        relay.start()
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
        fire_sync(cdp, origin, registration)
        wait_for(lambda: len(arrived) == 4, seconds=15)
        # post_save runs before the server's transaction commits: wait for the last one to be there.
        wait_for(lambda: WalkEvent.objects.filter(kind="completed").exists())
        time.sleep(1)  # a second send of any of them would have arrived by now
    finally:
        disconnect()
    assert arrived == QUEUED_WALK
    summary = page.locator("#outbox-summary")
    expect(summary).to_have_text("1 damaged entry")  # the banner heard the worker: nothing else left
    expect(page.locator("#outbox-items")).to_contain_text("A saved entry on this phone is damaged")
    expect(page.locator("#outbox-items")).not_to_contain_text("Not sent")
    assert_accessible(page)
    no_sideways_scroll(page)
    shot(page, "officer-app-damaged-after-sync.png")


@pytest.mark.viewports("phone")
def test_an_open_page_shows_what_the_worker_sent(new_page, relay, viewport):
    """The worker sends (Background Sync) while a page of the app is open but cannot send itself: the
    page's banner follows, told by the worker (BroadcastChannel), not by sending anything."""
    walk = walk_about_to_start()
    page = open_today_with_signal(new_page, relay, walk)
    queue_a_walk_offline(page, relay)
    own_posts: list[str] = []
    # Only this page's own requests (the worker's go past page.route): each fails, as with no signal.
    page.route(
        re.compile(r"/(start|finish|concerns/new)/$"),
        lambda route: (own_posts.append(route.request.url), route.abort()),
    )
    cdp, origin, registration = worker_registration(page.context)

    relay.start()
    fire_sync(cdp, origin, registration)
    expect(page.locator("#outbox-banner")).to_be_hidden()
    wait_for(lambda: WalkEvent.objects.filter(walk=walk, kind="completed").exists())
    assert WalkEvent.objects.filter(walk=walk, kind="completed").count() == 1
    assert Concern.objects.filter(walk=walk).count() == 2
    expect(page.locator(".walk-card [data-status-label]")).to_have_text(
        re.compile(r"^Completed at \d\d:\d\d \(on this phone\)$")
    )
