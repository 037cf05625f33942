"""Partners close the loop (issue 15): routing, referring and re-routing, the partner's link and page,
every answer and what it does, chasing after 5 working days, "not fixed" back to the partner — and
never anything about the resident on a page or in an email a partner reads."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.core import mail, signing
from django.db import connection
from django.db.transaction import TransactionManagementError
from django.urls import resolve, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from participants.models import AuditEvent, Borough
from patrols import concerns as concern_service
from patrols import referrals, tasks
from patrols.models import LONDON, Concern, ConcernCategory, ConcernUpdate, Disclosure, Referral, Walk
from patrols.referrals import Answer
from tests.factories import (
    OfficerFactory,
    PartnerFactory,
    ResidentFactory,
    RoutingRuleFactory,
    WalkFactory,
    ward,
)
from tests.outbox import send_due
from walkandtalk.outbox.models import Notification

pytestmark = pytest.mark.django_db

# What must never reach a partner: her name, contact details, walk, and the disclosure.
NAME, EMAIL, PHONE = "Zenobia Quillfeather", "zenobia.q@example.org", "07700 900461"
MEETING, ROUTE, WORRIES = (
    "Lanternwick Arcade gates",
    "Orrery Green via Tamberlane Row",
    "The Nightjar underpass",
)
WALK_CODE = "731864"
DISCLOSURE = "Sapphirewing told me about the man at number nine"
HER_WORDS = "Marigold-lamp has been out since the spring"


@pytest.fixture
def lambeth():
    return Borough.objects.get(name="Lambeth")


@pytest.fixture
def badly_lit():
    return ConcernCategory.objects.get(name="Badly lit")


@pytest.fixture
def council(lambeth):
    return PartnerFactory(
        name="Lambeth Council",
        contact_emails=["lighting@lambeth.example.org", "duty@lambeth.example.org"],
        boroughs=[lambeth],
    )


@pytest.fixture
def tfl():
    return PartnerFactory(
        name="Transport for London", kind="transport", contact_emails=["stops@tfl.example.org"]
    )


@pytest.fixture
def officer(db):
    return OfficerFactory(display_name="PC Alice Adeyemi", wards=[ward("Brixton North")])


@pytest.fixture
def resident(officer):
    resident = ResidentFactory(preferred_name=NAME, ward=ward("Brixton North"), mobile=PHONE)
    resident.user.email = EMAIL
    resident.user.save()
    return resident


@pytest.fixture
def concern(resident, officer, badly_lit):
    start = timezone.now() - timedelta(days=1)
    walk = WalkFactory(
        resident=resident, officer=officer, starts_at=start, ends_at=start + timedelta(hours=1),
        status=Walk.Status.COMPLETED, walk_code=WALK_CODE, meeting_point=MEETING, route=ROUTE,
        known_worries=WORRIES,
    )  # fmt: skip
    Disclosure.objects.create(
        walk=walk, officer=officer, what_was_said=DISCLOSURE, referral_made="MASH", referred_to="MASH"
    )
    concern, _ = concern_service.log_concern(
        walk=walk, by=officer.user, category=badly_lit, severity="high", when_it_matters="after_dark",
        latitude="51.462100", longitude="-0.114200", location_text="Coldharbour Lane by the bus garage",
        resident_said=HER_WORDS, action="Ask the council to mend the lamp",
    )  # fmt: skip
    return concern


def secrets_in(text: str) -> list[str]:
    found = [s for s in (NAME, EMAIL, PHONE, MEETING, ROUTE, WORRIES, DISCLOSURE, HER_WORDS) if s in text]
    if re.search(rf"(?<![0-9]){WALK_CODE}(?![0-9])", text):
        found.append(WALK_CODE)
    # Her first name alone, or her address's local part, would do as much harm.
    found += [s for s in ("Zenobia", "zenobia.q", "07700") if s in text]
    return found


def token_of(referral: Referral) -> str:
    referral.refresh_from_db()
    return referrals.link_token(referral)


def page(referral: Referral) -> str:
    return reverse("patrols:partner_referral", args=[token_of(referral)])


def same_link(url: str, other: str) -> bool:
    """Two links to the same referral's page (their tokens carry the second they were signed in)."""
    path, other_path = (resolve(u) for u in (url, other))
    if path.url_name != "partner_referral" or other_path.url_name != "partner_referral":
        return False
    tokens = (path.kwargs["token"], other_path.kwargs["token"])
    return len({str(signing.loads(t, salt=referrals.LINK_SALT)) for t in tokens}) == 1


def refer(concern, partner, by, **kwargs) -> Referral:
    return referrals.refer(concern=concern, partner=partner, by=by, **kwargs)


