"""The quick exit (issue 14 point 13): "Exit this page" on every public and resident page.

Every HTML page the access matrix says the public or resident A may open (200), and every account page
they may open, carries the control: a plain link (it works without JavaScript) to QUICK_EXIT_URL that
sends no referrer, with the script that adds the click and Shift-three-times behaviour. Officers' and the
sergeant's own pages go without it. The browser behaviour is in tests/browser/test_quick_exit.py.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers import body_of, rolled_back
from tests.test_access_matrix import (  # noqa: F401 (scene: a fixture)
    MATRIX,
    ROLES,
    account_paths,
    path_of,
    scene,
)

pytestmark = pytest.mark.django_db

NEUTRAL = "https://neutral.example/weather"
LINK = re.compile(
    r'<a class="btn quick-exit__button" href="(?P<href>[^"]*)" rel="nofollow noreferrer" '
    r'referrerpolicy="no-referrer" data-quick-exit-link>Exit this page</a>'
)
SCRIPT = '<script src="/static/js/quick-exit.js"></script>'


@pytest.fixture(autouse=True)
def neutral_site(settings):
    settings.QUICK_EXIT_URL = NEUTRAL


def html_pages(scene, role: str) -> dict[str, str]:  # noqa: F811
    """name → path of every project page the role may GET as an HTML page (the access matrix's 200s)."""
    column = ROLES.index(role)
    pages = {}
    for name, row in MATRIX.items():
        if row.get[column] != 200 or name in (
            "healthz",
            "patrols:walk_invite",
            "participants:my_data_json",
            "javascript-catalog",
            "patrols:app_manifest",  # JSON, and the service worker is a script: not pages
            "patrols:service_worker",
            "patrols:retired_service_worker",
            "patrols:app_offline",  # the officer app's own offline page: officers' pages go without it
        ):
            continue
        if name.startswith("open311:"):  # JSON for partners' systems, not a page
            continue
        if name == "patrols:partner_referral":
            continue  # a partner's page, not hers: no quick exit (tests/test_referrals.py says so)
        pages[name] = path_of(name, row, scene)
    return pages


def get(client: Client, path: str):
    client.raise_request_exception = False
    with rolled_back():
        return client.get(path)


def assert_has_quick_exit(response, where: str) -> None:
    body = body_of(response)
    links = LINK.findall(body)
    assert len(links) == 1, f"{where}: expected one 'Exit this page' link, found {len(links)}"
    assert LINK.search(body)["href"] == NEUTRAL, where
    assert SCRIPT in body, f"{where}: the quick-exit script is missing"
    # first in the page, before the skip link and the navigation
    assert body.index("data-quick-exit-link") < body.index("Skip to main content"), where


@pytest.mark.parametrize("role", ["anonymous", "resident_a"])
def test_every_public_and_resident_page_has_the_quick_exit(role, scene):  # noqa: F811
    pages = html_pages(scene, role)
    assert ("home" in pages) == (role == "anonymous")
    if role == "resident_a":
        assert {"patrols:my_walks", "patrols:book", "patrols:walk_detail", "participants:erase"} <= set(pages)
    for name, path in pages.items():
        response = get(scene.clients[role], path)
        assert response.status_code == 200, (name, response.status_code)
        assert_has_quick_exit(response, f"{name} as {role}")


@pytest.mark.parametrize("role", ["anonymous", "resident_a"])
def test_every_account_page_she_can_open_has_the_quick_exit(role, scene):  # noqa: F811
    opened = []
    for path in account_paths().values():
        response = get(scene.clients[role], path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        opened.append(path)
        assert_has_quick_exit(response, f"{path} as {role}")
    expected = (
        {reverse("account_login"), reverse("account_signup"), reverse("account_reset_password")}
        if role == "anonymous"
        else {reverse("account_email"), reverse("account_change_password")}
    )
    assert expected <= set(opened), sorted(opened)


def test_error_pages_have_the_quick_exit(scene):  # noqa: F811
    response = get(scene.clients["anonymous"], "/no-such-page/")
    assert response.status_code == 404
    assert_has_quick_exit(response, "the 404 page")
    response = get(scene.clients["resident_b"], reverse("patrols:walk_detail", args=[scene.walk.pk]))
    assert response.status_code == 404
    assert_has_quick_exit(response, "a resident's 404 page")
    response = get(scene.clients["resident_a"], reverse("patrols:today"))
    assert response.status_code == 403
    assert_has_quick_exit(response, "a resident's 403 page")


def test_the_server_error_page_has_it_as_a_plain_link(rf):
    from walkandtalk.errors import server_error

    body = server_error(rf.get("/")).content.decode()
    link = f'<a href="{NEUTRAL}" rel="nofollow noreferrer" referrerpolicy="no-referrer">Exit this page</a>'
    assert link in body


@pytest.mark.parametrize("role", ["officer_a", "sergeant"])
def test_staff_pages_go_without_it(role, scene):  # noqa: F811
    """Officers and the sergeant use the scheme's own devices at work: their pages have no quick exit."""
    pages = html_pages(scene, role)
    pages["account_email"] = reverse("account_email")
    assert pages
    for name, path in pages.items():
        response = get(scene.clients[role], path)
        assert response.status_code == 200, (name, response.status_code)
        assert "data-quick-exit" not in body_of(response), f"{name} as {role}"


def test_the_privacy_notice_explains_the_quick_exit_and_browsing_privately(scene):  # noqa: F811
    body = body_of(get(scene.clients["anonymous"], reverse("privacy")))
    for words in (
        "Staying safe online",
        "Exit this page",
        "<kbd>Shift</kbd> key three times",
        "Browse privately",
        "Incognito",
        "Private",
        "Clear your history",
    ):
        assert words in body, words


@pytest.mark.parametrize(
    "value", ["javascript:alert(1)", "/relative/path", "ftp://example.org/", "https://"], ids=repr
)
def test_quick_exit_url_must_be_a_web_address(value):
    """A bad QUICK_EXIT_URL stops the app at start-up rather than breaking the one control she may need."""
    result = subprocess.run(
        [sys.executable, "-c", "import django, os; django.setup()"],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "walkandtalk.settings",
            "DEBUG": "true",
            "QUICK_EXIT_URL": value,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "QUICK_EXIT_URL must be" in result.stderr
