"""Issue 15: the sergeant's admin for partners, routing rules and referrals.

Every page works for the sergeant and no one else; the Partner form says what is wrong with hostile
input (a name of 100,000 characters, bad addresses, none at all) and saves nothing; a duplicate rule is
a message on the form, never a 500; the actions that outsiders see the effect of (revoking a link,
sending a new one, re-routing) ask first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from participants.models import Borough
from patrols import referrals
from patrols.models import LONDON, Concern, ConcernCategory, Partner, Referral, RoutingRule, Walk
from tests.factories import PartnerFactory, RoutingRuleFactory, WalkFactory
from walkandtalk.outbox.models import Notification

pytestmark = pytest.mark.django_db

# A Wednesday; five working days on is the next Wednesday.
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=LONDON)

PARTNERS = reverse("admin:patrols_partner_changelist")
RULES = reverse("admin:patrols_routingrule_changelist")
REFERRALS = reverse("admin:patrols_referral_changelist")
CONCERNS = reverse("admin:patrols_concern_changelist")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def lambeth():
    return Borough.objects.get(name="Lambeth")


@pytest.fixture
def council(lambeth):
    return PartnerFactory(name="Lambeth Council", boroughs=[lambeth])


@pytest.fixture
def tfl():
    return PartnerFactory(name="Transport for London", kind="transport")


WALKS = iter(range(1, 1000))


def make_concern(officer, resident, place="Holly Grove alley") -> Concern:
    starts = NOW - timedelta(days=20, hours=2 * next(WALKS))  # each on a walk of its own
    walk = WalkFactory(
        resident=resident,
        officer=officer,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        status=Walk.Status.COMPLETED,
    )
    return Concern.objects.create(
        walk=walk,
        officer=officer,
        ward=resident.ward,
        category=ConcernCategory.objects.get(name="Badly lit"),
        location_text=place,
        resident_said="SAID-BY-AMIRA",
    )


@pytest.fixture
def referral(officer_a, resident_a, council) -> Referral:
    concern = make_concern(officer_a, resident_a)
    return referrals.refer(concern=concern, partner=council, by=officer_a.user, now=NOW - timedelta(days=10))


@pytest.fixture
def signed_in(client, sergeant):
    client.force_login(sergeant)
    return client


# --- Who may open them ----------------------------------------------------------------------------


def pages(referral) -> list[str]:
    rule = RoutingRuleFactory(partner=referral.partner, category=referral.concern.category)
    return [
        PARTNERS,
        reverse("admin:patrols_partner_add"),
        reverse("admin:patrols_partner_change", args=[referral.partner_id]),
        RULES,
        reverse("admin:patrols_routingrule_add"),
        reverse("admin:patrols_routingrule_change", args=[rule.pk]),
        REFERRALS,
        reverse("admin:patrols_referral_change", args=[referral.pk]),
        reverse("admin:patrols_concern_change", args=[referral.concern_id]),
    ]


def test_every_page_works_for_the_sergeant(signed_in, referral):
    for url in pages(referral):
        response = signed_in.get(url)
        assert response.status_code == 200, url
    concern_page = signed_in.get(reverse("admin:patrols_concern_change", args=[referral.concern_id]))
    assert "its history with partners" in concern_page.content.decode()


def test_officers_residents_and_strangers_are_refused(client, referral, officer_a, resident_a):
    urls = pages(referral)
    for url in urls:
        assert client.get(url, follow=True).redirect_chain[-1][0].startswith(reverse("account_login"))
    for user in (officer_a.user, resident_a.user):
        client.force_login(user)
        for url in urls:
            assert client.get(url, follow=True).status_code == 403, url
        # An action posted straight at the list changes nothing.
        client.post(REFERRALS, {"action": "revoke_links", "apply": "1", ACTION_CHECKBOX_NAME: [referral.pk]})
    referral.refresh_from_db()
    assert referral.link_revoked_at is None and referral.link_version == 1


def test_referral_history_cannot_be_edited(signed_in, referral):
    page = signed_in.get(reverse("admin:patrols_referral_change", args=[referral.pk])).content.decode()
    assert 'name="_save"' not in page
    assert signed_in.get(reverse("admin:patrols_referral_add")).status_code == 403


# --- The Partner form -------------------------------------------------------------------------------


def partner_form(**fields) -> dict:
    return {
        "name": "Thameside Homes",
        "kind": "housing",
        "contact_emails": "repairs@thameside.example.org",
        "is_active": "on",
        **fields,
    }


def test_sergeant_adds_a_partner_with_boroughs_and_several_contacts(signed_in, lambeth):
    southwark = Borough.objects.get(name="Southwark")
    form = signed_in.get(reverse("admin:patrols_partner_add")).content.decode()
    assert 'type="checkbox" name="boroughs"' in form  # boroughs as checkboxes, each labelled
    response = signed_in.post(
        reverse("admin:patrols_partner_add"),
        partner_form(
            boroughs=[lambeth.pk, southwark.pk],
            contact_emails="repairs@thameside.example.org,\n asb@thameside.example.org; "
            "REPAIRS@thameside.example.org",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    partner = Partner.objects.get(name="Thameside Homes")
    assert partner.contact_emails == ["repairs@thameside.example.org", "asb@thameside.example.org"]
    assert set(partner.boroughs.values_list("name", flat=True)) == {"Lambeth", "Southwark"}
    change = signed_in.get(reverse("admin:patrols_partner_change", args=[partner.pk])).content.decode()
    assert "repairs@thameside.example.org, asb@thameside.example.org" in change


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "x" * 100_000}, "120 characters"),
        ({"contact_emails": "repairs@thameside.example.org, not-an-email"}, "“not-an-email” is not an email"),
        ({"contact_emails": "a@b@example.org"}, "is not an email address"),
        ({"contact_emails": "@" * 100_000}, "is not an email address"),
        ({"contact_emails": ""}, "needs at least one contact email"),
        ({"contact_emails": "   ,  ; "}, "needs at least one contact email"),
        (
            {"contact_emails": ", ".join(f"team{n}@thameside.example.org" for n in range(11))},
            "at most 10 addresses",
        ),
        ({"name": ""}, "This field is required"),
    ],
)
def test_hostile_input_in_the_partner_form_is_a_clear_message(signed_in, fields, message):
    response = signed_in.post(reverse("admin:patrols_partner_add"), partner_form(**fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Partner.objects.exists()  # nothing half-saved


def test_a_partner_that_takes_no_referrals_may_have_no_contact(signed_in):
    form = partner_form(contact_emails="")
    del form["is_active"]
    assert signed_in.post(reverse("admin:patrols_partner_add"), form).status_code == 302
    assert Partner.objects.get(name="Thameside Homes").contact_emails == []


def test_a_duplicate_partner_name_is_a_message(signed_in, council):
    response = signed_in.post(reverse("admin:patrols_partner_add"), partner_form(name="Lambeth Council"))
    assert "Partner with this Name already exists" in response.content.decode()


def test_partner_list_counts_current_referrals_and_links_to_them(
    signed_in, referral, council, tfl, officer_a, resident_a, django_assert_max_num_queries
):
    ended = make_concern(officer_a, resident_a, "Rye Lane car park")
    referrals.refer(concern=ended, partner=tfl, by=officer_a.user)
    referrals.refer(concern=ended, partner=council, by=officer_a.user)  # re-routed: TfL's has ended
    with django_assert_max_num_queries(12):
        html = signed_in.get(PARTNERS).content.decode()
    assert "Lambeth Council" in html and "Transport for London" in html
    assert f"?partner__id__exact={council.pk}&amp;current=yes" in html
    rows = {p.name: p.current_count for p in signed_in.get(PARTNERS).context["cl"].result_list}
    assert rows == {"Lambeth Council": 2, "Transport for London": 0}
    listed = signed_in.get(REFERRALS, {"partner__id__exact": tfl.pk, "current": "no"})
    assert [r.state for r in listed.context["cl"].result_list] == [Referral.State.REROUTED]


def test_partner_list_has_the_same_queries_with_one_partner_or_many(signed_in):
    PartnerFactory(name="Only Council")
    signed_in.get(PARTNERS)  # the session and content types, once
    with CaptureQueriesContext(connection) as one:
        signed_in.get(PARTNERS)
    for n in range(20):
        PartnerFactory(name=f"Council {n}", boroughs=[Borough.objects.first()])
    with CaptureQueriesContext(connection) as many:
        signed_in.get(PARTNERS)
    assert len(many) == len(one)


# --- Routing rules --------------------------------------------------------------------------------


def rule_form(**fields) -> dict:
    return {"category": "", "borough": "", "partner": "", "team": "", **fields}


def test_sergeant_adds_a_rule(signed_in, council, lambeth):
    lit = ConcernCategory.objects.get(name="Badly lit")
    response = signed_in.post(
        reverse("admin:patrols_routingrule_add"),
        rule_form(category=lit.pk, borough=lambeth.pk, partner=council.pk, team="street lighting"),
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.category, rule.borough, rule.partner, rule.team) == (
        lit,
        lambeth,
        council,
        "street lighting",
    )
    assert "Badly lit in Lambeth" in signed_in.get(RULES).content.decode()


@pytest.mark.parametrize(
    ("existing", "posted", "message"),
    [
        # "Any category × any borough" is no rule at all: the check constraint says so on the form.
        (None, {}, "Choose a category, a borough or both."),
        # Anything in Lambeth, twice: empty category cells are equal here (NULLS NOT DISTINCT).
        ({"category": None}, {}, "There is already a rule for this category and borough."),
        ({"category": "lit"}, {"category": "lit"}, "There is already a rule for this category and borough."),
    ],
)
def test_a_duplicate_or_empty_rule_is_a_message_never_a_500(
    signed_in, council, tfl, lambeth, existing, posted, message
):
    lit = ConcernCategory.objects.get(name="Badly lit")
    resolve = {"lit": lit, None: None}
    if existing is not None:
        RoutingRuleFactory(partner=council, borough=lambeth, category=resolve[existing["category"]])
    before = RoutingRule.objects.count()
    fields = {"partner": tfl.pk}
    if existing is not None:
        fields["borough"] = lambeth.pk
    if posted.get("category"):
        fields["category"] = resolve[posted["category"]].pk
    response = signed_in.post(reverse("admin:patrols_routingrule_add"), rule_form(**fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert RoutingRule.objects.count() == before


def test_rules_are_edited_in_the_list(signed_in, council, tfl, lambeth):
    stop = ConcernCategory.objects.get(name="Unsafe transport stop")
    lit = ConcernCategory.objects.get(name="Badly lit")
    first = RoutingRuleFactory(partner=council, borough=lambeth, category=None)
    second = RoutingRuleFactory(partner=council, category=stop, borough=None)
    page = signed_in.get(RULES)
    assert 'aria-label="Partner: Unsafe transport stop anywhere"' in page.content.decode()
    row = {r.pk: i for i, r in enumerate(page.context["cl"].result_list)}
    a, b = row[first.pk], row[second.pk]
    form = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        f"form-{a}-id": first.pk,
        f"form-{a}-category": "",
        f"form-{a}-borough": lambeth.pk,
        f"form-{a}-partner": council.pk,
        f"form-{a}-team": "",
        f"form-{b}-id": second.pk,
        f"form-{b}-category": stop.pk,
        f"form-{b}-borough": "",
        f"form-{b}-partner": tfl.pk,
        f"form-{b}-team": "buses",
        "_save": "Save",
    }
    assert signed_in.post(RULES, form).status_code == 302
    second.refresh_from_db()
    assert (second.partner, second.team) == (tfl, "buses")

    # Both rows made "anything in Southwark" at once: each is new to the database, so only the
    # database sees the clash: a message, nothing saved.
    southwark = Borough.objects.get(name="Southwark")
    clash = dict(form)
    clash[f"form-{a}-borough"] = southwark.pk
    clash[f"form-{b}-category"], clash[f"form-{b}-borough"] = "", southwark.pk
    response = signed_in.post(RULES, clash, follow=True)
    assert response.status_code == 200
    assert "two rules would be for the same category and borough" in response.content.decode()
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.category, first.borough) == (stop, lambeth)

    # One row made the same as another rule in the database: the row says so.
    RoutingRuleFactory(partner=tfl, category=lit, borough=lambeth)
    clash = dict(form)
    clash[f"form-{b}-category"], clash[f"form-{b}-borough"] = lit.pk, lambeth.pk
    response = signed_in.post(RULES, clash)
    assert response.status_code == 200
    assert "There is already a rule for this category and borough." in response.content.decode()

    # The list asks for each drop-down's choices once, however many rules.
    with CaptureQueriesContext(connection) as few:
        signed_in.get(RULES)
    for category in ConcernCategory.objects.exclude(pk__in=[lit.pk, stop.pk])[:10]:
        RoutingRuleFactory(partner=council, category=category, borough=lambeth)
    with CaptureQueriesContext(connection) as many:
        signed_in.get(RULES)
    assert len(many) == len(few) <= 20


# --- Referrals: the history list, its filters and actions -------------------------------------------


def test_referral_list_filters(
    signed_in, referral, officer_a, resident_a, tfl, django_assert_max_num_queries
):
    # `referral` was made 10 days ago and never answered: past its 5 working days.
    answered = referrals.refer(
        concern=make_concern(officer_a, resident_a, "Bus stop on Rye Lane"),
        partner=tfl,
        by=officer_a.user,
        now=NOW - timedelta(days=9),
    )
    referrals.answer(
        referral=answered,
        kind=referrals.Answer.TARGET_DATE,
        target_date=(NOW - timedelta(days=3)).date(),
        now=NOW - timedelta(days=8),
    )
    with django_assert_max_num_queries(16):
        page = signed_in.get(REFERRALS)
    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == 2
    html = page.content.decode()
    assert "SAID-BY-AMIRA" not in html

    def listed(**params):
        return [r.pk for r in signed_in.get(REFERRALS, params).context["cl"].result_list]

    assert listed(acknowledged="waiting") == [referral.pk]
    assert listed(acknowledged="on_time") == [answered.pk]
    assert listed(overdue="yes") == [answered.pk]
    assert listed(state="sent") == [referral.pk]
    assert listed(partner__id__exact=tfl.pk) == [answered.pk]
    assert listed(fixed="yes") == []
    # The dashboard's links: an area and a period.
    assert listed(**{"concern__ward__id__exact": resident_a.ward_id}) == [answered.pk, referral.pk]
    assert listed(
        referred_at__gte=(NOW - timedelta(days=9, hours=1)).isoformat(), referred_at__lt=NOW.isoformat()
    ) == [answered.pk]
    # An impossible date in the address is refused the way Django refuses unknown filters.
    assert signed_in.get(REFERRALS, {"referred_at__gte": "9999-99-99"}).status_code in (200, 302)


def test_revoking_a_link_asks_first_then_the_link_stops(signed_in, referral):
    token = referrals.link_token(referral)
    chosen = {"action": "revoke_links", ACTION_CHECKBOX_NAME: [referral.pk]}
    page = signed_in.post(REFERRALS, chosen)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Withdraw the link of these referrals?" in html and "Yes, revoke the links" in html
    referral.refresh_from_db()
    assert referral.link_revoked_at is None  # asked, not done

    done = signed_in.post(REFERRALS, {**chosen, "apply": "1"}, follow=True)
    assert "the partner can no longer open it" in done.content.decode()
    referral.refresh_from_db()
    assert referral.link_revoked_at is not None and referral.link_version == 2
    with pytest.raises(referrals.LinkRefused) as refused:
        referrals.open_link(token)
    assert refused.value.reason == "revoked"


def test_sending_a_new_link_asks_first_then_emails_the_partner(signed_in, referral):
    signed_in.post(REFERRALS, {"action": "revoke_links", "apply": "1", ACTION_CHECKBOX_NAME: [referral.pk]})
    emails_before = Notification.objects.filter(kind="partner_referral").count()
    chosen = {"action": "send_new_links", ACTION_CHECKBOX_NAME: [referral.pk]}
    page = signed_in.post(REFERRALS, chosen).content.decode()
    assert "Email a new link" in page and referral.partner.contact_emails[0] in page
    assert Notification.objects.filter(kind="partner_referral").count() == emails_before

    done = signed_in.post(REFERRALS, {**chosen, "apply": "1"}, follow=True)
    assert "Sent a new link for 1 referral(s)" in done.content.decode()
    referral.refresh_from_db()
    assert referral.link_revoked_at is None and referral.link_version == 3
    assert Notification.objects.filter(kind="partner_referral").count() == emails_before + 1
    assert referrals.open_link(referrals.link_token(referral)).pk == referral.pk


def test_a_new_link_for_an_ended_referral_is_refused_with_a_message(signed_in, referral, tfl):
    referrals.refer(concern=referral.concern, partner=tfl, by=referral.referred_by)
    done = signed_in.post(
        REFERRALS,
        {"action": "send_new_links", "apply": "1", ACTION_CHECKBOX_NAME: [referral.pk]},
        follow=True,
    )
    assert "This referral has ended: refer the concern again instead." in done.content.decode()


def test_sergeant_reroutes_from_the_concern_list(signed_in, referral, tfl):
    chosen = {"action": "reroute", ACTION_CHECKBOX_NAME: [referral.concern_id]}
    page = signed_in.post(CONCERNS, chosen)
    assert page.status_code == 200 and "Re-route them" in page.content.decode()
    missing = signed_in.post(CONCERNS, {**chosen, "apply": "1", "partner": ""})
    assert "This field is required" in missing.content.decode()

    done = signed_in.post(CONCERNS, {**chosen, "apply": "1", "partner": tfl.pk, "team": "buses"}, follow=True)
    assert "Re-routed 1 concern(s) to Transport for London" in done.content.decode()
    concern = Concern.objects.get(pk=referral.concern_id)
    assert concern.partner == tfl
    referral.refresh_from_db()
    assert referral.state == Referral.State.REROUTED
    assert concern.referrals.current().get().team == "buses"

    again = signed_in.post(CONCERNS, {**chosen, "apply": "1", "partner": tfl.pk}, follow=True)
    assert "already with Transport for London" in again.content.decode()


def test_the_concern_page_does_not_edit_the_partner_by_hand(signed_in, referral, tfl):
    url = reverse("admin:patrols_concern_change", args=[referral.concern_id])
    page = signed_in.get(url).content.decode()
    assert 'name="partner"' not in page
