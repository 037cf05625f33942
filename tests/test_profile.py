"""The resident's profile: completing sign-up (which pairs her), changing it; the officer's residents."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from participants.models import Officer, Pairing, Resident
from participants.roles import OFFICERS, RESIDENTS
from tests.factories import OfficerFactory, PairingFactory, ResidentFactory, UserFactory, ward
from tests.outbox import send_due

pytestmark = pytest.mark.django_db

PROFILE_CREATE = reverse("participants:profile_create")
PROFILE = reverse("participants:profile")
MY_RESIDENTS = reverse("participants:my_residents")
MY_WALKS = reverse("patrols:my_walks")


@pytest.fixture
def new_resident_user(client):
    """Signed up and verified, but no profile yet."""
    user = UserFactory(group=RESIDENTS)
    client.force_login(user)
    return user


def profile_data(**overrides):
    data = {
        "preferred_name": "Nia",
        "ward": ward("Peckham").pk,
        "contact_channel": "email",
        "mobile": "",
        "language": "en",
        "access_needs": "I walk with a pushchair",
        "usual_walk_times": "Weekday evenings",
        "baseline_safety": "2",
        "privacy_consent": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_profile_form_groups_wards_by_borough_and_never_asks_for_an_address(client, new_resident_user):
    response = client.get(PROFILE_CREATE)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<optgroup label="Lambeth">' in html
    assert '<optgroup label="Southwark">' in html
    assert "address" not in {name.lower() for name in response.context["form"].fields}
    assert "privacy notice" in html


def test_completing_the_profile_pairs_her_and_stores_consent(client, new_resident_user):
    officer = OfficerFactory(display_name="PC Jo Lane", collar_number="5150AS")
    response = client.post(PROFILE_CREATE, profile_data(), follow=True)
    send_due()  # her pairing message, from the outbox

    resident = Resident.objects.get(user=new_resident_user)
    assert resident.privacy_consent_at is not None
    assert resident.access_needs == "I walk with a pushchair"
    assert resident.baseline_safety == 2
    assert Pairing.objects.active().get(resident=resident).officer == officer
    assert response.redirect_chain[-1][0] == MY_WALKS
    html = response.content.decode()
    assert "PC Jo Lane" in html and "5150AS" in html
    assert "walk code" in html  # how to check it is her
    assert mail.outbox[-1].to == [new_resident_user.email]


def test_with_no_officer_free_she_is_told_she_is_waiting(client, new_resident_user):
    response = client.post(PROFILE_CREATE, profile_data(), follow=True)
    html = response.content.decode()
    assert "waiting list" in html
    assert Resident.objects.get(user=new_resident_user).is_waiting


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"privacy_consent": None}, "privacy_consent", "You need to agree to the privacy notice"),
        ({"ward": ""}, "ward", "This field is required"),
        ({"ward": "999999"}, "ward", "Select a valid choice"),
        ({"contact_channel": "sms", "mobile": ""}, "mobile", "Enter your mobile number"),
        ({"contact_channel": "sms", "mobile": "not a number"}, "mobile", "Enter a UK mobile number"),
        ({"contact_channel": "sms", "mobile": "020 7946 0000"}, "mobile", "That is not a mobile number"),
        ({"baseline_safety": "9"}, "baseline_safety", "Select a valid choice"),
        ({"preferred_name": "   "}, "preferred_name", "This field is required"),
    ],
)
def test_bad_input_gets_a_clear_message_and_keeps_what_she_typed(
    client, new_resident_user, overrides, field, message
):
    response = client.post(PROFILE_CREATE, profile_data(**overrides))

    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    html = response.content.decode()
    assert "There is a problem" in html  # the summary at the top
    # linking to the field (a radio group: to its first radio, issue 14 point 11)
    anchor = form[field].id_for_label or form[field].subwidgets[0].id_for_label
    assert anchor and f'href="#{anchor}"' in html and f'id="{anchor}"' in html
    assert "I walk with a pushchair" in html  # kept
    assert "Weekday evenings" in html
    assert not Resident.objects.filter(user=new_resident_user).exists()


def test_a_resident_with_a_profile_is_sent_to_edit_it(client, resident_a):
    client.force_login(resident_a.user)
    assert client.get(PROFILE_CREATE).url == PROFILE


def test_my_walks_sends_a_resident_without_a_profile_to_complete_it(client, new_resident_user):
    assert client.get(MY_WALKS).url == PROFILE_CREATE


def test_she_can_change_anything_she_entered(client, resident_a):
    client.force_login(resident_a.user)
    response = client.get(PROFILE)
    assert response.status_code == 200
    assert "Amira" in response.content.decode()

    data = profile_data(preferred_name="Amy", access_needs="", contact_channel="sms", mobile="07911 123456")
    data.pop("privacy_consent")
    response = client.post(PROFILE, data)

    assert response.status_code == 302
    resident_a.refresh_from_db()
    assert resident_a.preferred_name == "Amy"
    assert resident_a.contact_channel == "sms"
    assert str(resident_a.mobile) == "+447911123456"


def test_moving_to_a_ward_her_officer_does_not_cover_pairs_her_afresh(client, resident_a, officer_a):
    brixton = OfficerFactory(wards=[ward("Brixton North")])
    client.force_login(resident_a.user)
    data = profile_data(ward=ward("Brixton North").pk)
    data.pop("privacy_consent")

    client.post(PROFILE, data)

    current = Pairing.objects.active().get(resident=resident_a)
    assert current.officer == brixton
    ended = Pairing.objects.get(resident=resident_a, officer=officer_a)
    assert ended.end_reason == "She moved to Brixton North ward"


def test_bad_input_on_the_edit_form_keeps_her_saved_details(client, resident_a):
    client.force_login(resident_a.user)
    data = profile_data(preferred_name="Amy", contact_channel="sms", mobile="")
    data.pop("privacy_consent")
    response = client.post(PROFILE, data)
    assert response.status_code == 200
    assert "Enter your mobile number" in response.content.decode()
    resident_a.refresh_from_db()
    assert resident_a.preferred_name == "Amira"  # nothing saved


def test_my_walks_shows_her_officer_and_how_to_check_it_is_her(client, resident_a, officer_a):
    client.force_login(resident_a.user)
    html = client.get(MY_WALKS).content.decode()
    assert officer_a.display_name in html
    assert officer_a.collar_number in html
    assert "No walks booked yet" in html


def test_officer_sees_only_her_own_residents(client, officer_a, resident_a, resident_b):
    resident_a.access_needs = "Uses a walking stick"
    resident_a.save()
    client.force_login(officer_a.user)
    response = client.get(MY_RESIDENTS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Amira" in html and "Uses a walking stick" in html and "Peckham" in html
    assert "Bola" not in html


def test_officer_residents_page_has_an_empty_state(client, officer_a):
    client.force_login(officer_a.user)
    assert "No residents are paired with you yet" in client.get(MY_RESIDENTS).content.decode()


@pytest.mark.parametrize("count", [1, 50])
def test_my_residents_query_count_does_not_grow_with_residents(
    client, officer_a, count, django_assert_num_queries
):
    for _ in range(count):
        PairingFactory(resident=ResidentFactory(), officer=officer_a)
    client.force_login(officer_a.user)
    # session, user (with her role, second factor and officer profile), her residents, one audit
    # insert for all of them
    with django_assert_num_queries(4):
        response = client.get(MY_RESIDENTS)
    assert len(response.context["residents"]) == count


@pytest.mark.parametrize("url", [PROFILE_CREATE, PROFILE, MY_WALKS])
def test_resident_pages_are_for_residents_only(client, url, officer_a, sergeant):
    assert client.get(url).status_code == 302  # anonymous: to sign in
    assert reverse("account_login") in client.get(url).url
    for user in (officer_a.user, sergeant):
        client.force_login(user)
        assert client.get(url).status_code == 403


def test_officer_pages_are_for_officers_only(client, resident_a, sergeant):
    assert reverse("account_login") in client.get(MY_RESIDENTS).url
    for user in (resident_a.user, sergeant):
        client.force_login(user)
        assert client.get(MY_RESIDENTS).status_code == 403


def test_wrong_methods_are_refused(client, resident_a, officer_a):
    client.force_login(resident_a.user)
    assert client.delete(PROFILE).status_code == 405
    assert client.post(MY_WALKS).status_code == 405
    client.force_login(officer_a.user)
    assert client.post(MY_RESIDENTS).status_code == 405


def test_signing_up_puts_her_in_the_residents_group(db):
    assert Group.objects.filter(name=RESIDENTS).exists()


def test_her_officer_profile_comes_with_her_user_row_and_is_never_stale(client, officer_a):
    """Her profile is read with her user row on each request (participants.backends), not kept from
    an earlier one: what the sergeant changes shows on her next page; an officers' group member with
    no profile gets a 404, not an error."""
    client.force_login(officer_a.user)
    assert officer_a.display_name in client.get(MY_RESIDENTS).content.decode()
    Officer.objects.filter(pk=officer_a.pk).update(display_name="PC Ada Renamed", capacity=3)
    html = client.get(MY_RESIDENTS).content.decode()
    assert "PC Ada Renamed" in html and "of 3 places taken" in html

    client.force_login(UserFactory(group=OFFICERS, totp=True))
    assert client.get(MY_RESIDENTS).status_code == 404
