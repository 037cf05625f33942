"""Security: a second factor for staff, sign-in protection and logging, short staff sessions, and the
headers every page carries."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
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


# --- Limits per account, not per shared address (issue 14 point 4) --------------------------------
# The test client always comes from 127.0.0.1: one address, like everyone behind an untrusted proxy
# or on a library's Wi-Fi.


def signs_in(email, **extra) -> bool:
    """A fresh browser signs in with the right password: to her pages, or on to her second factor."""
    response = Client().post(LOGIN, {"login": email, "password": PASSWORD}, **extra)
    return response.status_code == 302


def test_one_locked_account_does_not_lock_out_others_behind_the_same_address(
    client, resident_a, resident_b, officer_a, sergeant
):
    for _ in range(5):
        assert sign_in_fails(client, resident_a.user.email).status_code == 200
    assert sign_in_fails(client, resident_a.user.email).status_code == 429
    assert not signs_in(resident_a.user.email)  # her account waits
    # everyone else at that address signs in: another resident, an officer, the sergeant
    assert signs_in(resident_b.user.email)
    assert signs_in(officer_a.user.email)
    assert signs_in(sergeant.email)


def test_five_wrong_codes_for_one_officer_do_not_lock_out_a_resident(client, officer_a, resident_a):
    response = client.post(LOGIN, {"login": officer_a.user.email, "password": PASSWORD})
    authenticate = response.url
    assert "/accounts/2fa/authenticate/" in authenticate
    for _ in range(5):
        assert "Incorrect code" in client.post(authenticate, {"code": "000000"}).content.decode()
    sixth = client.post(authenticate, {"code": totp_code()})  # even the right code waits now
    assert sixth.status_code == 200 and "_auth_user_id" not in client.session
    assert signs_in(resident_a.user.email)
    assert Client().post(LOGIN, {"login": resident_a.user.email, "password": PASSWORD}).status_code == 302


def test_the_address_limit_still_stops_one_address_guessing_at_many_accounts(client, settings):
    limit = 30  # per address in five minutes (settings.ACCOUNT_RATE_LIMITS["login_failed"])
    assert f"{limit}/5m/ip" in settings.ACCOUNT_RATE_LIMITS["login_failed"]
    for n in range(limit):
        assert sign_in_fails(client, f"guess-{n}@example.org").status_code == 200
    assert sign_in_fails(client, "guess-next@example.org").status_code == 429


def test_sign_up_and_password_reset_allow_a_room_of_women_on_one_wi_fi(settings):
    """Per account first, and per address at least 50 an hour: a sign-up session at a library."""
    from allauth.core.internal.ratelimit import parse_rates

    for action in ("signup", "reset_password", "login_failed"):
        rates = parse_rates(settings.ACCOUNT_RATE_LIMITS[action])
        per_address = [rate for rate in rates if rate.per == "ip"]
        assert per_address and all(rate.amount * 3600 / rate.duration >= 50 for rate in per_address), action
        assert [rate.per for rate in rates] == sorted((rate.per for rate in rates), key=lambda p: p != "key")


# --- Behind the TLS proxy: the client's address, everywhere ----------------------------------------

PROXY = "10.0.0.2"


def through_proxy(client_address: str, spoofed: str = "") -> dict[str, str]:
    """What the app sees behind one TLS proxy: it appends the client's address to X-Forwarded-For."""
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


@pytest.fixture
def one_trusted_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # a small per-address limit, so the test can reach it
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "5/5m/key,3/5m/ip"}


def test_behind_the_proxy_each_client_has_her_own_address_limit(one_trusted_proxy, resident_a):
    library, home = "203.0.113.7", "198.51.100.9"
    for n in range(3):
        assert Client().post(LOGIN, {"login": f"g{n}@example.org", "password": "x"}, **through_proxy(library))
    refused = Client().post(LOGIN, {"login": "g@example.org", "password": "x"}, **through_proxy(library))
    assert refused.status_code == 429
    # writing her own X-Forwarded-For does not get the guesser a fresh address
    spoofing = through_proxy(library, spoofed="192.0.2.55")
    assert Client().post(LOGIN, {"login": "g@example.org", "password": "x"}, **spoofing).status_code == 429
    # a resident elsewhere, through the very same proxy, signs in
    assert signs_in(resident_a.user.email, **through_proxy(home))


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(settings, resident_a):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "5/5m/key,3/5m/ip"}
    for n in range(3):
        Client().post(LOGIN, {"login": f"g{n}@example.org", "password": "x"}, **through_proxy(f"192.0.2.{n}"))
    # a header anyone can write gets no one a fresh address: all of these came from PROXY
    assert not signs_in(resident_a.user.email, **through_proxy("198.51.100.9"))


