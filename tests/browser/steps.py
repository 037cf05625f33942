"""Steps that several browser journeys share: signing up, signing in, choosing a slot."""

from __future__ import annotations

import re
from datetime import datetime

from django.core import mail
from django.utils.dateparse import parse_datetime
from playwright.sync_api import Locator, Page, expect

from tests.browser.axe import assert_accessible
from tests.factories import totp_code

CONFIRM_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+/")
# Label text is matched as it stands in the page: surrounding whitespace, and crispy's "*" on required fields.
EMAIL_LABEL = re.compile(r"\be-?mail\b", re.I)
PASSWORD_LABEL = re.compile(r"^\s*password\W*$", re.I)
PASSWORD_AGAIN_LABEL = re.compile(r"password.*(again|confirm)|(confirm|repeat).*password", re.I)
SIGN_UP_BUTTON = re.compile(r"^\s*(sign up|create (an |my )?account|register)", re.I)
AFTER_DARK_SLOT = "label.slot:has(.badge:text('After dark'))"


def sign_up_and_confirm(page: Page, email_address: str, password: str) -> None:
    """Sign up with email and password, follow the link in the email and confirm (checking each page)."""
    page.goto("/accounts/signup/")
    assert_accessible(page)
    page.get_by_label(EMAIL_LABEL).fill(email_address)
    page.get_by_label(PASSWORD_LABEL).fill(password)
    page.get_by_label(PASSWORD_AGAIN_LABEL).fill(password)
    page.get_by_role("button", name=SIGN_UP_BUTTON).click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    assert_accessible(page)

    # The live server runs in this process, so its locmem backend fills the same outbox.
    messages = [message for message in mail.outbox if message.to == [email_address]]
    assert len(messages) == 1, [message.to for message in mail.outbox]
    link = CONFIRM_LINK.search(messages[0].body)
    assert link, messages[0].body
    page.goto(link.group(0))
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(r"\bconfirm\b", re.I)).click()


def sign_in(page: Page, email_address: str, password: str) -> None:
    """Sign in; staff then type the code from their authenticator (computed from the test secret)."""
    page.goto("/accounts/login/")
    assert_accessible(page)
    page.get_by_label(EMAIL_LABEL).fill(email_address)
    page.get_by_label(PASSWORD_LABEL).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    if "/accounts/2fa/authenticate/" in page.url:
        assert_accessible(page)
        page.get_by_label(re.compile("code", re.I)).fill(totp_code())
        page.get_by_role("button", name="Sign in").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/2fa/authenticate/"))


def slot_input(label: Locator) -> Locator:
    """The radio button a slot's label belongs to (the radio is visually hidden: she taps the label)."""
    return label.page.locator(f"#{label.get_attribute('for')}")


def slot_time(label: Locator) -> datetime:
    """The instant a slot's label stands for, as the form will send it."""
    value = slot_input(label).get_attribute("value")
    parsed = parse_datetime(value or "")
    assert parsed is not None, value
    return parsed


def choose_slot(label: Locator) -> datetime:
    """Tap a slot and check it is chosen; returns its start."""
    label.click()
    expect(slot_input(label)).to_be_checked()
    return slot_time(label)
