"""Browser journeys: Playwright (sync API) driving Debian's Chromium against pytest-django's live_server.

Every test in this folder is marked ``browser`` and runs once per viewport (desktop and phone). A
journey that only makes sense on one of them says so with ``@pytest.mark.viewports("phone")``.

Fixtures:
    browser   headless Chromium for one journey (see its docstring for why not for the whole session)
    new_page  a factory: ``new_page()`` opens a page in a fresh context (its own cookies, so a second
              person can take part in the same journey) sized for the test's viewport, with
              ``base_url`` set to the live server, so ``page.goto("/")`` works
    page      the first such page
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.axe import AXE_URL_GLOB, serve_axe

# Playwright's sync API keeps an asyncio loop marked as running in the test thread; without this, Django
# refuses the test's own ORM calls with SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; `playwright install` cannot download here
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000  # a step that takes longer than this is a failure, not something to wait out

VIEWPORTS: dict[str, dict] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 3,
    },
}
HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "viewports(*names): run a browser journey on only these viewports (desktop, phone)"
    )


@pytest.hookimpl(tryfirst=True)  # before `-m` selection looks at the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "viewport" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("viewports")
    names = list(marker.args) if marker else list(VIEWPORTS)
    unknown = set(names) - set(VIEWPORTS)
    if unknown:
        raise pytest.UsageError(f"unknown viewport(s) {sorted(unknown)}; choose from {list(VIEWPORTS)}")
    metafunc.parametrize("viewport", names, ids=names)


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the browser tests, not skip them")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
def browser(chromium: Path, live_server, django_db_serialized_rollback) -> Iterator[Browser]:
    """Chromium for one journey, started after the database fixtures and stopped before their teardown.

    Not session-scoped, on purpose. Playwright's sync API marks its asyncio loop as running in this thread
    between calls, and Django keeps database connections in a thread-critical asgiref Local that switches
    to separate storage while a loop is running. A Playwright left running across tests would hand every
    later test (browser or not) fresh connection objects without the serialized contents, so serialized
    rollback would silently restore nothing after a flush (Group.DoesNotExist in the next journey and in
    other transactional tests). Started here, the database setup (restoring the migrations' groups and
    areas) and teardown (flush) run with no loop marked; starting the driver and Chromium costs ~0.5 s.

    The live server needs a transactional database, which is emptied after each test, groups and areas
    from the migrations included; serialized rollback puts them back before the next journey.
    """
    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()  # ends Chromium and all its child processes
    finally:
        # The connections this test's own queries opened live in the running-loop storage: close them
        # while it is still the current one, or they stay open and block dropping the test database.
        connections.close_all()
        manager.stop()  # ends Playwright's node driver and clears the running loop


@pytest.fixture
def new_page(browser: Browser, viewport: str, live_server) -> Iterator[Callable[..., Page]]:
    """Open pages in fresh browser contexts; check each for CSP violations and script errors at the end."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def make(**context_options) -> Page:
        options = {
            "base_url": live_server.url,
            "locale": "en-GB",
            "timezone_id": "Europe/London",
            **VIEWPORTS[viewport],
            **context_options,
        }
        context = browser.new_context(**options)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.route(AXE_URL_GLOB, serve_axe)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                problems.append(f"{message.type}: {message.text}")
                # axe itself sometimes tries an inline style while it measures: not the app's doing
                if "Content Security Policy" in message.text
                and "__axe-core__" not in message.location.get("url", "")
                else None
            ),
        )
        page.on("pageerror", lambda error: problems.append(f"uncaught script error: {error}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "The browser reported:\n" + "\n".join(problems)


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()