def opens(referral: Referral, body: str) -> bool:
    """The email's link opens this referral. (Tokens carry when they were signed, so two made at
    different seconds differ: compare what they open, not their text.)"""
    tokens = re.findall(r"/partner/referral/([^/\s\"<]+)/", body)
    return bool(tokens) and all(referrals.open_link(token).pk == referral.pk for token in tokens)


def partner_mail(kind: str) -> list:
    return [m for m in mail.outbox if m.extra_headers.get("X-Walkandtalk-Kind") == kind]


# --- Routing ------------------------------------------------------------------------------------


def test_the_most_specific_rule_wins(concern, council, tfl, lambeth, badly_lit):
    other = PartnerFactory(name="Brixton Housing Trust", kind="housing")
    RoutingRuleFactory(category=None, borough=lambeth, partner=other)
    assert referrals.suggest(concern).partner == other  # anything in Lambeth
    RoutingRuleFactory(category=badly_lit, borough=None, partner=tfl)
    assert referrals.suggest(concern).partner == tfl  # badly lit anywhere beats anything in Lambeth
    RoutingRuleFactory(category=badly_lit, borough=lambeth, partner=council, team="street lighting")
    rule = referrals.suggest(concern)
    assert rule.partner == council and rule.team == "street lighting"  # badly lit in Lambeth


def test_inactive_partners_are_never_suggested(concern, council, tfl, lambeth, badly_lit):
    RoutingRuleFactory(category=badly_lit, borough=lambeth, partner=council)
    RoutingRuleFactory(category=None, borough=lambeth, partner=tfl)
    council.is_active = False
    council.save()
    assert referrals.suggest(concern).partner == tfl
    tfl.is_active = False
    tfl.save()
    assert referrals.suggest(concern) is None


def test_no_rule_no_suggestion(concern, council):
    assert referrals.suggest(concern) is None


def test_the_concern_page_suggests_and_preselects(client, concern, officer, council, tfl, lambeth, badly_lit):
    RoutingRuleFactory(category=badly_lit, borough=lambeth, partner=council, team="street lighting")
    client.force_login(officer.user)
    body = client.get(reverse("patrols:concern_detail", args=[concern.pk])).content.decode()
    assert "Suggested: Lambeth Council — street lighting (badly lit in Lambeth)" in body
    assert re.search(rf'<option value="{council.pk}" selected>', body)
    assert "Refer to a partner" in body


def test_partners_without_contacts_or_inactive_are_not_offered(client, concern, officer, council):
    PartnerFactory(name="Silent Partner", contact_emails=[])
    PartnerFactory(name="Retired Partner", is_active=False)
    client.force_login(officer.user)
    body = client.get(reverse("patrols:concern_detail", args=[concern.pk])).content.decode()
    assert "Lambeth Council" in body and "Silent Partner" not in body and "Retired Partner" not in body


# --- Referring ----------------------------------------------------------------------------------


def test_refer_makes_a_referral_an_update_and_one_email_to_the_contacts(client, concern, officer, council):
    client.force_login(officer.user)
    url = reverse("patrols:concern_refer", args=[concern.pk])
    response = client.post(url, {"partner": council.pk, "team": "street lighting"})
    assert response.status_code == 302 and response.url == reverse(
        "patrols:concern_detail", args=[concern.pk]
    )
    referral = Referral.objects.get()
    assert referral.partner == council and referral.team == "street lighting" and referral.is_current
    assert referral.referred_by == officer.user and referral.state == Referral.State.SENT
    concern.refresh_from_db()
    assert concern.status == Concern.Status.REFERRED and concern.partner == council
    update = concern.updates.get(referral=referral)
    assert update.shared_with_partner and "Referred to Lambeth Council (street lighting)" in update.note

    rows = Notification.objects.filter(kind="partner_referral")
    assert rows.count() == 1 and rows.get().recipient is None and rows.get().to_label == "Lambeth Council"
    send_due()
    [email] = partner_mail("partner_referral")
    assert email.to == ["lighting@lambeth.example.org", "duty@lambeth.example.org"]
    [(html, _)] = email.alternatives
    for body in (email.body, html, email.subject):
        assert not secrets_in(body), secrets_in(body)
    assert opens(referral, email.body) and opens(referral, html)
    assert "Badly lit" in email.subject and "Coldharbour Lane by the bus garage" in email.body
    assert "Ask the council to mend the lamp" in email.body and "openstreetmap.org" in email.body
    assert "90 days" in email.body
    # Sent once, whatever the dispatcher does next.
    send_due()
    assert len(partner_mail("partner_referral")) == 1

    body = client.get(reverse("patrols:concern_detail", args=[concern.pk])).content.decode()
    assert "With Lambeth Council" in body and "Re-route to another partner" in body