def test_the_sign_in_log_the_audit_log_and_the_sessions_list_record_the_clients_address(
    one_trusted_proxy, resident_a, caplog
):
    from allauth.usersessions.models import UserSession

    from participants.models import AuditEvent

    caplog.set_level(logging.INFO, logger="walkandtalk.security")
    client = Client()
    client.post(LOGIN, {"login": resident_a.user.email, "password": "wrong"}, **through_proxy("203.0.113.7"))
    assert client.post(
        LOGIN, {"login": resident_a.user.email, "password": PASSWORD}, **through_proxy("203.0.113.7")
    ).status_code == 302  # fmt: skip
    assert f"sign-in failed for={resident_a.user.email} ip=203.0.113.7" in caplog.text
    assert f"signed in user={resident_a.user.pk} ip=203.0.113.7" in caplog.text
    assert PROXY not in caplog.text
    event = AuditEvent.objects.get(action=AuditEvent.Action.SIGNED_IN)
    assert event.ip_address == "203.0.113.7"
    assert UserSession.objects.get(user=resident_a.user).ip == "203.0.113.7"


@pytest.mark.parametrize(
    ("proxies", "header", "meta", "expected"),
    [
        (0, None, {"HTTP_X_FORWARDED_FOR": "192.0.2.1"}, "127.0.0.1"),  # not trusted: ignored
        (1, None, {"HTTP_X_FORWARDED_FOR": "192.0.2.1, 203.0.113.7"}, "203.0.113.7"),
        (2, None, {"HTTP_X_FORWARDED_FOR": "192.0.2.1, 203.0.113.7, 10.0.0.9"}, "203.0.113.7"),
        (2, None, {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}, "203.0.113.7"),  # came in at the inner proxy
        (1, None, {"HTTP_X_FORWARDED_FOR": "not an address"}, "127.0.0.1"),
        (1, None, {"HTTP_X_FORWARDED_FOR": "203.0.113.7:51234"}, "203.0.113.7"),
        (1, None, {"HTTP_X_FORWARDED_FOR": "[2001:db8::1]:443"}, "2001:db8::1"),
        (
            0,
            "X-Real-IP",
            {"HTTP_X_REAL_IP": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "192.0.2.1"},
            "203.0.113.7",
        ),
        (1, "X-Real-IP", {"HTTP_X_FORWARDED_FOR": "192.0.2.1"}, "127.0.0.1"),  # the header wins, or none
    ],
)
def test_the_client_address_helper(rf, settings, proxies, header, meta, expected):
    from participants.network import client_ip

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = header
    assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.1", **meta)) == expected
    assert client_ip(None) is None


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


# --- Role and second factor are read with the user's row on every request (participants/backends.py) --


def test_a_sergeant_taken_out_of_sergeants_loses_the_dashboard_on_her_next_request(client, sergeant):
    other = Client()
    other.force_login(
        UserFactory(email="other-sergeant@example.org", group=SERGEANTS, is_staff=True, totp=True)
    )
    client.force_login(sergeant)
    assert client.get(reverse("admin:index")).status_code == 200
    change = reverse("admin:participants_user_change", args=[sergeant.pk])
    response = other.post(
        change,
        {"email": sergeant.email, "first_name": "", "last_name": "", "is_active": "on", "is_staff": "on"},
    )  # no groups ticked: out of Sergeants
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not sergeant.groups.exists()
    response = client.get(reverse("admin:index"))  # the same session, the next request
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def test_an_officer_taken_out_of_officers_loses_her_pages_on_her_next_request(client, officer_a):
    client.force_login(officer_a.user)
    assert client.get(reverse("patrols:today")).status_code == 200
    officer_a.user.groups.clear()
    assert client.get(reverse("patrols:today")).status_code == 403


def test_removing_her_last_authenticator_sends_the_officer_back_to_set_one_up(client, officer_a):
    client.force_login(officer_a.user)
    assert client.get(reverse("patrols:today")).status_code == 200
    response = client.post(reverse("mfa_deactivate_totp"))  # allauth asks for her password first
    assert response.status_code == 302 and response.url.startswith(reverse("account_reauthenticate"))
    client.post(response.url, {"password": PASSWORD})  # allauth then carries out the stashed request
    if officer_a.user.authenticator_set.exists():
        client.post(reverse("mfa_deactivate_totp"))
    assert not officer_a.user.authenticator_set.exists()
    response = client.get(reverse("patrols:today"))
    assert response.status_code == 302 and response.url == SETUP


def test_a_deactivated_account_is_signed_out_on_its_next_request(client, resident_a):
    client.force_login(resident_a.user)
    assert client.get(reverse("patrols:my_walks")).status_code == 200
    type(resident_a.user).objects.filter(pk=resident_a.user.pk).update(is_active=False)
    response = client.get(reverse("patrols:my_walks"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)


@pytest.mark.parametrize(
    "old",
    ["django.contrib.auth.backends.ModelBackend", "allauth.account.auth_backends.AuthenticationBackend"],
)
def test_a_session_from_before_the_new_backends_stays_signed_in_and_is_listed(client, officer_a, old):
    from allauth.usersessions.models import UserSession
    from django.contrib.auth import BACKEND_SESSION_KEY

    client.force_login(officer_a.user)
    session = client.session
    session[BACKEND_SESSION_KEY] = old
    session.save()
    UserSession.objects.filter(session_key=session.session_key).delete()
    assert client.get(reverse("patrols:today")).status_code == 200
    assert client.session[BACKEND_SESSION_KEY].startswith("participants.backends.")
    assert UserSession.objects.filter(session_key=client.session.session_key, user=officer_a.user).exists()
