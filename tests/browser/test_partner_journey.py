"""The partner loop, end to end (issue 15, point 10), every step on a phone with axe on each page:

the officer refers a concern from its page (the routing rule suggests Lambeth Council) → the referral
email reaches the partner's contacts → the partner opens the link from that email, acknowledges, and
later marks it fixed → the resident reads "Lambeth Council: fixed on …" on her walk page and gets "is
it fixed?" → she answers "not fixed" → the partner is emailed again, with the link.

Messages are sent as beat would send them: the dispatcher runs in the test between the steps, and the
live server's locmem backend fills the same `mail.outbox`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from patrols import concerns as concern_service
from patrols.models import LONDON, Concern, ConcernCategory, Referral, Walk
from tests.browser.axe import assert_accessible
from tests.browser.steps import sign_in
from tests.factories import (
    PASSWORD,
    OfficerFactory,
    PairingFactory,
    PartnerFactory,
    ResidentFactory,
    RoutingRuleFactory,
    WalkFactory,
    ward,
)
from walkandtalk.outbox.dispatch import dispatch_due

PARTNER_LINK = re.compile(r"https?://\S+/partner/referral/[^/\s]+/")
FIXED_LINK = re.compile(r"https?://\S+/concerns/\d+/fixed/")
CONTACT = "lighting@lambeth.example.org"


def sent_to(address: str) -> list:
    dispatch_due(max_seconds=5)
    return [message for message in mail.outbox if address in message.to]


def path(url: str) -> str:
    return urlsplit(url).path


@pytest.mark.viewports("phone")
def test_a_referral_goes_to_the_partner_and_its_answer_comes_back_to_her(new_page, live_server, viewport):
    brixton = ward("Brixton North")
    officer = OfficerFactory(display_name="PC Nia Adeyemi", collar_number="5521LX", wards=[brixton])
    resident = ResidentFactory(preferred_name="Quenby Marlowe", ward=brixton, mobile="")
    PairingFactory(resident=resident, officer=officer)
    started = timezone.now() - timedelta(days=2)
    walk = WalkFactory(
        resident=resident, officer=officer, starts_at=started, ends_at=started + timedelta(hours=1),
        status=Walk.Status.COMPLETED, meeting_point="Windrush Square clock", route="Effra Road to the park",
    )  # fmt: skip
    lit = ConcernCategory.objects.get(name="Badly lit")
    concern, _ = concern_service.log_concern(
        walk=walk, by=officer.user, category=lit, severity="high", when_it_matters="after_dark",
        location_text="Railway arch on Atlantic Road", latitude=51.4612, longitude=-0.1146,
        resident_said="Quenby says it is pitch black", action="Ask for the arch lights to be mended.",
    )  # fmt: skip
    lambeth = PartnerFactory(name="Lambeth Council", contact_emails=[CONTACT], boroughs=[brixton.borough])
    PartnerFactory(name="Transport for London", kind="transport", contact_emails=["stops@tfl.example.org"])
    RoutingRuleFactory(category=lit, borough=brixton.borough, partner=lambeth, team="street lighting")
    secrets = ["Quenby", "Marlowe", resident.user.email, walk.walk_code, "Windrush Square", "Effra Road"]

    # 1. The officer, on her phone, opens the concern: Lambeth Council is suggested; she refers it.
    officer_page = new_page()
    sign_in(officer_page, officer.user.email, PASSWORD)
    officer_page.goto(f"/concerns/{concern.pk}/")
    expect(
        officer_page.get_by_text(re.compile(r"Suggested: Lambeth Council — street lighting"))
    ).to_be_visible()
    expect(officer_page.get_by_label("Partner").locator("option:checked")).to_have_text("Lambeth Council")
    assert_accessible(officer_page)
    officer_page.get_by_role("button", name="Refer", exact=True).click()
    expect(officer_page.get_by_text(re.compile("Referred to Lambeth Council")).first).to_be_visible()
    assert_accessible(officer_page)
    referral = Referral.objects.get(concern=concern)
    assert referral.partner == lambeth and referral.team == "street lighting"

    # 2. The referral email reaches the partner's contacts: what and where, never who.
    emails = sent_to(CONTACT)
    assert len(emails) == 1, [m.subject for m in mail.outbox]
    body = emails[0].body + "".join(content for content, _ in emails[0].alternatives)
    assert "Railway arch on Atlantic Road" in body and "Badly lit" in body
    assert not [secret for secret in secrets if secret in body]
    assert "pitch black" not in body  # her words were not shared
    link = PARTNER_LINK.search(emails[0].body).group(0)

    # 3. The partner opens the link on a phone (no account) and acknowledges it.
    partner_page = new_page()
    partner_page.goto(path(link))
    expect(partner_page.get_by_role("heading", level=1, name="Badly lit")).to_be_visible()
    expect(partner_page.get_by_text("Railway arch on Atlantic Road")).to_be_visible()
    assert not [secret for secret in secrets if secret in partner_page.content()]
    assert_accessible(partner_page)
    partner_page.get_by_label(re.compile(r"acknowledge", re.I)).check()
    partner_page.get_by_role("button", name="Send answer").click()
    expect(partner_page.get_by_text(re.compile("Thank you — your answer is on the concern"))).to_be_visible()
    assert_accessible(partner_page)
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACKNOWLEDGED and referral.acknowledged_on_time

    # 4. Later the same link: the partner marks it fixed, with a note.
    partner_page.goto(path(link))
    partner_page.get_by_label("Fixed", exact=True).check()
    partner_page.get_by_label(re.compile(r"Note or question")).fill("New LED lamps fitted in the arch.")
    partner_page.get_by_role("button", name="Send answer").click()
    expect(partner_page.get_by_text(re.compile("Thank you — your answer is on the concern"))).to_be_visible()
    assert_accessible(partner_page)
    concern.refresh_from_db()
    assert concern.status == Concern.Status.RESOLVED

    # 5. She is asked "is it fixed?", and her walk page says who fixed it and when.
    asked = [m for m in sent_to(resident.user.email) if FIXED_LINK.search(m.body)]
    assert len(asked) == 1
    resident_page = new_page()
    sign_in(resident_page, resident.user.email, PASSWORD)
    resident_page.goto(f"/walks/{walk.pk}/")
    fixed_on = f"Lambeth Council: fixed on {timezone.localtime(concern.resolved_at, LONDON):%-d %B %Y}"
    expect(resident_page.get_by_text(fixed_on)).to_be_visible()
    assert_accessible(resident_page)

    # 6. It is not fixed, she says (from the link in that message).
    resident_page.goto(path(FIXED_LINK.search(asked[0].body).group(0)))
    assert_accessible(resident_page)
    resident_page.get_by_label(re.compile("what is still wrong|anything", re.I)).fill("Still dark at night.")
    resident_page.get_by_role("button", name="It’s not fixed").click()
    expect(
        resident_page.get_by_text(
            "Thank you. Lambeth Council and your officer have been told it is not fixed."
        )
    ).to_be_visible()
    assert_accessible(resident_page)
    concern.refresh_from_db()
    referral.refresh_from_db()
    assert concern.status == Concern.Status.REFERRED and referral.state == Referral.State.REOPENED

    # 7. The partner is told, with the link, which opens the concern again for an answer.
    told = [m for m in sent_to(CONTACT) if m.extra_headers.get("X-Walkandtalk-Kind") == "partner_reopened"]
    assert len(told) == 1
    assert not [secret for secret in secrets if secret in told[0].body]
    partner_page.goto(path(PARTNER_LINK.search(told[0].body).group(0)))  # a fresh signature, same referral
    expect(partner_page.get_by_text(re.compile("Reopened: not fixed, says the resident"))).to_be_visible()
    expect(partner_page.get_by_role("button", name="Send answer")).to_be_visible()
    assert_accessible(partner_page)
