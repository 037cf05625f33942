"""A woman signs up, confirms her email address, tells us about herself and meets her officer (or waits)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from participants.models import ContactChannel, Resident
from tests.browser.axe import assert_accessible
from tests.browser.steps import sign_up_and_confirm
from tests.factories import OfficerFactory, PairingFactory, ward

PASSWORD = "Lantern-quiet-orchard-58"
JOIN = "Join the scheme"


def about_you(page: Page) -> None:
    """After confirming she is signed in and asked about herself before anything else."""
    expect(page).to_have_url(re.compile(r"/profile/new/$"))
    expect(page.get_by_role("heading", level=1, name="About you")).to_be_visible()
    assert_accessible(page)


def fill_profile(page: Page, *, name: str, ward_name: str) -> None:
    page.get_by_label("What would you like to be called?").fill(name)
    page.get_by_label("Your ward").select_option(label=ward_name)
    page.get_by_label("3 — Neither safe nor unsafe").check()
    page.get_by_label("When do you usually walk, or feel least safe?").fill("Weekday evenings after work")


@pytest.mark.viewports("phone")
def test_sign_up_profile_with_a_slip_and_meet_her_officer(page: Page, viewport):
    officer = OfficerFactory(display_name="PC Sarah Okafor", collar_number="4821AS", wards=[ward("Peckham")])
    email_address = "grace.phone@example.org"

    sign_up_and_confirm(page, email_address, PASSWORD)
    about_you(page)

    # A slip: she asks for text messages but gives no mobile number.
    fill_profile(page, name="Grace", ward_name="Peckham")
    page.get_by_label("Text message (SMS)").check()
    page.get_by_label(re.compile(r"I have read the privacy notice")).check()
    page.get_by_role("button", name=JOIN).click()

    # The summary at the top says what is wrong and links to the field...
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_visible()
    message = "Enter your mobile number so we can send you text messages."
    summary_link = summary.get_by_role("link", name=re.compile(re.escape(message)))
    expect(summary_link).to_have_attribute("href", "#id_mobile")
    first_field = page.get_by_label("What would you like to be called?")
    assert summary.bounding_box()["y"] < first_field.bounding_box()["y"]  # above the whole form
    # ...the field says it too, tied to it for a screen reader...
    mobile = page.get_by_label("UK mobile number")
    expect(mobile).to_have_attribute("aria-invalid", "true")
    error_id = page.locator(".invalid-feedback", has_text=message).get_attribute("id")
    assert error_id and error_id in (mobile.get_attribute("aria-describedby") or "").split()
    # ...and everything she typed and chose is still there.
    expect(page.get_by_label("What would you like to be called?")).to_have_value("Grace")
    expect(page.get_by_label("Your ward").locator("option:checked")).to_have_text("Peckham")
    expect(page.get_by_label("Text message (SMS)")).to_be_checked()
    expect(page.get_by_label("3 — Neither safe nor unsafe")).to_be_checked()
    expect(page.get_by_label("When do you usually walk, or feel least safe?")).to_have_value(
        "Weekday evenings after work"
    )
    expect(page.get_by_label(re.compile(r"I have read the privacy notice"))).to_be_checked()
    assert_accessible(page)
    assert not Resident.objects.exists()

    # The link in the summary takes her to the field; she puts it right.
    summary_link.click()
    expect(mobile).to_be_focused()
    # (Not 07700 900123, Ofcom's drama range, which the phone library rejects.)
    mobile.fill("07911 123456")
    page.get_by_role("button", name=JOIN).click()

    # Her landing page names her officer and the collar number to check.
    expect(page).to_have_url(re.compile(r"/walks/(#.*)?$"))
    expect(page.get_by_role("heading", level=1, name="My walks")).to_be_visible()
    expect(page.get_by_text("You’re all set, Grace.")).to_be_visible()
    officer_card = page.locator("section", has=page.get_by_role("heading", name="Your officer"))
    expect(officer_card).to_contain_text("PC Sarah Okafor")
    expect(officer_card).to_contain_text("4821AS")
    expect(page.get_by_role("main").get_by_role("link", name="Book a walk")).to_be_visible()
    assert_accessible(page)

    resident = Resident.objects.get(user__email=email_address)
    assert resident.preferred_name == "Grace"
    assert resident.contact_channel == ContactChannel.SMS
    assert str(resident.mobile) == "+447911123456"
    assert resident.privacy_consent_at is not None
    assert resident.pairings.get(ended_at__isnull=True).officer == officer
    assert not resident.is_waiting


@pytest.mark.viewports("desktop")
def test_sign_up_when_no_officer_has_room_joins_the_waiting_list(page: Page, viewport):
    full = OfficerFactory(
        display_name="PC Full Up", collar_number="9999AS", capacity=1, wards=[ward("Peckham")]
    )
    PairingFactory(officer=full)
    email_address = "hana.desktop@example.org"

    sign_up_and_confirm(page, email_address, PASSWORD)
    about_you(page)

    # A slip: she forgets to agree to the privacy notice.
    fill_profile(page, name="Hana", ward_name="Peckham")
    page.get_by_role("button", name=JOIN).click()
    message = "You need to agree to the privacy notice to join the scheme."
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_contain_text(message)
    consent = page.get_by_label(re.compile(r"I have read the privacy notice"))
    expect(consent).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".invalid-feedback", has_text=message)).to_be_visible()
    expect(page.get_by_label("What would you like to be called?")).to_have_value("Hana")
    assert_accessible(page)
    assert not Resident.objects.filter(user__email=email_address).exists()

    consent.check()
    page.get_by_role("button", name=JOIN).click()

    expect(page).to_have_url(re.compile(r"/walks/(#.*)?$"))
    expect(page.get_by_text("Thank you — you’re on the waiting list.")).to_be_visible()
    expect(page.get_by_role("heading", name="You’re on the waiting list")).to_be_visible()
    expect(page.get_by_text("PC Full Up")).to_have_count(0)
    expect(page.get_by_role("main").get_by_role("link", name="Book a walk")).to_have_count(0)
    assert_accessible(page)

    resident = Resident.objects.get(user__email=email_address)
    assert resident.is_waiting
    assert not resident.pairings.exists()
