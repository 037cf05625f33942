"""A woman finds the scheme, signs up, confirms her email address from the message and is signed in."""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.core import mail
from playwright.sync_api import Page, expect

from participants.models import User
from participants.roles import RESIDENTS
from tests.browser.axe import assert_accessible

PASSWORD = "Lantern-quiet-orchard-58"
CONFIRM_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+/")
# Label text is matched as it stands in the page: surrounding whitespace, and crispy's "*" on required fields.
EMAIL_LABEL = re.compile(r"\be-?mail\b", re.I)
PASSWORD_LABEL = re.compile(r"^\s*password\W*$", re.I)
PASSWORD_AGAIN_LABEL = re.compile(r"password.*(again|confirm)|(confirm|repeat).*password", re.I)
SIGN_UP_BUTTON = re.compile(r"^\s*(sign up|create (an |my )?account|register)", re.I)


def open_menu_if_collapsed(page: Page) -> None:
    """On a phone the navigation sits behind the menu button, as it does for a real user.

    Decided by the width (the navbar collapses below Bootstrap's md, 768px) rather than by whether the
    button looks visible: straight after a navigation the stylesheet may not have hidden it yet.
    """
    if page.viewport_size["width"] >= 768:
        return
    toggler = page.get_by_role("button", name="Show or hide the menu")
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")


def test_sign_up_confirm_email_and_land_signed_in(page: Page, live_server, viewport):
    email_address = f"amira.{viewport}@example.org"

    # The home page explains the scheme and leads to sign-up.
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("main").get_by_role("link", name=re.compile(r"^\s*sign up", re.I)).click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    assert_accessible(page)

    # A slip: the two passwords differ. The form says so, accessibly, and keeps her email address.
    email = page.get_by_label(EMAIL_LABEL)
    password = page.get_by_label(PASSWORD_LABEL)
    password_again = page.get_by_label(PASSWORD_AGAIN_LABEL)
    email.fill(email_address)
    password.fill(PASSWORD)
    password_again.fill(PASSWORD + "x")
    page.get_by_role("button", name=SIGN_UP_BUTTON).click()
    # (The message shows twice: in the error summary and beside the field.)
    expect(page.get_by_text(re.compile(r"same password", re.I)).first).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    expect(email).to_have_value(email_address)
    assert_accessible(page)
    assert mail.outbox == []

    # She puts it right.
    password.fill(PASSWORD)
    password_again.fill(PASSWORD)
    page.get_by_role("button", name=SIGN_UP_BUTTON).click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    assert_accessible(page)

    # The live server runs in this process, so its locmem backend fills the same outbox.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [email_address]
    link = CONFIRM_LINK.search(message.body)
    assert link, message.body
    assert link.group(0).startswith(live_server.url)

    # She opens the link in the same browser and confirms.
    page.goto(link.group(0))
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(r"\bconfirm\b", re.I)).click()

    # Signed in straight away (ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION), wherever a new resident lands.
    expect(page).not_to_have_url(re.compile(r"/accounts/(confirm-email|login)/"))
    page.wait_for_load_state()
    open_menu_if_collapsed(page)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert_accessible(page)

    user = User.objects.get(email=email_address)
    assert EmailAddress.objects.get(user=user).verified
    assert user.groups.filter(name=RESIDENTS).exists()
