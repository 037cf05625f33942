"""Security: a second factor for staff, sign-in protection and logging, short staff sessions, and the
headers every page carries."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from participants.roles import OFFICERS, SERGEANTS
from tests.factories import PASSWORD, OfficerFactory, UserFactory, totp_code
from tests.test_deployment import production_env, run_manage

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
SETUP = reverse("mfa_activate_totp")


@pytest.fixture
def officer_without_mfa():
    return OfficerFactory(user=UserFactory(group=OFFICERS, totp=False))


@pytest.mark.parametrize(
    "name", ["patrols:today", "patrols:schedule", "participants:my_residents", "patrols:area_concerns"]
)
def test_an_officer_without_a_second_factor_is_sent_to_set_one_up(client, officer_without_mfa, name):
    client.force_login(officer_without_mfa.user)
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url == SETUP
    # the set-up page itself, her account and signing out stay open
    assert client.get(SETUP).status_code in (200, 302)
    assert client.get(reverse("account_email")).status_code == 200


def test_a_sergeant_without_a_second_factor_cannot_open_the_dashboard(client):
    sergeant = UserFactory(group=SERGEANTS, is_staff=True, totp=False)
    client.force_login(sergeant)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response.url == SETUP


def test_with_a_second_factor_the_pages_open(client, officer_a, sergeant):
    client.force_login(officer_a.user)
    assert client.get(reverse("patrols:today")).status_code == 200
    client.force_login(sergeant)
    assert client.get(reverse("admin:index")).status_code == 200


def test_residents_are_not_forced_but_may_turn_it_on(client, resident_a):
    client.force_login(resident_a.user)
    assert client.get(reverse("patrols:my_walks")).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200


def test_staff_sign_in_asks_for_the_code_after_the_password(client, officer_a):
    response = client.post(LOGIN, {"login": officer_a.user.email, "password": PASSWORD})
    assert response.status_code == 302 and "/accounts/2fa/authenticate/" in response.url
    assert client.get(reverse("patrols:today")).status_code == 302  # not signed in yet
    wrong = client.post(response.url, {"code": "000000"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
    right = client.post(response.url, {"code": totp_code()})
    assert right.status_code == 302
    assert client.get(reverse("patrols:today")).status_code == 200


def sign_in_fails(client, email, path=LOGIN):
    return client.post(path, {"login": email, "password": "wrong password"})


def test_the_sixth_failed_sign_in_in_five_minutes_gets_a_friendly_429(client, resident_a):
    for _ in range(5):
        assert sign_in_fails(client, resident_a.user.email).status_code == 200
    sixth = sign_in_fails(client, resident_a.user.email)
    assert sixth.status_code == 429
    html = sixth.content.decode()
    assert "Too many attempts" in html and "Traceback" not in html
    # even the right password waits now
    assert client.post(LOGIN, {"login": resident_a.user.email, "password": PASSWORD}).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert client.post(LOGIN, {"login": resident_a.user.email, "password": PASSWORD}).status_code == 302


def test_the_admin_login_is_the_same_protected_sign_in(client, sergeant):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    admin_login = response.url  # the sign-in page, on its way back to the admin
    for _ in range(5):
        assert sign_in_fails(client, sergeant.email, admin_login).status_code == 200
    assert sign_in_fails(client, sergeant.email, admin_login).status_code == 429


def test_sign_ins_and_failures_are_logged_without_passwords(client, resident_a, caplog):
    caplog.set_level(logging.INFO, logger="walkandtalk.security")
    sign_in_fails(client, resident_a.user.email)
    client.post(LOGIN, {"login": resident_a.user.email, "password": PASSWORD})
    text = caplog.text
    assert f"sign-in failed for={resident_a.user.email}" in text
    assert f"signed in user={resident_a.user.pk}" in text
    assert "wrong password" not in text and PASSWORD not in text


def test_refused_access_is_logged(client, resident_a, caplog):
    client.force_login(resident_a.user)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(reverse("patrols:today")).status_code == 403
    assert "Forbidden" in caplog.text


def test_staff_sessions_end_with_the_browser_and_after_twelve_hours(client, officer_a):
    response = client.post(LOGIN, {"login": officer_a.user.email, "password": PASSWORD})
    client.post(response.url, {"code": totp_code()})
    assert client.session.get_expire_at_browser_close()
    assert client.get(reverse("patrols:today")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=12, minutes=1)):
        late = client.get(reverse("patrols:today"))
    assert late.status_code == 302 and late.url == reverse("account_login")
    assert client.get(reverse("patrols:today")).status_code == 302  # signed out


def test_users_can_see_and_end_their_sessions(client, resident_a):
    client.force_login(resident_a.user)
    assert client.get(reverse("usersessions_list")).status_code == 200


def all_paths() -> list[str]:
    """Every URL pattern without arguments (admin model pages excepted), from the resolver."""
    paths = []

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if str(entry.pattern).startswith("admin/"):
                    continue
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and "<" not in str(entry.pattern):
                route = prefix + str(entry.pattern)
                if "^" not in route and "(?P" not in route:
                    paths.append("/" + route)

    walk(get_resolver().url_patterns)
    return sorted(set(paths))


def assert_security_headers(response, *, signed_in: bool) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"):
        assert directive in csp, (response.request["PATH_INFO"], csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "geolocation=(self)" in response.headers["Permissions-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    if signed_in:
        assert "no-store" in response.headers["Cache-Control"]


def test_every_page_carries_the_security_headers(client, resident_a, officer_a, sergeant):
    paths = all_paths()
    assert "/walks/" in paths and "/healthz" in paths and "/accounts/login/" in paths
    for path in paths:
        assert_security_headers(client.get(path, secure=True), signed_in=False)
    for user in (resident_a.user, officer_a.user, sergeant):
        client.force_login(user)
        for path in paths:
            response = client.get(path, secure=True)
            if path in ("/accounts/logout/",):
                continue
            assert_security_headers(response, signed_in=True)
    assert_security_headers(client.get(reverse("admin:index"), secure=True), signed_in=True)


def test_production_cookies_are_host_prefixed_and_secure():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    )
    result = run_manage(production_env(), "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-6:] == [
        "__Host-sessionid",
        "__Host-csrftoken",
        "True",
        "True",
        "31536000",
        "True",
    ]
