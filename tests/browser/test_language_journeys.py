"""Her own language in the browser (issue 18, point 7): a woman picks Arabic on her phone, signs up,
slips on the profile form, puts it right and books a walk, every page right to left; another books a
walk in Portuguese. On each page: html lang and dir, nothing sideways on a phone, axe clean (WCAG 2.2
AA, no waived rules). Words are found through the catalogue (`gettext` in that language), never typed
here, so the journeys hold whatever the translators write.

SCREENSHOTS=<folder> saves a picture of each page (for a person to look at the right-to-left layout).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation.trans_real import DjangoTranslation
from playwright.sync_api import Page, expect

from participants.models import ContactChannel, Resident
from patrols.models import Walk
from tests.browser.axe import assert_accessible
from tests.browser.steps import AFTER_DARK_SLOT, CONFIRM_LINK, choose_slot, sign_in
from tests.browser.test_booking_journey import TILES, evening_officer
from tests.factories import PASSWORD, PairingFactory, ResidentFactory, ward

SHOTS = os.environ.get("SCREENSHOTS")
NEW_PASSWORD = "Lantern-quiet-orchard-58"
MEETING_POINT = "Outside Peckham Rye station, by the flower stall"


def tr(code: str, text: str) -> str:
    with translation.override(code):
        return translation.gettext(text)


def tr_js(code: str, text: str) -> str:
    """A word of our scripts, from the djangojs catalogue the page loads (/jsi18n/)."""
    translated = DjangoTranslation(code, domain="djangojs").gettext(text)
    assert translated != text, f"no {code} for {text!r} in djangojs.po"
    return translated


def assert_map_controls_in(page: Page, code: str) -> None:
    """Leaflet's zoom buttons say (title, and what a screen reader reads) her language, not English."""
    for button_class, english in (("zoom-in", "Zoom in"), ("zoom-out", "Zoom out")):
        button = page.locator(f"#meeting-map .leaflet-control-{button_class}")
        expect(button).to_have_attribute("title", tr_js(code, english))
        expect(button).to_have_attribute("aria-label", tr_js(code, english))


def check_page(page: Page, code: str, name: str, *, direction: str) -> None:
    """Her language and its direction, nothing wider than the screen, and axe clean."""
    html = page.locator("html")
    expect(html).to_have_attribute("lang", code)
    expect(html).to_have_attribute("dir", direction)
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], (name, width)
    assert_accessible(page)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        shot = Path(SHOTS) / f"{code}-{page.viewport_size['width']}-{name}.png"
        page.screenshot(path=str(shot), full_page=True)


WORD_BOXES = """
(element) => [...element.textContent.matchAll(/\\S+/g)].map((word) => {
  const range = document.createRange();
  range.setStart(element.firstChild, word.index);
  range.setEnd(element.firstChild, word.index + word[0].length);
  const box = range.getBoundingClientRect();
  return [Math.round(box.top), box.left];
})
"""


def assert_reads_left_to_right_on_one_line(element) -> None:
    """A phone number on a right-to-left page: its digit groups on one line, the first at the left."""
    boxes = element.evaluate(WORD_BOXES)
    assert len({top for top, _left in boxes}) == 1, boxes
    lefts = [left for _top, left in boxes]
    assert lefts == sorted(lefts), boxes


def submit(page: Page) -> None:
    """The main form's button (the switcher and the quick exit are outside <main>)."""
    page.locator("main form button[type=submit]").last.click()


