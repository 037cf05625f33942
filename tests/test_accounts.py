"""Account journeys through django-allauth, on the site's own templates.

Sign up, confirm the email, sign in (and fail to), reset a password, sign out, two-step sign-in, and
what the emails say: never "police" (someone else may see her phone).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse

from participants.models import User
from participants.roles import RESIDENTS
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lavender-bus-stop-evening-42"
LINK = re.compile(r"https?://testserver(/\S+)")


def assert_discreet(messages) -> None:
    """No subject or body says "police": the preview on a shared phone must not give her away."""
    assert messages, "expected at least one email"
    for message in messages:
        texts = [message.subject, message.body]
        texts += [content for content, _mimetype in getattr(message, "alternatives", [])]
        for text in texts:
            assert "police" not in text.lower(), f"{message.subject!r} mentions the police"


def link_in(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def html_of(response) -> str:
    return response.content.decode()


def assert_site_page(html: str) -> None:
    """An allauth page in the site's layout: our navigation and Bootstrap, one h1 and it is inside <main>."""
    assert "vendor/bootstrap/css/bootstrap.min.css" in html
    assert 'class="navbar' in html
    assert 'href="#main"' in html
    assert html.count("<h1") == 1
    main = html[html.index("<main") : html.index("</main>")]
    assert "<h1" in main
    assert "Menu:" not in html  # allauth's unstyled fallback layout


def assert_field_error(html: str, field_id: str, text: str | None = None) -> None:
    """The field is marked invalid, points at its error (aria-describedby), and the error sits beside it."""
    input_tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', html)
    assert input_tag, f"no input {field_id}"
    assert 'aria-invalid="true"' in input_tag.group(0)
    assert f"{field_id}_error" in input_tag.group(0)  # aria-describedby
    error = re.search(rf'<div[^>]*id="{field_id}_error"[^>]*>(.*?)</div>', html, re.S)
    assert error, f"no error beside {field_id}"
    if text:
        assert text in error.group(1)


def error_summary(html: str) -> str:
    match = re.search(r'<div class="alert alert-danger error-summary" role="alert".*?</div>', html, re.S)
    assert match, "no error summary"
    summary = match.group(0)
    # at the top of its form: nothing she fills in comes between <form> and the summary
    start = html.index("error-summary")
    form_start = html.rindex("<form", 0, start)
    assert html.index("</form>", form_start) > start
    assert not re.search(r"<(textarea|select)|<input(?![^>]*type=\"hidden\")", html[form_start + 5 : start])
    return summary


# --- Signing up -------------------------------------------------------------------------------------


def test_signup_page_says_what_happens_next(client):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    html = html_of(response)
    assert_site_page(html)
    assert "confirm your address" in html
    assert "never your home address" in html
    assert 'for="id_email"' in html and 'autocomplete="email"' in html
    form = html.split('action="/language/"')[0]  # the sign-up form, not the footer's language switcher
    assert set(re.findall(r'<input[^>]*name="([a-z0-9_]+)"', form)) == {
        "csrfmiddlewaretoken",
        "email",
        "password1",
        "password2",
    }


def test_sign_up_confirm_email_and_become_a_resident(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "Amira@Example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session  # not in until she has confirmed

    page = client.get(response.url)
    assert_site_page(html_of(page))
    assert "Check your email" in html_of(page)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["amira@example.org"]
    assert message.subject == "Confirm your email for Walk and Talk"
    assert_discreet(mail.outbox)

    confirm_url = link_in(message)
    page = client.get(confirm_url)
    assert page.status_code == 200
    html = html_of(page)
    assert_site_page(html)
    assert "amira@example.org" in html
    assert 'method="post"' in html

    response = client.post(confirm_url)
    assert response.status_code == 302
    user = User.objects.get(email="amira@example.org")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert EmailAddress.objects.get(user=user).verified
    assert user.groups.filter(name=RESIDENTS).exists()
    assert Group.objects.get(name=RESIDENTS).user_set.filter(pk=user.pk).exists()

    home = client.get(response.url, follow=True)
    assert home.wsgi_request.user == user


def test_signup_errors_are_summarised_and_shown_beside_each_field_and_keep_the_email(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "amira@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"},
    )
    assert response.status_code == 200
    html = html_of(response)
    assert_site_page(html)
    summary = error_summary(html)
    assert 'href="#id_password2"' in summary
    assert_field_error(html, "id_password2", "same password")
    assert 'value="amira@example.org"' in html
    assert NEW_PASSWORD not in html  # passwords are never sent back
    assert not User.objects.filter(email="amira@example.org").exists()
    assert mail.outbox == []


