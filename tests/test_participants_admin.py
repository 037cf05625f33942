"""The sergeant's controls in the admin: officers, residents, the waiting list, pairing history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from participants import pairing
from participants.models import Pairing
from tests.factories import OfficerFactory, ResidentFactory, ward

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "admin:participants_resident_changelist",
    "admin:participants_officer_changelist",
    "admin:participants_waitingresident_changelist",
    "admin:participants_pairing_changelist",
    "admin:participants_ward_changelist",
    "admin:participants_borough_changelist",
    "admin:participants_user_changelist",
]


@pytest.mark.parametrize("name", CHANGELISTS)
def test_sergeant_sees_every_list(admin_client_for, name):
    response = admin_client_for.get(reverse(name))
    assert response.status_code == 200


@pytest.fixture
def admin_client_for(client, sergeant, resident_a, resident_b):
    client.force_login(sergeant)
    return client


@pytest.mark.parametrize("name", ["admin:index", *CHANGELISTS])
def test_officers_and_residents_cannot_open_the_admin(client, officer_a, resident_a, name):
    # anonymous: through the admin login to allauth's sign-in page
    assert client.get(reverse(name), follow=True).redirect_chain[-1][0].startswith(reverse("account_login"))
    for user in (officer_a.user, resident_a.user):
        client.force_login(user)
        assert client.get(reverse(name), follow=True).status_code == 403


def test_admin_login_goes_through_allauth(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_waiting_list_is_oldest_first(client, sergeant):
    OfficerFactory(capacity=0)
    newer, older = ResidentFactory(preferred_name="Newer"), ResidentFactory(preferred_name="Older")
    newer.waiting_since = timezone.now()
    newer.save()
    older.waiting_since = timezone.now() - timedelta(days=9)
    older.save()
    client.force_login(sergeant)
    html = client.get(reverse("admin:participants_waitingresident_changelist")).content.decode()
    assert html.index("Older") < html.index("Newer")


def test_reassign_action_asks_for_officer_and_reason_then_moves_her(client, sergeant, resident_a, officer_b):
    client.force_login(sergeant)
    url = reverse("admin:participants_resident_changelist")
    base = {"action": "reassign", ACTION_CHECKBOX_NAME: [resident_a.pk]}

    page = client.post(url, base)
    assert page.status_code == 200
    assert "Reassign to another officer" in page.content.decode()

    missing_reason = client.post(url, {**base, "apply": "1", "officer": officer_b.pk, "reason": ""})
    assert "This field is required" in missing_reason.content.decode()
    assert pairing.active_pairing(resident_a).officer != officer_b

    done = client.post(url, {**base, "apply": "1", "officer": officer_b.pk, "reason": "Closer to her shifts"})
    assert done.status_code == 302
    current = pairing.active_pairing(resident_a)
    assert current.officer == officer_b
    assert current.started_by == sergeant
    assert current.start_reason == "Closer to her shifts"


def test_reassigning_to_a_full_officer_shows_why(client, sergeant, resident_a, officer_b):
    officer_b.capacity = 0
    officer_b.save()
    client.force_login(sergeant)
    url = reverse("admin:participants_resident_changelist")
    data = {
        "action": "reassign",
        ACTION_CHECKBOX_NAME: [resident_a.pk],
        "apply": "1",
        "officer": officer_b.pk,
        "reason": "Asked",
    }
    response = client.post(url, data, follow=True)
    assert "has no room" in response.content.decode()
    assert pairing.active_pairing(resident_a).officer != officer_b


def test_end_pairing_action(client, sergeant, resident_a, officer_a):
    client.force_login(sergeant)
    url = reverse("admin:participants_resident_changelist")
    data = {"action": "end_pairing", ACTION_CHECKBOX_NAME: [resident_a.pk], "apply": "1", "reason": "Left"}
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    ended = Pairing.objects.get(resident=resident_a, officer=officer_a)
    assert ended.ended_by == sergeant and ended.end_reason == "Left"


def test_saving_an_officer_with_a_new_ward_pairs_the_waiting_list(client, sergeant):
    officer = OfficerFactory(wards=[ward("Peckham")])
    waiting = ResidentFactory(ward=ward("Oval"))
    pairing.pair_resident(resident=waiting)
    client.force_login(sergeant)
    url = reverse("admin:participants_officer_change", args=[officer.pk])
    data = {
        "user": officer.user.pk,
        "display_name": officer.display_name,
        "collar_number": officer.collar_number,
        "wards": [ward("Peckham").pk, ward("Oval").pk],
        "languages": "",
        "capacity": 8,
        "is_active": "on",
    }
    for prefix in ("availability_windows", "availability_exceptions"):  # the inlines, left empty
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert pairing.active_pairing(waiting).officer == officer


def test_pairing_history_cannot_be_edited(client, sergeant, resident_a):
    client.force_login(sergeant)
    current = pairing.active_pairing(resident_a)
    assert client.get(reverse("admin:participants_pairing_add")).status_code == 403
    assert client.post(reverse("admin:participants_pairing_delete", args=[current.pk])).status_code == 403


def test_pairing_history_shows_on_her_resident_page(client, sergeant, resident_a):
    client.force_login(sergeant)
    response = client.get(reverse("admin:participants_resident_change", args=[resident_a.pk]))
    assert "pairings" in {formset.formset.prefix for formset in response.context["inline_admin_formsets"]}