def test_her_words_go_to_the_partner_only_when_shared(concern, officer, council):
    Concern.objects.filter(pk=concern.pk).update(resident_said_shared=True)
    concern.refresh_from_db()
    refer(concern, council, officer.user)
    send_due()
    [email] = partner_mail("partner_referral")
    assert HER_WORDS in email.body


def test_reroute_ends_the_old_referral_and_keeps_history(client, concern, officer, sergeant, council, tfl):
    first = refer(concern, council, officer.user)
    client.force_login(sergeant)
    response = client.post(reverse("patrols:concern_refer", args=[concern.pk]), {"partner": tfl.pk})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state == Referral.State.REROUTED and first.ended_at is not None
    current = Referral.objects.current().get(concern=concern)
    assert current.partner == tfl
    assert concern.referrals.count() == 2
    concern.refresh_from_db()
    assert concern.partner == tfl
    assert concern.updates.filter(
        note__startswith="Re-routed from Lambeth Council to Transport for London"
    ).exists()
    body = client.get(reverse("patrols:concern_detail", args=[concern.pk])).content.decode()
    assert "Lambeth Council — re-routed to another partner, ended" in body
    send_due()
    # The first partner's email was sent before the re-route or, if not yet, not at all: never stale.
    assert [m.to for m in partner_mail("partner_referral")][-1] == ["stops@tfl.example.org"]
    # The old link now says it is no longer theirs, and offers no form.
    old = client.get(page(first))
    assert old.status_code == 200 and "no longer with you" in old.content.decode()
    assert 'name="kind"' not in old.content.decode()


def test_one_partner_at_a_time(concern, officer, council):
    refer(concern, council, officer.user)
    with pytest.raises(referrals.ReferralError, match="already with Lambeth Council"):
        refer(concern, council, officer.user)
    assert Referral.objects.current().filter(concern=concern).count() == 1


def test_refer_errors_show_on_the_form(client, concern, officer, council):
    client.force_login(officer.user)
    url = reverse("patrols:concern_refer", args=[concern.pk])
    response = client.post(url, {"partner": "999999"})
    assert response.status_code == 200 and "Choose one of the partners listed." in response.content.decode()
    refer(concern, council, officer.user)
    response = client.post(url, {"partner": council.pk, "team": "x" * 500})
    assert (
        response.status_code == 200 and "Please shorten this to 120 characters" in response.content.decode()
    )
    assert Referral.objects.count() == 1


def test_refer_is_post_only_and_only_for_her_and_the_sergeant(client, concern, council, resident):
    url = reverse("patrols:concern_refer", args=[concern.pk])
    client.force_login(concern.officer.user)
    assert client.get(url).status_code == 405
    other = OfficerFactory(display_name="PC Beth Brown", wards=[ward("Brixton North")])
    client.force_login(other.user)
    assert client.post(url, {"partner": council.pk}).status_code == 404
    client.force_login(resident.user)
    assert client.post(url, {"partner": council.pk}).status_code in (403, 404)
    other_resident = ResidentFactory(preferred_name="Bola")
    client.force_login(other_resident.user)
    assert client.post(url, {"partner": council.pk}).status_code in (403, 404)
    assert not Referral.objects.exists()


# --- The link -----------------------------------------------------------------------------------


def test_each_use_renews_the_link_and_is_audited(client, concern, officer, council):
    referral = refer(concern, council, officer.user)
    later = timezone.now() + timedelta(days=60)
    with time_machine.travel(later, tick=False):
        response = client.get(page(referral))
    assert response.status_code == 200
    referral.refresh_from_db()
    assert referral.link_last_used_at == later and referral.link_expires_at == later + timedelta(days=90)
    event = AuditEvent.objects.filter(actor_label="partner link: Lambeth Council").get()
    assert event.actor is None and event.action == AuditEvent.Action.VIEWED
    # 60 + 89 days after referring: still good, because it was used on day 60.
    with time_machine.travel(later + timedelta(days=89), tick=False):
        assert client.get(page(referral)).status_code == 200


def test_the_partner_page_is_private_and_has_no_quick_exit(client, concern, officer, council):
    referral = refer(concern, council, officer.user)
    response = client.get(page(referral))
    assert "no-store" in response["Cache-Control"]
    # same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" with the answer form,
    # and the CSRF check refuses it (the browser journey found this). Other sites still learn nothing.
    assert response["Referrer-Policy"] == "same-origin"
    body = response.content.decode()
    assert '<meta name="referrer" content="same-origin">' in body
    assert "Exit this page" not in body and "quick-exit" not in body