@pytest.mark.viewports("phone")
def test_arabic_on_a_phone_from_sign_up_to_a_booked_walk(page: Page, viewport):
    ar = "ar"
    officer = evening_officer()
    officer.wards.add(ward("Peckham"))
    page.route(TILES, lambda route: route.abort())
    email_address = "amira.ar@example.org"

    # She picks her language with the switcher at the foot of the home page (each named in itself).
    page.goto("/")
    page.get_by_label("Language").select_option("ar")
    page.get_by_role("button", name="Change language").click()
    check_page(page, ar, "home", direction="rtl")
    expect(page.get_by_role("button", name=tr(ar, "Change language"))).to_be_visible()

    page.goto("/accounts/signup/")
    check_page(page, ar, "signup", direction="rtl")
    page.locator("#id_email").fill(email_address)
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    submit(page)
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    check_page(page, ar, "confirm-email-sent", direction="rtl")
    [message] = [m for m in mail.outbox if m.to == [email_address]]
    page.goto(CONFIRM_LINK.search(message.body).group(0))
    check_page(page, ar, "confirm-email", direction="rtl")
    submit(page)

    # About you, with a slip: text messages but no mobile number.
    expect(page).to_have_url(re.compile(r"/profile/new/$"))
    expect(page.get_by_role("heading", level=1, name=tr(ar, "About you"))).to_be_visible()
    check_page(page, ar, "about-you", direction="rtl")
    page.locator("#id_preferred_name").fill("أميرة")
    page.locator("#id_ward").select_option(label="Peckham")
    page.locator("input[name=contact_channel][value=sms]").check()
    page.locator("input[name=baseline_safety][value='3']").check()
    page.locator("#id_privacy_consent").check()
    page.get_by_role("button", name=tr(ar, "Join the scheme")).click()

    # The error summary comes first, in Arabic, and links to the field.
    summary = page.get_by_role("alert").filter(has_text=tr(ar, "There is a problem"))
    expect(summary).to_be_visible()
    message = tr(ar, "Enter your mobile number so we can send you text messages.")
    assert message != "Enter your mobile number so we can send you text messages."
    expect(summary).to_contain_text(message)
    assert summary.bounding_box()["y"] < page.locator("#id_preferred_name").bounding_box()["y"]
    expect(page.locator("#id_preferred_name")).to_have_value("أميرة")
    check_page(page, ar, "about-you-error", direction="rtl")
    summary.get_by_role("link").first.click()
    expect(page.locator("#id_mobile")).to_be_focused()
    page.locator("#id_mobile").fill("07911 123456")
    page.get_by_role("button", name=tr(ar, "Join the scheme")).click()

    expect(page).to_have_url(re.compile(r"/walks/(#.*)?$"))
    expect(page.get_by_role("heading", level=1, name=tr(ar, "My walks"))).to_be_visible()
    check_page(page, ar, "my-walks", direction="rtl")
    resident = Resident.objects.get(user__email=email_address)
    assert resident.language == "ar" and resident.contact_channel == ContactChannel.SMS

    # She books a walk after dark; the slot picker and the map read right to left.
    page.get_by_role("main").get_by_role("link", name=tr(ar, "Book a walk")).click()
    expect(page.get_by_role("heading", level=1, name=tr(ar, "Book a walk"))).to_be_visible()
    check_page(page, ar, "book", direction="rtl")
    zoom = page.locator("#meeting-map .leaflet-control-zoom").bounding_box()
    map_box = page.locator("#meeting-map").bounding_box()
    assert zoom["x"] > map_box["x"] + map_box["width"] / 2, "the zoom buttons sit at the line's start (right)"
    assert_map_controls_in(page, ar)
    page.locator("#id_meeting_point").fill(MEETING_POINT)
    starts_at = choose_slot(page.locator(f"label.slot:has(.badge:text('{tr(ar, 'After dark')}'))").first)
    page.locator("#id_route").fill("شارع راي لين ثم إلى الحديقة")
    page.get_by_role("button", name=tr(ar, "Book this walk")).click()

    expect(page).to_have_url(re.compile(r"/walks/\d+/$"))
    check_page(page, ar, "walk", direction="rtl")
    assert_reads_left_to_right_on_one_line(page.locator("main a[href^='tel:']").first)
    walk = Walk.objects.get(resident=resident)
    assert walk.starts_at == starts_at and walk.route == "شارع راي لين ثم إلى الحديقة"
    # Her own words, as she wrote them
    expect(page.get_by_text("شارع راي لين ثم إلى الحديقة")).to_be_visible()

    page.goto("/you-said-we-did/")
    check_page(page, ar, "you-said-we-did", direction="rtl")


@pytest.mark.viewports("desktop")
def test_portuguese_books_a_walk(page: Page, viewport):
    pt = "pt"
    officer = evening_officer()
    resident = ResidentFactory(preferred_name="Joana", language="pt")
    PairingFactory(resident=resident, officer=officer)
    page.route(TILES, lambda route: route.abort())

    sign_in(page, resident.user.email, PASSWORD)
    expect(page.get_by_role("heading", level=1, name=tr(pt, "My walks"))).to_be_visible()
    check_page(page, pt, "my-walks", direction="ltr")
    page.get_by_role("main").get_by_role("link", name=tr(pt, "Book a walk")).click()
    check_page(page, pt, "book", direction="ltr")
    assert_map_controls_in(page, pt)

    # A slip: no slot chosen. The summary is in Portuguese and what she typed stays.
    page.locator("#id_meeting_point").fill(MEETING_POINT)
    page.get_by_role("button", name=tr(pt, "Book this walk")).click()
    expect(page.get_by_role("alert").filter(has_text=tr(pt, "There is a problem"))).to_be_visible()
    expect(page.locator("#id_meeting_point")).to_have_value(MEETING_POINT)
    check_page(page, pt, "book-error", direction="ltr")

    choose_slot(page.locator(AFTER_DARK_SLOT.replace("After dark", tr(pt, "After dark"))).first)
    page.locator("#id_route").fill("Rye Lane e depois o parque")
    page.get_by_role("button", name=tr(pt, "Book this walk")).click()
    expect(page).to_have_url(re.compile(r"/walks/\d+/$"))
    check_page(page, pt, "walk", direction="ltr")
    assert Walk.objects.filter(resident=resident).count() == 1
