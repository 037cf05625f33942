"""Concerns: logging (also as a retried draft), validation, follow-up, what each person sees;
disclosures kept apart."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patrols import concerns as concern_service
from patrols import referrals
from patrols.models import Concern, ConcernCategory, Disclosure, Walk
from tests.factories import OfficerFactory, PairingFactory, PartnerFactory, ResidentFactory, WalkFactory, ward
from walkandtalk.outbox.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def walk(resident_a, officer_a):
    start = timezone.now() - timedelta(minutes=30)
    return WalkFactory(
        resident=resident_a, officer=officer_a, starts_at=start, ends_at=start + timedelta(hours=1),
        status=Walk.Status.IN_PROGRESS,
    )  # fmt: skip


@pytest.fixture
def badly_lit():
    return ConcernCategory.objects.get(name="Badly lit")


def concern_data(category, /, **overrides):
    data = {
        "latitude": "51.473500",
        "longitude": "-0.069000",
        "location_text": "",
        "category": category.pk,
        "severity": "high",
        "when_it_matters": "after_dark",
        "resident_said": "The lamp has been out for months",
        "action": "Report to the council's street lighting team",
        "draft_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def url(walk):
    return reverse("patrols:concern_new", args=[walk.pk])


def test_the_categories_are_streetsafes():
    names = set(ConcernCategory.objects.values_list("name", flat=True))
    assert {"Badly lit", "No or broken CCTV", "Unsafe transport stop", "Being followed", "Other"} <= names
    assert ConcernCategory.objects.count() == 13


def test_officer_logs_a_concern_with_gps_on_the_walk(client, walk, officer_a, badly_lit):
    client.force_login(officer_a.user)
    assert client.get(url(walk)).status_code == 200
    response = client.post(url(walk), concern_data(badly_lit))
    assert response.status_code == 302
    concern = Concern.objects.get()
    assert concern.walk == walk and concern.officer == officer_a and concern.ward == walk.resident.ward
    assert str(concern.latitude) == "51.473500" and concern.severity == "high"
    assert concern.status == Concern.Status.OPEN


@pytest.mark.parametrize("category", ["inactive", "99999999999999999999", "0", "1.0", "Badly lit", " "])
def test_only_an_active_category_is_a_choice(client, walk, officer_a, badly_lit, category):
    """Anything but an active category's id is "not one of the choices", on the form, saving nothing;
    the category, once retired by the sergeant, at once (it is read on each POST, not kept)."""
    if category == "inactive":
        ConcernCategory.objects.filter(pk=badly_lit.pk).update(is_active=False)
        category = str(badly_lit.pk)
    client.force_login(officer_a.user)
    response = client.post(url(walk), concern_data(badly_lit, category=category))
    assert response.status_code == 200 and not Concern.objects.exists()
    [error] = response.context["form"].errors["category"]
    assert "not one of the available choices" in error or "Choose what the concern is about" in error
    ConcernCategory.objects.filter(pk=badly_lit.pk).update(is_active=True)
    assert client.post(url(walk), concern_data(badly_lit)).status_code == 302
    assert Concern.objects.get().category == badly_lit


def test_a_street_name_is_enough(client, walk, officer_a, badly_lit):
    client.force_login(officer_a.user)
    client.post(
        url(walk), concern_data(badly_lit, latitude="", longitude="", location_text="Holly Grove alley")
    )
    assert Concern.objects.get().location_text == "Holly Grove alley"


def test_several_concerns_per_walk(client, walk, officer_a, badly_lit):
    client.force_login(officer_a.user)
    for _ in range(3):
        client.post(url(walk), concern_data(badly_lit))
    assert walk.concerns.count() == 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"latitude": "", "longitude": "", "location_text": ""}, "Give a location"),
        ({"latitude": "48.856600", "longitude": "2.352200"}, "outside Greater London"),
        ({"longitude": ""}, "The map pin is incomplete"),
        ({"category": ""}, "Choose what the concern is about."),
        ({"severity": "apocalyptic"}, "Select a valid choice"),
        ({"latitude": "51.5<script>"}, "Enter a number"),
        ({"draft_key": "not-a-uuid"}, "Enter a valid UUID"),
    ],
)
def test_bad_input_gets_a_clear_message_and_keeps_what_she_typed(
    client, walk, officer_a, badly_lit, overrides, message
):
    client.force_login(officer_a.user)
    response = client.post(url(walk), concern_data(badly_lit, **overrides))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "There is a problem" in html
    assert "The lamp has been out for months" in html
    assert "street lighting team" in html
    assert not Concern.objects.exists()


def test_concerns_are_logged_on_started_or_finished_walks_only(client, walk, officer_a, badly_lit):
    walk.status = Walk.Status.BOOKED
    walk.save()
    client.force_login(officer_a.user)
    response = client.post(url(walk), concern_data(badly_lit))
    assert "logged on a walk that has started or finished" in response.content.decode()
    assert not Concern.objects.exists()


def test_only_her_officer_or_the_sergeant_logs_against_the_walk(
    client, walk, officer_b, resident_a, sergeant, badly_lit
):
    client.force_login(officer_b.user)
    assert client.get(url(walk)).status_code == 404
    assert client.post(url(walk), concern_data(badly_lit)).status_code == 404
    client.force_login(resident_a.user)
    assert client.post(url(walk), concern_data(badly_lit)).status_code == 403
    assert not Concern.objects.exists()
    client.force_login(sergeant)
    assert client.post(url(walk), concern_data(badly_lit)).status_code == 302
    assert Concern.objects.count() == 1


def test_the_same_draft_sent_twice_makes_one_concern(client, walk, officer_a, badly_lit):
    client.force_login(officer_a.user)
    data = concern_data(badly_lit)
    first = client.post(url(walk), data, headers={"Accept": "application/json"})
    again = client.post(url(walk), data, headers={"Accept": "application/json"})
    assert first.status_code == again.status_code == 200
    assert first.json()["ok"] and first.json()["created"] is True
    assert again.json()["created"] is False
    assert first.json()["concern"] == again.json()["concern"]
    assert Concern.objects.count() == 1


def test_a_draft_refused_by_the_server_answers_json_errors(client, walk, officer_a, badly_lit):
    client.force_login(officer_a.user)
    data = concern_data(badly_lit, latitude="", longitude="", location_text="")
    response = client.post(url(walk), data, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "Give a location" in response.json()["errors"]["location_text"][0]


def test_a_draft_key_cannot_be_reused_on_another_walk(walk, officer_a, badly_lit):
    key = uuid.uuid4()
    concern_service.log_concern(
        walk=walk, by=officer_a.user, category=badly_lit, severity="low", when_it_matters="always",
        location_text="Here", draft_key=key,
    )  # fmt: skip
    other_walk = WalkFactory(
        resident=walk.resident, officer=officer_a, starts_at=walk.starts_at - timedelta(days=2),
        ends_at=walk.ends_at - timedelta(days=2), status=Walk.Status.COMPLETED,
    )  # fmt: skip
    with pytest.raises(concern_service.ConcernError, match="another walk"):
        concern_service.log_concern(
            walk=other_walk, by=officer_a.user, category=badly_lit, severity="low", when_it_matters="always",
            location_text="There", draft_key=key,
        )  # fmt: skip


@pytest.fixture
def concern(walk, officer_a, badly_lit):
    made, _ = concern_service.log_concern(
        walk=walk, by=officer_a.user, category=badly_lit, severity="high", when_it_matters="after_dark",
        location_text="Holly Grove alley", resident_said="Pitch dark after 5",
    )  # fmt: skip
    return made


def test_follow_up_moves_a_concern_along_with_dated_updates(client, concern, officer_a):
    client.force_login(officer_a.user)
    detail = reverse("patrols:concern_detail", args=[concern.pk])
    client.post(detail, {"note": "Reported to Lambeth highways, ref 1234", "new_status": "referred"})
    concern.refresh_from_db()
    assert concern.status == Concern.Status.REFERRED
    client.post(detail, {"note": "Lamp replaced", "new_status": "resolved"})
    concern.refresh_from_db()
    assert concern.status == Concern.Status.RESOLVED and concern.resolved_at is not None
    assert [u.note for u in concern.updates.all()] == [
        "Reported to Lambeth highways, ref 1234",
        "Lamp replaced",
    ]
    assert [u.new_status for u in concern.updates.all()] == ["referred", "resolved"]
    # "is it fixed?" to her, and — every concern from the walk being resolved — the offer of a repeat walk
    kinds = set(
        Notification.objects.filter(recipient=concern.walk.resident.user).values_list("kind", flat=True)
    )
    assert {"concern_resolved", "repeat_walk_offer"} <= kinds
    assert "Reported to Lambeth highways" in client.get(detail).content.decode()


def test_a_note_alone_keeps_the_status(client, concern, officer_a):
    client.force_login(officer_a.user)
    client.post(
        reverse("patrols:concern_detail", args=[concern.pk]), {"note": "Chased the council", "new_status": ""}
    )
    concern.refresh_from_db()
    assert concern.status == Concern.Status.OPEN
    assert concern.updates.get().note == "Chased the council"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"note": "", "new_status": "referred"}, "Write what happened."),
        ({"note": "Won't fix", "new_status": "closed", "closed_reason": ""}, "Give the reason for closing"),
        ({"note": "x", "new_status": "sideways"}, "Select a valid choice"),
    ],
)
def test_bad_follow_ups_are_refused_clearly(client, concern, officer_a, data, message):
    client.force_login(officer_a.user)
    response = client.post(reverse("patrols:concern_detail", args=[concern.pk]), data)
    assert message in response.content.decode()
    concern.refresh_from_db()
    assert concern.status == Concern.Status.OPEN and not concern.updates.exists()


def test_a_resolved_concern_cannot_jump_back_to_referred(concern, officer_a):
    concern_service.add_update(concern=concern, by=officer_a.user, note="Fixed", new_status="resolved")
    with pytest.raises(concern_service.ConcernError, match="can’t become referred"):
        concern_service.add_update(concern=concern, by=officer_a.user, note="x", new_status="referred")


def test_only_the_officer_who_logged_it_or_the_sergeant_follows_it_up(
    client, concern, officer_b, resident_a, sergeant
):
    detail = reverse("patrols:concern_detail", args=[concern.pk])
    client.force_login(officer_b.user)
    assert client.get(detail).status_code == 404
    assert client.post(detail, {"note": "hijack"}).status_code == 404
    client.force_login(resident_a.user)
    assert client.get(detail).status_code == 403
    client.force_login(sergeant)
    assert client.post(detail, {"note": "Sergeant chased it"}).status_code == 302
    assert concern.updates.count() == 1


def test_she_sees_her_walks_concerns_in_plain_words(client, concern, officer_a, resident_a, resident_b):
    page = reverse("patrols:walk_detail", args=[concern.walk.pk])
    client.force_login(resident_a.user)
    html = client.get(page).content.decode()
    assert "Badly lit" in html and "Holly Grove alley" in html
    assert "Recorded — the officer is looking into it" in html
    concern_service.add_update(concern=concern, by=officer_a.user, note="Reported", new_status="referred")
    assert "Reported to the people who can fix it" in client.get(page).content.decode()
    referrals.refer(concern=concern, partner=PartnerFactory(name="Southwark Council"), by=officer_a.user)
    assert "Reported to Southwark Council" in client.get(page).content.decode()
    concern_service.add_update(concern=concern, by=officer_a.user, note="Fixed", new_status="resolved")
    assert "Southwark Council: fixed on " in client.get(page).content.decode()
    client.force_login(resident_b.user)
    assert client.get(page).status_code == 404


def test_my_open_concerns_oldest_first_and_only_hers(client, walk, officer_a, officer_b, badly_lit):
    concern_service.log_concern(
        walk=walk, by=officer_a.user, category=badly_lit, severity="low", when_it_matters="always",
        location_text="Older place", now=timezone.now() - timedelta(days=20),
    )  # fmt: skip
    concern_service.log_concern(
        walk=walk, by=officer_a.user, category=badly_lit, severity="low", when_it_matters="always",
        location_text="Newer place",
    )  # fmt: skip
    resolved, _ = concern_service.log_concern(
        walk=walk, by=officer_a.user, category=badly_lit, severity="low", when_it_matters="always",
        location_text="Fixed place",
    )  # fmt: skip
    concern_service.add_update(concern=resolved, by=officer_a.user, note="Done", new_status="resolved")
    other_walk = WalkFactory(officer=officer_b, status=Walk.Status.IN_PROGRESS)
    concern_service.log_concern(
        walk=other_walk, by=officer_b.user, category=badly_lit, severity="low", when_it_matters="always",
        location_text="Someone else's place",
    )  # fmt: skip
    client.force_login(officer_a.user)
    html = client.get(reverse("patrols:my_concerns")).content.decode()
    assert html.index("Older place") < html.index("Newer place")
    assert "Fixed place" not in html and "Someone else" not in html


@pytest.mark.parametrize("count", [1, 50])
def test_list_pages_keep_a_constant_query_count(
    client, walk, officer_a, badly_lit, count, django_assert_num_queries
):
    for index in range(count):
        concern_service.log_concern(
            walk=walk, by=officer_a.user, category=badly_lit, severity="low", when_it_matters="always",
            latitude=51.47, longitude=-0.07, location_text=f"Place {index}",
        )  # fmt: skip
    client.force_login(officer_a.user)
    # session, user (with her role and second factor), count for the paginator, the page of concerns,
    # the ones without a map pin (count and list in one)
    with django_assert_num_queries(5):
        client.get(reverse("patrols:my_concerns"))
    # session, user (with her role, second factor and officer profile), map points, count, the page,
    # categories, the ones without a map pin
    with django_assert_num_queries(7):
        response = client.get(reverse("patrols:area_concerns"))
    assert len(response.context["points"]) == count


def test_area_view_shows_concerns_from_her_wards_anonymised(client, officer_a, badly_lit):
    colleague = OfficerFactory(wards=[ward("Peckham")])
    neighbour = ResidentFactory(preferred_name="Zainab", ward=ward("Peckham"))
    PairingFactory(resident=neighbour, officer=colleague)
    their_walk = WalkFactory(resident=neighbour, officer=colleague, status=Walk.Status.COMPLETED)
    concern_service.log_concern(
        walk=their_walk, by=colleague.user, category=badly_lit, severity="high", when_it_matters="after_dark",
        latitude=51.47, longitude=-0.07, location_text="Bellenden Road underpass",
        resident_said="SECRET-WORDS",
    )  # fmt: skip
    far = OfficerFactory(wards=[ward("Oval")])
    far_resident = ResidentFactory(ward=ward("Oval"))
    far_walk = WalkFactory(resident=far_resident, officer=far, status=Walk.Status.COMPLETED)
    concern_service.log_concern(
        walk=far_walk, by=far.user, category=badly_lit, severity="low", when_it_matters="always",
        location_text="Oval far away place",
    )  # fmt: skip
    client.force_login(officer_a.user)  # covers Peckham

    html = client.get(reverse("patrols:area_concerns")).content.decode()

    assert "Bellenden Road underpass" in html
    assert "Zainab" not in html and "SECRET-WORDS" not in html
    assert "Oval far away place" not in html
    filtered = client.get(reverse("patrols:area_concerns"), {"status": "resolved"}).content.decode()
    assert "Bellenden Road underpass" not in filtered


def test_a_disclosure_is_recorded_apart_and_seen_only_by_her_officer_and_the_sergeant(
    client, walk, officer_a, officer_b, resident_a, resident_b, sergeant, badly_lit
):
    client.force_login(officer_a.user)
    response = client.post(
        reverse("patrols:disclosure_new", args=[walk.pk]),
        {
            "what_was_said": "DISCLOSED-TEXT-7781 about her ex-partner",
            "referral_made": "Referred to the MASH",
            "referred_to": "MASH",
            "reference": "CAD 1234",
        },
    )
    assert response.status_code == 302
    disclosure = Disclosure.objects.get()
    assert disclosure.walk == walk and disclosure.officer == officer_a
    concern_service.log_concern(
        walk=walk, by=officer_a.user, category=badly_lit, severity="low", when_it_matters="always",
        latitude=51.47, longitude=-0.07, location_text="Lamp post",
    )  # fmt: skip
    concern = Concern.objects.get()
    secret = "DISCLOSED-TEXT-7781"
    walk_page = reverse("patrols:walk_detail", args=[walk.pk])
    for user in (officer_a.user, sergeant):
        client.force_login(user)
        assert secret in client.get(walk_page, follow=True).content.decode()  # hers: in the app
    pages = [
        walk_page,
        reverse("patrols:my_walks"),
        reverse("patrols:today"),
        reverse("patrols:my_concerns"),
        reverse("patrols:area_concerns"),
        reverse("patrols:concern_detail", args=[concern.pk]),
        reverse("patrols:schedule"),
        reverse("participants:my_residents"),
        reverse("patrols:walk_invite", args=[walk.pk]),
    ]
    for user in (resident_a.user, resident_b.user, officer_b.user):
        client.force_login(user)
        for page in pages:
            assert secret not in client.get(page).content.decode(), (user, page)
    # and the officer's own area and concern pages never carry it either
    client.force_login(officer_a.user)
    for page in pages[2:]:
        assert secret not in client.get(page).content.decode(), page
    assert not Notification.objects.filter(idempotency_key__contains="disclosure").exists()


def test_disclosure_form_rejects_missing_details_and_keeps_them(
    client, walk, officer_a, officer_b, resident_a
):
    client.force_login(officer_a.user)
    response = client.post(
        reverse("patrols:disclosure_new", args=[walk.pk]),
        {"what_was_said": "Kept words", "referral_made": "", "referred_to": ""},
    )
    html = response.content.decode()
    assert "Write the referral you made." in html and "Who did you refer it to?" in html
    assert "Kept words" in html
    assert not Disclosure.objects.exists()
    client.force_login(officer_b.user)
    assert client.get(reverse("patrols:disclosure_new", args=[walk.pk])).status_code == 404
    client.force_login(resident_a.user)
    assert client.get(reverse("patrols:disclosure_new", args=[walk.pk])).status_code == 403


@pytest.mark.parametrize("count", [1, 50])
def test_logging_a_concern_costs_at_most_12_queries_however_many_it_has(
    client, walk, officer_a, badly_lit, count, django_assert_max_num_queries
):
    """Issue 16 point 3: session, user, groups (role), her second factor, the walk, the category, the
    concern, its audit row (plus the test's savepoint around the INSERT): no existence or constraint
    checks before it, which the INSERT makes anyway."""
    for index in range(count):
        concern_service.log_concern(
            walk=walk, by=officer_a.user, category=badly_lit, severity="low", when_it_matters="always",
            latitude=51.47, longitude=-0.07, location_text=f"Place {index}",
        )  # fmt: skip
    client.force_login(officer_a.user)
    with django_assert_max_num_queries(12):
        response = client.post(url(walk), concern_data(badly_lit), HTTP_ACCEPT="application/json")
    assert response.json()["ok"] is True
    assert walk.concerns.count() == count + 1


def test_a_concern_outside_london_refused_by_the_database_says_so(walk, officer_a, badly_lit):
    """Its check constraint is the database's now (no query before the INSERT): the officer still
    gets the rule's own words, and nothing is saved."""
    with pytest.raises(concern_service.ConcernError, match="outside Greater London"):
        concern_service.log_concern(
            walk=walk, by=officer_a.user, category=badly_lit, severity="low", when_it_matters="always",
            latitude=52.2, longitude=0.12,
        )  # fmt: skip
    with pytest.raises(concern_service.ConcernError, match="Give a location"):
        concern_service.log_concern(
            walk=walk, by=officer_a.user, category=badly_lit, severity="low", when_it_matters="always"
        )
    assert not walk.concerns.exists()