@pytest.mark.parametrize("how", ["altered", "revoked", "expired", "garbage"])
def test_a_refused_link_shows_no_data(client, concern, officer, sergeant, council, how):
    referral = refer(concern, council, officer.user)
    token = token_of(referral)
    url = reverse("patrols:partner_referral", args=[token])
    expected = 403
    if how == "altered":
        url = reverse("patrols:partner_referral", args=[token[:-2] + ("AA" if token[-2:] != "AA" else "BB")])
    if how == "garbage":
        url = reverse("patrols:partner_referral", args=["not-a-token"])
    if how == "revoked":
        referrals.revoke_link(referral=referral, by=sergeant)
    if how == "expired":
        expected = 410
    moment = timezone.now() + timedelta(days=91 if how == "expired" else 0)
    with time_machine.travel(moment, tick=False):
        for response in (client.get(url), client.post(url, {"kind": Answer.FIXED})):
            assert response.status_code == expected
            body = response.content.decode()
            assert "Coldharbour" not in body and "Badly lit" not in body and "Lambeth Council" not in body
            assert not secrets_in(body)
            assert "020 7230 1212" in body  # a way to get a new link
            assert "no-store" in response["Cache-Control"]
    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT and referral.acknowledged_at is None
    assert not ConcernUpdate.objects.filter(answer=Answer.FIXED).exists()


def test_expired_says_expired_and_revoked_says_withdrawn(client, concern, officer, sergeant, council):
    referral = refer(concern, council, officer.user)
    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        assert "has expired" in client.get(page(referral)).content.decode()
    referrals.revoke_link(referral=referral, by=sergeant)
    body = client.get(reverse("patrols:partner_referral", args=[referrals.link_token(referral)])).content
    assert "withdrawn" in body.decode()


def test_a_new_link_works_after_revocation(client, concern, officer, sergeant, council):
    referral = refer(concern, council, officer.user)
    old = token_of(referral)
    referrals.revoke_link(referral=referral, by=sergeant)
    referrals.send_new_link(referral=Referral.objects.get(pk=referral.pk), by=sergeant)
    assert client.get(reverse("patrols:partner_referral", args=[old])).status_code == 403
    assert client.get(page(referral)).status_code == 200


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    junk=st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/"), min_size=1)
)
def test_any_token_is_refused_cleanly(client, junk):
    response = client.get(f"/partner/referral/{quote(junk, safe='')}/")
    assert response.status_code in (403, 404)


# --- The partner's page and every answer --------------------------------------------------------


@pytest.fixture
def referral(concern, officer, council):
    return refer(concern, council, officer.user)


def answer_page(client, referral, **data):
    return client.post(page(referral), data)


def test_the_page_shows_the_concern_as_a_partner_may_see_it(client, concern, officer, referral):
    concern_service.add_update(concern=concern, by=officer.user, note=f"Spoke to {NAME} again")
    concern_service.add_update(
        concern=concern,
        by=officer.user,
        note="The lamp is the third from the corner",
        share_with_partner=True,
    )
    body = client.get(page(referral)).content.decode()
    assert "Badly lit" in body and "High" in body and "After dark" in body
    assert "Coldharbour Lane by the bus garage" in body and "Brixton North" in body and "Lambeth" in body
    assert "51.462100" in body and "https://www.openstreetmap.org/?mlat=51.462100" in body
    assert "Ask the council to mend the lamp" in body
    assert "The lamp is the third from the corner" in body and "Referred to Lambeth Council" in body
    assert not secrets_in(body), secrets_in(body)  # her name in the unshared note stays out too
    for kind, _ in Answer.choices:
        assert f'value="{kind}"' in body


def test_acknowledge(client, referral):
    response = answer_page(client, referral, kind=Answer.ACKNOWLEDGE)
    assert response.status_code == 302 and same_link(response.url, page(referral))
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACKNOWLEDGED and referral.acknowledged_at is not None
    follow = client.get(response.url)
    assert "Thank you — your answer is on the concern." in follow.content.decode()
    assert AuditEvent.objects.filter(actor_label="partner link: Lambeth Council", action="changed").exists()
    assert referral.concern.updates.filter(answer=Answer.ACKNOWLEDGE, shared_with_partner=True).exists()