def test_signup_with_a_short_password_and_a_bad_email(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "amira-at-example.org", "password1": "short", "password2": "short"},
    )
    assert response.status_code == 200
    html = html_of(response)
    summary = error_summary(html)
    assert 'href="#id_email"' in summary
    assert_field_error(html, "id_email", "valid email address")
    assert 'value="amira-at-example.org"' in html  # what she typed is kept
    assert 'value="short"' not in html


def test_short_password_is_explained_beside_the_field(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "amira@example.org", "password1": "short", "password2": "short"},
    )
    html = html_of(response)
    summary = error_summary(html)
    assert "too short" in summary
    assert_field_error(html, "id_password1", "too short")
    assert 'value="amira@example.org"' in html
    assert not User.objects.filter(email="amira@example.org").exists()


def test_signing_up_again_with_a_known_email_sends_a_discreet_email(client):
    UserFactory(email="amira@example.org")
    response = client.post(
        reverse("account_signup"),
        {"email": "amira@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    # allauth does not reveal that the account exists: same page as a new sign-up
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert [m.subject for m in mail.outbox] == ["You already have a Walk and Talk account"]
    assert_discreet(mail.outbox)


# --- Signing in -------------------------------------------------------------------------------------


def test_sign_in_page(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    html = html_of(response)
    assert_site_page(html)
    assert 'for="id_login"' in html and 'for="id_password"' in html
    assert 'autocomplete="current-password"' in html
    assert reverse("account_reset_password") in html
    assert reverse("account_signup") in html


def test_sign_in_works(client):
    user = UserFactory(email="amira@example.org")
    response = client.post(reverse("account_login"), {"login": "amira@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_wrong_password_is_shown_at_the_top_and_beside_the_field_and_keeps_the_email(client):
    UserFactory(email="amira@example.org")
    response = client.post(
        reverse("account_login"), {"login": "amira@example.org", "password": "not-her-password"}
    )
    assert response.status_code == 200
    html = html_of(response)
    assert_site_page(html)
    summary = error_summary(html)
    assert "not correct" in summary
    assert_field_error(html, "id_password", "not correct")
    assert re.search(r'<input[^>]*id="id_login"[^>]*value="amira@example.org"', html) or re.search(
        r'<input[^>]*value="amira@example.org"[^>]*id="id_login"', html
    )
    assert "not-her-password" not in html
    assert "_auth_user_id" not in client.session


def test_empty_sign_in_form_shows_errors_beside_both_fields(client):
    response = client.post(reverse("account_login"), {"login": "", "password": ""})
    html = html_of(response)
    summary = error_summary(html)
    assert 'href="#id_login"' in summary and 'href="#id_password"' in summary
    assert_field_error(html, "id_login", "required")
    assert_field_error(html, "id_password", "required")


def test_unverified_user_cannot_sign_in_and_is_sent_to_verify(client):
    user = UserFactory(email="bola@example.org", verified=False)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)

    response = client.post(reverse("account_login"), {"login": "bola@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    # a fresh link is on its way, and it is discreet
    assert [m.subject for m in mail.outbox] == ["Confirm your email for Walk and Talk"]
    assert_discreet(mail.outbox)


def test_too_many_attempts_shows_the_friendly_429_page(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "1/m/ip"}
    data = {"email": "first@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert client.post(reverse("account_signup"), data).status_code == 302
    client.logout()
    response = client.post(reverse("account_signup"), {**data, "email": "second@example.org"})
    assert response.status_code == 429
    html = html_of(response)
    assert_site_page(html)
    assert "Too many attempts — please wait a few minutes and try again" in html


# --- Passwords --------------------------------------------------------------------------------------


def test_password_reset_sends_a_discreet_email_and_the_link_sets_a_new_password(client):
    UserFactory(email="amira@example.org")
    page = client.get(reverse("account_reset_password"))
    assert_site_page(html_of(page))

    response = client.post(reverse("account_reset_password"), {"email": "amira@example.org"})
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")
    done = client.get(response.url)
    assert_site_page(html_of(done))
    assert "Check your email" in html_of(done)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Set a new password for Walk and Talk"
    assert_discreet(mail.outbox)

    page = client.get(link_in(message), follow=True)  # allauth swaps the key for a session token
    html = html_of(page)
    assert_site_page(html)
    assert "Set a new password" in html
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link_in(message)

    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})
    assert response.status_code == 200
    assert_field_error(html_of(response), "id_password2")
    error_summary(html_of(response))

    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_from_key_done")
    assert_site_page(html_of(client.get(response.url)))

    signed_in = client.post(
        reverse("account_login"), {"login": "amira@example.org", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert "_auth_user_id" in client.session


def test_password_reset_for_an_unknown_email_is_discreet_too(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code == 302  # the same answer: no hint whether she has an account
    assert [m.subject for m in mail.outbox] == ["Your request to Walk and Talk"]
    assert_discreet(mail.outbox)


def test_a_used_reset_link_explains_what_to_do(client):
    response = client.get(reverse("account_reset_password_from_key", args=["abc", "set-password"]))
    html = html_of(response)
    assert_site_page(html)
    assert "This link is not working" in html


def test_password_change_errors_and_notification(client, settings):
    settings.ACCOUNT_EMAIL_NOTIFICATIONS = True
    user = UserFactory(email="amira@example.org")
    client.force_login(user)
    page = client.get(reverse("account_change_password"))
    assert_site_page(html_of(page))
    assert 'aria-label="Your account"' in html_of(page)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong-one", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert_field_error(html_of(response), "id_oldpassword")
    error_summary(html_of(response))

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert [m.subject for m in mail.outbox] == ["Your Walk and Talk password was changed"]
    assert_discreet(mail.outbox)


# --- Signing out, managing the account -------------------------------------------------------------


def test_sign_out_is_post_only(client):
    user = UserFactory()
    client.force_login(user)

    page = client.get(reverse("account_logout"))
    assert page.status_code == 200
    html = html_of(page)
    assert_site_page(html)
    assert 'method="post"' in html
    assert client.session["_auth_user_id"] == str(user.pk)  # a GET changes nothing

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_manage_email_addresses(client):
    user = UserFactory(email="amira@example.org")
    client.force_login(user)
    page = client.get(reverse("account_email"))
    html = html_of(page)
    assert_site_page(html)
    assert "amira@example.org" in html
    radio = re.search(r'<input[^>]*type="radio"[^>]*id="(email_radio_\d+)"', html)
    assert radio and f'for="{radio.group(1)}"' in html  # each address is a labelled choice

    response = client.post(reverse("account_email"), {"action_add": "", "email": "not-an-email"})
    assert response.status_code == 200
    html = html_of(response)
    error_summary(html)
    assert_field_error(html, "id_email")
    assert 'value="not-an-email"' in html

    response = client.post(reverse("account_email"), {"action_add": "", "email": "amira.new@example.org"})
    assert response.status_code == 302
    assert [m.subject for m in mail.outbox] == ["Confirm your email for Walk and Talk"]
    assert_discreet(mail.outbox)


@pytest.mark.parametrize(
    "url_name",
    ["account_email", "account_change_password", "account_logout", "mfa_index", "usersessions_list"],
)
def test_signed_in_account_pages_use_the_site_layout(client, url_name):
    client.force_login(UserFactory())
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert_site_page(html_of(response))


@pytest.mark.parametrize(
    "url",
    [
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
        reverse("account_reset_password_done"),
        reverse("account_email_verification_sent"),
        reverse("account_confirm_email", args=["not-a-real-key"]),
        reverse("account_inactive"),
    ],
)
def test_public_account_pages_use_the_site_layout(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_site_page(html_of(response))


# --- Two-step sign-in (allauth.mfa) ----------------------------------------------------------------


def totp_code(client) -> str:
    from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY

    secret = client.session[SECRET_SESSION_KEY]
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def test_two_step_sign_in_can_be_set_up_and_is_asked_for(client):
    user = UserFactory(email="officer@example.org")
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    # changing how she signs in asks for her password again first
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    page = client.get(response.url)
    assert_site_page(html_of(page))
    wrong = client.post(response.url, {"password": "not-her-password"})
    assert_field_error(html_of(wrong), "id_password")
    error_summary(html_of(wrong))
    response = client.post(response.url, {"password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")

    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    html = html_of(page)
    assert_site_page(html)
    assert 'for="authenticator_secret"' in html

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200
    html = html_of(wrong)
    error_summary(html)
    assert_field_error(html, "id_code")

    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(client)})
    assert response.status_code == 302
    codes = client.get(response.url, follow=True)
    assert codes.status_code == 200
    assert_site_page(html_of(codes))
    backup_codes = list(codes.context["unused_codes"])
    assert backup_codes[0] in html_of(codes)

    for url_name in (
        "mfa_index",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "usersessions_list",
    ):
        page = client.get(reverse(url_name))
        assert page.status_code == 200, url_name
        assert_site_page(html_of(page))

    client.post(reverse("account_logout"))
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    page = client.get(response.url)
    assert_site_page(html_of(page))
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert_field_error(html_of(wrong), "id_code")
    error_summary(html_of(wrong))
    assert "_auth_user_id" not in client.session

    # lost her phone: a backup code works instead of the app
    response = client.post(reverse("mfa_authenticate"), {"code": backup_codes[0]})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


# --- What the emails say -------------------------------------------------------------------------


EMAIL_CONTEXT = {
    "activate_url": "http://testserver/accounts/confirm-email/key/",
    "code": "",
    "password_reset_url": "http://testserver/accounts/password/reset/key/x/",
    "signup_url": "http://testserver/accounts/signup/",
    "email": "amira@example.org",
    "from_email": "amira@example.org",
    "to_email": "amira.new@example.org",
    "deleted_email": "amira.old@example.org",
    "ip": "192.0.2.1",
    "user_agent": "Mozilla/5.0",
    "timestamp": "1 March 2026 19:00",
}


def email_templates() -> list[str]:
    root = Path(django_settings.BASE_DIR) / "templates"
    return sorted(
        str(path.relative_to(root))
        for folder in ("account/email", "mfa/email")
        for path in (root / folder).glob("*.txt")
        if not path.name.startswith("base_")
    )


def test_every_allauth_email_is_overridden():
    import allauth

    shipped = Path(allauth.__file__).parent / "templates"
    ours = set(email_templates())
    for folder in ("account/email", "mfa/email"):
        for path in (shipped / folder).glob("*.txt"):
            name = str(path.relative_to(shipped))
            if not path.name.startswith("base_"):
                assert name in ours, f"{name} is allauth's wording, not ours"


@pytest.mark.parametrize("template", email_templates())
def test_no_email_mentions_the_police(template, rf):
    text = render_to_string(template, EMAIL_CONTEXT, request=rf.get("/"))
    assert "police" not in text.lower()
    if template.endswith("_subject.txt"):
        assert len(text.strip().splitlines()) == 1


# --- allauth's own templates, drawn with our element templates ----------------------------------


def test_element_templates_render_fields_with_errors_help_and_badges(rf):
    from allauth.account.forms import AddEmailForm

    user = UserFactory(email="amira@example.org")
    request = rf.post(reverse("account_email"))
    request.user = user
    form = AddEmailForm(user=user, data={"email": "not-an-email"})
    assert not form.is_valid()
    current = EmailAddress.objects.get(user=user)
    html = render_to_string(
        "account/email_change.html",
        {
            "form": form,
            "emailaddresses": [current],
            "current_emailaddress": current,
            "new_emailaddress": None,
        },
        request=request,
    )
    assert_site_page(html)
    # allauth's own email_change.html: its hand-laid field gets Bootstrap, a label, and its error
    assert '<label class="form-label" for="current_email">' in html
    assert_field_error(html, "id_email")
    assert 'class="btn btn-primary"' in html
