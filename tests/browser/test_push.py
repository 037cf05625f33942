"""Notifications on this phone, in Chromium at 390 px (issue 17, points 4 and 5).

What headless Chromium can and cannot do here: it has the Push API, but `pushManager.subscribe()`
registers with Google's push service (FCM), which the test machines cannot reach, so a real
subscription fails. The first journey shows the page's answer to that (a clear message, nothing
stored). The second stands in for the browser's push service: `PushManager.prototype.subscribe` and
`getSubscription` return a subscription whose endpoint is the local push service
(tests/push_service.py) and whose keys the test made — everything else is real: the permission
prompt (granted), the service worker registration it goes through, the page's POST, the server's
row, beat's dispatcher signing and encrypting the message, the stand-in verifying and decrypting it,
the notification sw-push.js shows from that decrypted payload (its push event dispatched in the
worker), what tapping it opens (the click event dispatched; the window calls recorded, since only a
real tap may open a window), turning off, and signing out.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from patrols import notifications
from tests.browser.axe import assert_accessible
from tests.browser.steps import sign_in
from tests.factories import PASSWORD, OfficerFactory, PairingFactory, ResidentFactory, WalkFactory
from tests.outbox import send_due
from tests.push_service import PushService
from walkandtalk.outbox.models import PushSubscription

pytestmark = pytest.mark.viewports("phone")

TILES = re.compile(r"^https?://[^/]*tile\.openstreetmap\.org/")
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / ".data" / "screenshots"

# A stand-in for the browser's side of the push service: the subscription the local service knows.
FAKE_PUSH_MANAGER = """
(() => {
  const subscription = %s;
  const fake = {
    endpoint: subscription.endpoint,
    expirationTime: null,
    toJSON() { return subscription; },
    unsubscribe() {
      localStorage.removeItem("test:push-on");
      localStorage.setItem("test:push-unsubscribed", "1");
      return Promise.resolve(true);
    },
  };
  PushManager.prototype.subscribe = function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    const base64 = btoa(String.fromCharCode.apply(null, key));
    const base64url = base64.replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    localStorage.setItem("test:push-key", base64url);
    localStorage.setItem("test:push-user-visible", String(options.userVisibleOnly));
    localStorage.setItem("test:push-on", "1");
    return Promise.resolve(fake);
  };
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve(localStorage.getItem("test:push-on") ? fake : null);
  };
})();
"""


@pytest.fixture
def test_service_worker(settings, live_server):
    settings.ROOT_URLCONF = "tests.browser.push_sw_urls"
    settings.SITE_URL = live_server.url  # links in messages point at this server, as in production


@pytest.fixture
def officer():
    officer = OfficerFactory(display_name="PC Alice Adeyemi", collar_number="1111AS")
    return officer


def open_push_page(page: Page, officer) -> None:
    page.route(TILES, lambda route: route.abort())
    page.context.grant_permissions(["notifications"])
    sign_in(page, officer.user.email, PASSWORD)
    page.goto("/app/today/")
    # The app's own service worker where this branch has one (it imports sw-push.js); else the
    # test-only stand-in (tests/browser/push_sw_urls.py).
    page.evaluate(
        """async () => {
            const late = new Promise((resolve) => setTimeout(() => resolve(null), 2000));
            const found = await Promise.race([navigator.serviceWorker.ready, late]);
            if (!found) { await navigator.serviceWorker.register("/push-test-sw.js", {scope: "/"}); }
            await navigator.serviceWorker.ready;
        }"""
    )
    page.goto("/app/notifications/")
    expect(page.get_by_role("heading", level=1, name="Notifications on this phone")).to_be_visible()


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


def test_with_no_reachable_push_service_she_is_told_and_nothing_is_kept(
    page: Page, officer, test_service_worker
):
    open_push_page(page, officer)
    expect(page.locator("#push-state")).to_have_text("Notifications are off for this phone.")
    page.get_by_role("button", name="Turn on notifications").click()
    expect(page.locator("#push-state")).to_have_text(
        re.compile("could not reach its notification service|Notifications are on"), timeout=20_000
    )
    state = page.locator("#push-state").inner_text()
    if "Notifications are on" in state:  # the machine could reach FCM after all: a real subscription
        assert PushSubscription.objects.filter(user=officer.user, endpoint__startswith="https://").exists()
    else:
        assert not PushSubscription.objects.exists()
        expect(page.get_by_role("button", name="Turn on notifications")).to_be_visible()
    assert_accessible(page)


def test_she_turns_push_on_gets_a_discreet_notification_turns_it_off_and_sign_out_ends_it(
    page: Page, officer, test_service_worker
):
    resident = ResidentFactory(preferred_name="Amira")
    PairingFactory(resident=resident, officer=officer)
    with PushService() as service:
        device = service.device("phone")
        page.context.add_init_script(FAKE_PUSH_MANAGER % json.dumps(service.subscription(device)))
        open_push_page(page, officer)
        expect(page.locator("#push-state")).to_have_text("Notifications are off for this phone.")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "push-off-390.png"), full_page=True)
        assert_accessible(page)
        no_sideways_scroll(page)

        page.get_by_role("button", name="Turn on notifications").click()
        expect(page.locator("#push-state")).to_have_text("Notifications are on for this phone.")
        expect(page.get_by_text(re.compile(r"Chrome on Linux · this phone"))).to_be_visible()
        [subscription] = PushSubscription.objects.all()
        assert subscription.user == officer.user
        assert subscription.endpoint == service.subscription(device)["endpoint"]
        from django.conf import settings

        assert page.evaluate("localStorage.getItem('test:push-key')") == settings.VAPID_PUBLIC_KEY
        assert page.evaluate("localStorage.getItem('test:push-user-visible')") == "true"
        page.screenshot(path=str(SCREENSHOTS / "push-on-390.png"), full_page=True)
        assert_accessible(page)
        no_sideways_scroll(page)

        # A walk is booked: the server pushes, the stand-in verifies and decrypts, the phone shows it.
        walk = WalkFactory(resident=resident, officer=officer, starts_at=timezone.now() + timedelta(days=2))
        notifications.walk_booked(walk, by=resident.user, now=timezone.now())
        send_due()
        assert service.refused == []
        [received] = service.received
        payload = received["payload"]
        assert payload["title"].startswith("Walk booked: ") and "Amira" not in json.dumps(payload)
        active = page.evaluate("navigator.serviceWorker.ready.then((r) => r.active.scriptURL)")
        [worker] = [w for w in page.context.service_workers if w.url == active]
        shown = worker.evaluate(
            """async (data) => {
                const event = new PushEvent("push", {data: JSON.stringify(data)});
                let waited = null;
                event.waitUntil = (promise) => { waited = promise; };
                self.dispatchEvent(event);
                await waited;
                const found = await self.registration.getNotifications();
                return found.map((n) => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url}));
            }""",
            payload,
        )
        assert shown == [
            {"title": payload["title"], "body": payload["body"], "tag": payload["tag"], "url": payload["url"]}
        ]

        # Tapping it opens the walk; a link to anywhere else opens the app's front page instead.
        # (A real tap cannot be made headless: the event is dispatched, and the window calls, which
        # need a real tap's user activation, are recorded instead of made.)
        opened = worker.evaluate(
            """async () => {
                const opened = [];
                self.clients.openWindow = (url) => { opened.push(url); return Promise.resolve(null); };
                self.clients.matchAll = () => Promise.resolve([]);
                async function tap(notification) {
                    const event = new NotificationEvent("notificationclick", {notification});
                    let waited = null;
                    event.waitUntil = (promise) => { waited = promise; };
                    self.dispatchEvent(event);
                    await waited;
                }
                const [shown] = await self.registration.getNotifications();
                await tap(shown);
                const left = (await self.registration.getNotifications()).length;
                await self.registration.showNotification("x", {data: {url: "https://elsewhere.example/x"}});
                const [foreign] = await self.registration.getNotifications();
                await tap(foreign);
                return {opened, left};
            }"""
        )
        origin = page.url.split("/app/notifications/")[0]
        # the app's page of her walk; a payload for elsewhere opens the app's start (its scope) instead
        assert opened == {"opened": [payload["url"], f"{origin}/app/"], "left": 0}
        assert payload["url"] == f"{origin}/app/walks/{walk.pk}/"

        # Turned off on this phone: the browser unsubscribes and the server forgets it.
        page.get_by_role("button", name="Turn off notifications").click()
        expect(page.get_by_text("No device of yours gets notifications.")).to_be_visible()  # reloaded
        expect(page.locator("#push-state")).to_have_text("Notifications are off for this phone.")
        assert not PushSubscription.objects.exists()
        assert page.evaluate("localStorage.getItem('test:push-unsubscribed')") == "1"

        # On again, then she signs out: the browser unsubscribes and the server removes the device.
        page.evaluate("localStorage.removeItem('test:push-unsubscribed')")
        page.get_by_role("button", name="Turn on notifications").click()
        expect(page.get_by_text(re.compile(r"Chrome on Linux · this phone"))).to_be_visible()  # reloaded
        expect(page.locator("#push-state")).to_have_text("Notifications are on for this phone.")
        assert PushSubscription.objects.count() == 1
        page.get_by_role("button", name=re.compile("menu", re.I)).click()
        page.get_by_role("button", name="Sign out").click()
        expect(page).not_to_have_url(re.compile("/notifications/"))
        expect(page.get_by_role("link", name="Sign in")).to_be_visible()
        assert not PushSubscription.objects.exists()
        assert page.evaluate("localStorage.getItem('test:push-unsubscribed')") == "1"