def test_target_date(client, referral):
    target = timezone.localdate() + timedelta(days=14)
    answer_page(client, referral, kind=Answer.TARGET_DATE, target_date=target.isoformat())
    referral.refresh_from_db()
    assert referral.target_date == target and referral.state == Referral.State.ACKNOWLEDGED
    concern = Concern.objects.get(pk=referral.concern_id)
    assert concern.plain_status == f"Lambeth Council: aims to fix it by {target:%-d %B %Y}"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("past", "The target date is in the past"),
        ("9999-12-31", "Choose a target date between"),
        ("2027-02-30", "Enter a real date"),
        ("", "Give the date you aim to fix it by."),
    ],
)
def test_a_bad_target_date_is_refused(client, referral, value, message):
    if value == "past":
        value = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = answer_page(client, referral, kind=Answer.TARGET_DATE, target_date=value)
    assert response.status_code == 200 and message in response.content.decode()
    referral.refresh_from_db()
    assert referral.target_date is None and referral.acknowledged_at is None
    assert not ConcernUpdate.objects.filter(answer__gt="").exists()


def test_fixed_resolves_and_asks_her(client, referral, resident):
    response = answer_page(client, referral, kind=Answer.FIXED, note="New lamp head fitted")
    assert response.status_code == 302
    concern = Concern.objects.get(pk=referral.concern_id)
    assert concern.status == Concern.Status.RESOLVED
    assert Notification.objects.filter(kind="concern_resolved", recipient=resident.user).count() == 1
    assert Notification.objects.filter(kind="partner_answered", recipient=concern.officer.user).count() == 1
    client.force_login(resident.user)
    body = client.get(reverse("patrols:walk_detail", args=[concern.walk_id])).content.decode()
    assert f"Lambeth Council: fixed on {timezone.localtime(concern.resolved_at, LONDON):%-d %B %Y}" in body
    # What the officer reads: the answer is the partner's, said so.
    client.force_login(concern.officer.user)
    body = client.get(reverse("patrols:concern_detail", args=[concern.pk])).content.decode()
    assert "Lambeth Council: fixed" in body and "New lamp head fitted" in body
    send_due()
    [email] = partner_mail("partner_answered")
    assert email.to == [concern.officer.user.email]
    assert email.subject.startswith("Lambeth Council answered: fixed")
    assert reverse("patrols:concern_detail", args=[concern.pk]) in email.body
    # Fixed twice is refused, nothing more written.
    client.logout()
    response = answer_page(client, referral, kind=Answer.FIXED)
    assert "already marked this fixed" in response.content.decode()
    assert ConcernUpdate.objects.filter(answer=Answer.FIXED).count() == 1


def test_partly_fixed(client, referral):
    answer_page(client, referral, kind=Answer.PARTLY_FIXED, note="One of two lamps mended")
    referral.refresh_from_db()
    assert referral.state == Referral.State.PARTLY_FIXED and referral.is_current
    concern = Concern.objects.get(pk=referral.concern_id)
    assert concern.status == Concern.Status.REFERRED
    assert concern.plain_status.startswith("Lambeth Council: partly fixed")


def test_not_ours_goes_back_to_the_officer_and_the_sergeant(client, referral, sergeant):
    answer_page(client, referral, kind=Answer.NOT_OURS, suggested="Network Rail")
    referral.refresh_from_db()
    assert referral.state == Referral.State.NOT_OURS and not referral.is_current
    concern = Concern.objects.get(pk=referral.concern_id)
    assert concern.status == Concern.Status.OPEN and concern.partner is None
    told = set(Notification.objects.filter(kind="partner_answered").values_list("recipient", flat=True))
    assert told == {concern.officer.user_id, sergeant.pk}
    assert "They suggest: Network Rail" in concern.updates.get(answer=Answer.NOT_OURS).note
    body = client.get(page(referral)).content.decode()
    assert "no longer with you" in body and 'name="kind"' not in body


def test_wont_fix_needs_a_reason_and_closes(client, referral, sergeant):
    response = answer_page(client, referral, kind=Answer.WONT_FIX)
    assert response.status_code == 200 and "Say why you won’t fix it" in response.content.decode()
    assert Concern.objects.get(pk=referral.concern_id).status == Concern.Status.REFERRED
    answer_page(client, referral, kind=Answer.WONT_FIX, reason="Private land, not adopted")
    concern = Concern.objects.get(pk=referral.concern_id)
    assert concern.status == Concern.Status.CLOSED and "Private land" in concern.closed_reason
    told = set(Notification.objects.filter(kind="partner_answered").values_list("recipient", flat=True))
    assert told == {concern.officer.user_id, sergeant.pk}


def test_question_tells_the_officer(client, referral):
    response = answer_page(client, referral, kind=Answer.QUESTION)
    assert "Write your question." in response.content.decode()
    answer_page(client, referral, kind=Answer.QUESTION, note="Which side of the road?")
    concern = Concern.objects.get(pk=referral.concern_id)
    assert Notification.objects.filter(kind="partner_answered", recipient=concern.officer.user).count() == 1
    referral.refresh_from_db()
    assert referral.acknowledged_at is None  # a question is not an acknowledgement


def test_note(client, referral):
    answer_page(client, referral, kind=Answer.NOTE, note="Survey booked")
    update = ConcernUpdate.objects.get(answer=Answer.NOTE)
    assert "Survey booked" in update.note and update.shared_with_partner
    assert not Notification.objects.filter(kind="partner_answered").exists()  # seen on her page


def test_the_history_lists_what_was_shared_oldest_first_and_who_wrote_it(client, concern, officer, referral):
    concern_service.add_update(concern=concern, by=officer.user, note=f"Spoke to {NAME} again")
    concern_service.add_update(concern=concern, by=officer.user, note="Third lamp", share_with_partner=True)
    answer_page(client, referral, kind=Answer.NOTE, note="Survey booked")
    body = client.get(page(referral)).content.decode()
    history = re.findall(r'<li class="border-start border-3 ps-2 mb-2">(.*?)</li>', body, re.S)
    who = [re.sub(r"<.*?>", " ", entry.split("·", 1)[1]).strip() for entry in history]
    assert [w.split()[0:2] for w in who] == [["Police", "team"], ["Police", "team"], ["Lambeth", "Council"]]
    assert "Referred to Lambeth Council" in history[0] and "Third lamp" in history[1]
    assert "Survey booked" in history[2] and NAME not in body  # her name in the unshared note stays out


@pytest.mark.parametrize("field", ["note", "reason", "suggested"])
def test_a_huge_text_is_refused_and_nothing_saved(client, referral, field):
    data = {"kind": Answer.WONT_FIX, "reason": "Private land", field: "x" * 100_000}
    response = answer_page(client, referral, **data)
    assert response.status_code == 200 and "Please shorten this to" in response.content.decode()
    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT and referral.acknowledged_at is None
    assert not ConcernUpdate.objects.filter(answer__gt="").exists()


def test_the_service_refuses_a_huge_answer_too(referral):
    with pytest.raises(referrals.ReferralError, match="too long"):
        referrals.answer(referral=referral, kind=Answer.NOTE, note="x" * 100_000)
    assert not ConcernUpdate.objects.filter(answer__gt="").exists()


def test_an_unknown_answer_is_refused(client, referral):
    response = answer_page(client, referral, kind="delete_everything")
    assert response.status_code == 200 and "Choose one of the answers." in response.content.decode()


def test_wrong_method_on_the_partner_page(client, referral):
    assert client.put(page(referral)).status_code == 405


def test_a_concern_closed_by_the_police_is_no_longer_with_the_partner(client, concern, officer, referral):
    concern_service.add_update(
        concern=concern,
        by=officer.user,
        note="Closing",
        new_status=Concern.Status.CLOSED,
        closed_reason="Dup",
    )
    body = client.get(page(referral)).content.decode()
    assert "no longer with you" in body and "The police have closed this concern." in body
    response = answer_page(client, referral, kind=Answer.FIXED)
    assert response.status_code == 200 and not ConcernUpdate.objects.filter(answer=Answer.FIXED).exists()


# --- Sharing a note with the partner ------------------------------------------------------------


def test_a_shared_note_is_emailed_to_the_partner_with_the_link(client, concern, officer, referral):
    client.force_login(officer.user)
    url = reverse("patrols:concern_detail", args=[concern.pk])
    assert "Share this note with Lambeth Council" in client.get(url).content.decode()
    response = client.post(url, {"note": "Third lamp from the corner", "share_with_partner": "on"})
    assert response.status_code == 302
    update = concern.updates.get(note="Third lamp from the corner")
    assert update.shared_with_partner and update.referral == referral
    client.post(url, {"note": f"{NAME} is relieved"})
    assert not concern.updates.get(note=f"{NAME} is relieved").shared_with_partner
    send_due()
    [email] = partner_mail("partner_note")
    assert "Third lamp from the corner" in email.body and opens(referral, email.body)
    assert not secrets_in(email.body)


def test_sharing_needs_a_partner(concern, officer):
    with pytest.raises(concern_service.ConcernError, match="not with a partner"):
        concern_service.add_update(concern=concern, by=officer.user, note="Hi", share_with_partner=True)
    assert not concern.updates.exists()


# --- Chasing ------------------------------------------------------------------------------------


def test_chased_once_after_five_working_days_over_a_bank_holiday(concern, officer, council):
    # Friday 22 May 2026; Monday 25 May is the spring bank holiday: five working days end Monday 1 June.
    friday = datetime(2026, 5, 22, 10, 0, tzinfo=LONDON)
    with time_machine.travel(friday, tick=False):
        referral = refer(concern, council, officer.user)
    assert timezone.localtime(referral.ack_due_at, LONDON) == datetime(2026, 6, 1, 10, 0, tzinfo=LONDON)
    with time_machine.travel(datetime(2026, 6, 1, 9, 59, tzinfo=LONDON), tick=False):
        assert tasks.chase_referrals() == 0
    with time_machine.travel(datetime(2026, 6, 1, 10, 0, tzinfo=LONDON), tick=False):
        assert tasks.chase_referrals() == 1
        assert tasks.chase_referrals() == 0
    with time_machine.travel(datetime(2026, 6, 9, 10, 0, tzinfo=LONDON), tick=False):
        assert tasks.chase_referrals() == 0
        send_due()
        [email] = partner_mail("partner_chase")
        assert opens(referral, email.body)
    assert "reminder" in email.body.lower() and "5 working days" in email.body
    assert not secrets_in(email.body)
    assert Notification.objects.filter(kind="partner_chase").count() == 1


def test_an_acknowledged_referral_is_not_chased(client, concern, officer, council):
    friday = datetime(2026, 5, 22, 10, 0, tzinfo=LONDON)
    with time_machine.travel(friday, tick=False):
        referral = refer(concern, council, officer.user)
        answer_page(client, referral, kind=Answer.ACKNOWLEDGE)
    with time_machine.travel(datetime(2026, 6, 2, 10, 0, tzinfo=LONDON), tick=False):
        assert tasks.chase_referrals() == 0


def test_the_officer_sees_chased_and_overdue(client, concern, officer, council):
    referral = refer(concern, council, officer.user)
    target = timezone.localdate() + timedelta(days=1)
    referrals.answer(referral=referral, kind=Answer.TARGET_DATE, target_date=target)
    # Three days on (the page reads the date now): past its target, and chased earlier.
    target -= timedelta(days=3)
    Referral.objects.filter(pk=referral.pk).update(chased_at=timezone.now(), target_date=target)
    client.force_login(officer.user)
    body = client.get(reverse("patrols:concern_detail", args=[concern.pk])).content.decode()
    assert "Overdue" in body and "Chased" in body and f"{target:%-d %b %Y}" in body


# --- "Not fixed", says the resident -------------------------------------------------------------


def test_not_fixed_goes_back_to_the_partner_with_the_link(client, concern, referral, resident):
    referrals.answer(referral=referral, kind=Answer.FIXED)
    client.force_login(resident.user)
    response = client.post(reverse("patrols:concern_fixed", args=[concern.pk]), {"note": "Still dark"})
    assert response.status_code == 302
    concern.refresh_from_db()
    referral.refresh_from_db()
    assert concern.status == Concern.Status.REFERRED and referral.state == Referral.State.REOPENED
    send_due()
    [email] = partner_mail("partner_reopened")
    assert email.to == council_contacts(referral)
    assert "not fixed" in email.body and opens(referral, email.body)
    assert not secrets_in(email.body) and "Still dark" not in email.body
    client.logout()
    body = client.get(page(referral)).content.decode()
    assert "Reopened: not fixed, says the resident" in body and "Still dark" not in body


def council_contacts(referral) -> list[str]:
    return list(referral.partner.contact_emails)


# --- Nothing about her, anywhere a partner looks ------------------------------------------------


def test_no_partner_page_or_email_carries_anything_about_her(
    client, concern, officer, sergeant, council, tfl
):
    referral = refer(concern, council, officer.user)
    concern_service.add_update(concern=concern, by=officer.user, note=f"Called {NAME} on {PHONE}")
    concern_service.add_update(concern=concern, by=officer.user, note="Lamp 3", share_with_partner=True)
    bodies = [client.get(page(referral)).content.decode()]
    referrals.answer(referral=referral, kind=Answer.FIXED)
    concern_service.add_update(concern=concern, by=officer.user, note="Thanks", share_with_partner=True)
    client.force_login(concern.walk.resident.user)
    client.post(reverse("patrols:concern_fixed", args=[concern.pk]), {"note": f"{NAME} says no"})
    client.logout()
    Referral.objects.filter(pk=referral.pk).update(ack_due_at=timezone.now() - timedelta(minutes=1))
    referrals.chase_unacknowledged()
    bodies.append(client.get(page(referral)).content.decode())
    send_due()  # before the re-route, which makes the first partner's unsent messages moot
    refer(concern, tfl, sergeant)
    bodies.append(client.get(page(referral)).content.decode())
    send_due()
    kinds = {m.extra_headers["X-Walkandtalk-Kind"] for m in mail.outbox}
    assert {"partner_referral", "partner_note", "partner_reopened"} <= kinds
    for email in mail.outbox:
        if not email.extra_headers["X-Walkandtalk-Kind"].startswith("partner_") or (
            email.extra_headers["X-Walkandtalk-Kind"] == "partner_answered"
        ):
            continue
        bodies += [email.subject, email.body, email.alternatives[0][0]]
    for body in bodies:
        assert not secrets_in(body), secrets_in(body)


def test_the_chase_email_too(concern, officer, council):
    referral = refer(concern, council, officer.user)
    Referral.objects.filter(pk=referral.pk).update(ack_due_at=timezone.now() - timedelta(minutes=1))
    assert referrals.chase_unacknowledged() == 1
    send_due()
    [email] = partner_mail("partner_chase")
    for body in (email.subject, email.body, email.alternatives[0][0]):
        assert not secrets_in(body)


def test_a_date_in_the_far_past_is_refused_on_the_form(client, referral):
    response = answer_page(
        client, referral, kind=Answer.TARGET_DATE, target_date=date(1900, 1, 1).isoformat()
    )
    assert response.status_code == 200 and "Choose a target date between" in response.content.decode()


def test_the_partner_page_refuses_a_post_without_the_csrf_token(referral):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.post(page(referral), {"kind": Answer.ACKNOWLEDGE}).status_code == 403
    referral.refresh_from_db()
    assert referral.acknowledged_at is None


@pytest.mark.parametrize("count", [1, 50])
def test_the_partner_page_and_its_answer_cost_at_most_12_queries(
    client, concern, council, officer, count, django_assert_max_num_queries
):
    """Issue 16 point 3, with 1 or 50 updates shared with the partner on its page."""
    referral = refer(concern, council, officer.user)
    for index in range(count - 1):
        concern_service.add_update(
            concern=concern, by=officer.user, note=f"Still dark, visit {index}", share_with_partner=True
        )
    address = page(referral)
    with django_assert_max_num_queries(12):
        response = client.get(address)
    assert len(response.context["history"]) == count
    with django_assert_max_num_queries(12):
        response = client.post(address, {"kind": Answer.ACKNOWLEDGE})
    assert response.status_code == 302


def test_an_answer_reads_its_referral_once_locked_and_is_judged_on_that_row(
    client, concern, council, officer, django_assert_max_num_queries
):
    """Issue 16: the answer POST opens the link and writes the answer in one transaction, reading the
    referral and its concern once, locked (not once to open the link and again to answer)."""
    referral = refer(concern, council, officer.user)
    address, target = page(referral), timezone.localdate() + timedelta(days=30)
    with django_assert_max_num_queries(12) as captured:
        response = client.post(address, {"kind": Answer.TARGET_DATE, "target_date": target.isoformat()})
    assert response.status_code == 302
    statements = [query["sql"] for query in captured.captured_queries]
    reads = [sql for sql in statements if sql.startswith("EXECUTE joined_referral_")]
    reads += [sql for sql in statements if sql.startswith("SELECT") and "patrols_referral" in sql]
    assert len(reads) == 1, statements
    # One transaction: the view's (a savepoint here only because the test runs in a transaction of its
    # own), none nested for the answer.
    assert len([sql for sql in statements if sql.startswith("SAVEPOINT")]) == 1, statements
    name = reads[0].split()[1].split("(")[0]  # a statement prepared on this connection (patrols.prepared)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [name])
        (prepared,) = cursor.fetchone()
    assert prepared.endswith('FOR UPDATE OF root, "concern"'), prepared
    referral.refresh_from_db()
    assert (referral.state, referral.target_date) == (Referral.State.ACKNOWLEDGED, target)
    assert referral.link_last_used_at is not None  # the link was renewed in the same request
    assert ConcernUpdate.objects.filter(referral=referral, answer=Answer.TARGET_DATE).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # a test transaction would hide the lack
def test_a_link_is_opened_to_answer_only_inside_the_answers_transaction(referral):
    """A lock taken outside a transaction would end with its statement: both ends refuse."""
    with pytest.raises(TransactionManagementError):
        referrals.open_link(token_of(referral), answering=True)
    with pytest.raises(TransactionManagementError):
        referrals.answer(referral=referral, kind=Answer.ACKNOWLEDGE, locked=True)
    assert not ConcernUpdate.objects.filter(referral=referral, answer=Answer.ACKNOWLEDGE).exists()
