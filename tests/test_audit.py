"""The audit trail (issue 9, point 4): staff views of residents, changes to residents, pairings, walks,
concerns and disclosures, exports and sign-ins are logged with who, what, which record, when and the
IP address; the log is append-only in the admin, in the model and in the database."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse
from django.utils import timezone

from participants import pairing
from participants.audit import actor_label
from participants.models import AuditEvent, AuditLogIsAppendOnly, Borough
from patrols import booking
from patrols import concerns as concern_service
from patrols.models import ConcernCategory, Disclosure, Walk
from tests.factories import PASSWORD, ResidentFactory, UserFactory, WalkFactory

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"
Action = AuditEvent.Action


def events(**filters):
    return AuditEvent.objects.filter(**filters)


@pytest.fixture
def walk(resident_a, officer_a):
    start = timezone.now() - timedelta(minutes=30)
    return WalkFactory(
        resident=resident_a,
        officer=officer_a,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        status=Walk.Status.IN_PROGRESS,
    )


def resident_viewed(resident):
    return events(action=Action.VIEWED, object_type="participants.resident", object_id=str(resident.pk))


# --- Staff views of a resident -------------------------------------------------------------------


def test_an_officer_opening_a_walk_logs_that_she_saw_the_resident(client, walk, officer_a):
    client.force_login(officer_a.user)
    assert client.get(reverse("patrols:officer_walk", args=[walk.pk]), REMOTE_ADDR=IP).status_code == 200
    [event] = resident_viewed(walk.resident)
    assert event.actor == officer_a.user and event.actor_label == officer_a.user.email
    assert event.ip_address == IP
    assert event.path == f"/app/walks/{walk.pk}/" and event.summary == f"walk {walk.pk}"
    assert timezone.now() - event.at < timedelta(minutes=1)


def test_the_sergeant_opening_a_walk_is_logged_too(client, walk, sergeant):
    client.force_login(sergeant)
    client.get(reverse("patrols:walk_detail", args=[walk.pk]), REMOTE_ADDR=IP)
    assert resident_viewed(walk.resident).get().actor == sergeant


def test_a_resident_seeing_her_own_walk_is_not_a_staff_view(client, walk, resident_a):
    client.force_login(resident_a.user)
    client.get(reverse("patrols:walk_detail", args=[walk.pk]))
    assert not resident_viewed(resident_a).exists()


@pytest.mark.parametrize("page", ["participants:my_residents", "patrols:today", "patrols:schedule"])
def test_officer_pages_listing_residents_log_each_one_shown(client, officer_a, page):
    residents = [ResidentFactory() for _ in range(3)]
    for index, resident in enumerate(residents):
        pairing.pair_resident(resident=resident)
        start = timezone.now() + timedelta(hours=2 + index)
        WalkFactory(resident=resident, officer=officer_a, starts_at=start, ends_at=start + timedelta(hours=1))
    client.force_login(officer_a.user)
    assert client.get(reverse(page), REMOTE_ADDR=IP).status_code == 200
    viewed = events(action=Action.VIEWED, actor=officer_a.user)
    assert sorted(int(e.object_id) for e in viewed) == sorted(r.pk for r in residents)
    assert {e.ip_address for e in viewed} == {IP}


def test_the_sergeant_opening_a_resident_in_the_admin_is_logged(client, sergeant, resident_a):
    client.force_login(sergeant)
    url = reverse("admin:participants_resident_change", args=[resident_a.pk])
    assert client.get(url, REMOTE_ADDR=IP).status_code == 200
    [event] = resident_viewed(resident_a)
    assert event.actor == sergeant and event.ip_address == IP and event.summary == "admin: resident record"
    # a resident that does not exist is not "viewed"
    client.get(reverse("admin:participants_resident_change", args=[999999]))
    assert resident_viewed(resident_a).count() == 1


# --- Changes -------------------------------------------------------------------------------------


def test_a_sergeant_changing_a_resident_in_the_admin_is_logged(client, sergeant, resident_a):
    client.force_login(sergeant)
    url = reverse("admin:participants_resident_change", args=[resident_a.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "preferred_name": "Amira K",
            "pairings-TOTAL_FORMS": "1",
            "pairings-INITIAL_FORMS": "1",
            "pairings-MIN_NUM_FORMS": "0",
            "pairings-MAX_NUM_FORMS": "1000",
            "pairings-0-id": resident_a.pairings.get().pk,
            "pairings-0-resident": resident_a.pk,
        }
    )
    response = client.post(url, data, REMOTE_ADDR=IP)
    assert response.status_code == 302, response.context["adminform"].form.errors
    [event] = events(action=Action.CHANGED, object_type="participants.resident")
    assert event.actor == sergeant and event.ip_address == IP and event.object_id == str(resident_a.pk)


def test_logging_a_concern_and_a_disclosure_on_a_walk_is_logged(client, walk, officer_a):
    client.force_login(officer_a.user)
    category = ConcernCategory.objects.get(name="Badly lit")
    client.post(
        reverse("patrols:concern_new", args=[walk.pk]),
        {"category": category.pk, "severity": "high", "when_it_matters": "after_dark",
         "latitude": "", "longitude": "", "location_text": "Bellenden Road underpass", "resident_said": "",
         "action": "", "partner": "", "draft_key": str(uuid.uuid4())},
        REMOTE_ADDR=IP,
    )  # fmt: skip
    client.post(
        reverse("patrols:disclosure_new", args=[walk.pk]),
        {"what_was_said": "Something serious", "referral_made": "Referred", "referred_to": "CAIT"},
        REMOTE_ADDR=IP,
    )
    concern = walk.concerns.get()
    disclosure = Disclosure.objects.get()
    assert (
        events(action=Action.CREATED, object_type="patrols.concern", object_id=str(concern.pk))
        .get()
        .ip_address
        == IP
    )
    created = events(
        action=Action.CREATED, object_type="patrols.disclosure", object_id=str(disclosure.pk)
    ).get()
    assert created.actor == officer_a.user and created.ip_address == IP
    assert "serious" not in created.summary  # what she said never reaches the log


def test_a_follow_up_and_a_status_change_are_logged(client, walk, officer_a):
    concern, _ = concern_service.log_concern(
        walk=walk, by=officer_a.user, category=ConcernCategory.objects.first(), severity="low",
        when_it_matters="always", location_text="Rye Lane",
    )  # fmt: skip
    client.force_login(officer_a.user)
    client.post(
        reverse("patrols:concern_detail", args=[concern.pk]),
        {"note": "Reported to the council", "new_status": "referred"},
        REMOTE_ADDR=IP,
    )
    update = events(action=Action.CREATED, object_type="patrols.concernupdate").get()
    changed = events(action=Action.CHANGED, object_type="patrols.concern").get()
    assert update.actor == changed.actor == officer_a.user
    assert changed.summary == "fields: closed_reason, resolved_at, status, updated_at"


def test_booking_moving_and_cancelling_walks_and_pairing_changes_are_logged(resident_a, officer_b, sergeant):
    walk = WalkFactory(resident=resident_a, officer=resident_a.pairings.get().officer)
    booking.cancel_walk(walk=walk, by=sergeant, reason="Officer on leave")
    pairing.reassign_resident(resident=resident_a, officer=officer_b, by=sergeant, reason="Workload")
    assert events(action=Action.CREATED, object_type="patrols.walk", object_id=str(walk.pk)).exists()
    assert events(action=Action.CHANGED, object_type="patrols.walk", object_id=str(walk.pk)).exists()
    pairings = events(object_type="participants.pairing")
    assert {e.action for e in pairings} >= {Action.CREATED, Action.CHANGED}
    # No request (a shell, a task): the log says so rather than guessing
    assert {e.actor_label for e in pairings} == {"system"}


def test_deleting_is_logged(walk, officer_a):
    disclosure = concern_service.record_disclosure(
        walk=walk, by=officer_a.user, what_was_said="x", referral_made="y", referred_to="z"
    )
    pk = disclosure.pk
    disclosure.delete()
    assert events(action=Action.DELETED, object_type="patrols.disclosure", object_id=str(pk)).exists()


# --- Exports and sign-ins --------------------------------------------------------------------------


def test_the_partners_csv_and_the_monthly_report_are_logged_as_exports(client, sergeant):
    client.force_login(sergeant)
    response = client.get(reverse("admin:export_concerns"), REMOTE_ADDR=IP)
    b"".join(response.streaming_content)
    borough = Borough.objects.first()
    client.get(reverse("admin:monthly_report"), {"borough": borough.pk, "month": "2026-10"}, REMOTE_ADDR=IP)
    exported = list(events(action=Action.EXPORTED).order_by("at", "pk"))
    assert [e.summary.split(":")[0] for e in exported] == ["concerns CSV for partners", "monthly report"]
    assert all(e.actor == sergeant and e.ip_address == IP for e in exported)


def test_signing_in_is_logged(client, resident_a):
    client.post(
        reverse("account_login"), {"login": resident_a.user.email, "password": PASSWORD}, REMOTE_ADDR=IP
    )
    event = events(action=Action.SIGNED_IN).get()
    assert event.actor == resident_a.user and event.ip_address == IP
    assert event.actor_label == f"resident (user {resident_a.user.pk})"  # never her name or address


def test_the_log_holds_no_resident_personal_data(client, walk, officer_a, sergeant):
    client.force_login(officer_a.user)
    client.get(reverse("patrols:officer_walk", args=[walk.pk]))
    client.get(reverse("participants:my_residents"))
    client.force_login(walk.resident.user)
    client.get(reverse("participants:my_data"))
    text = " ".join(
        str(value) for row in AuditEvent.objects.values_list() for value in row if value is not None
    )
    assert walk.resident.preferred_name not in text and walk.resident.user.email not in text


# --- Append-only ---------------------------------------------------------------------------------


def test_sergeants_read_the_log_in_the_admin_but_cannot_change_or_delete_it(client, sergeant, walk):
    client.force_login(sergeant)
    client.get(reverse("patrols:walk_detail", args=[walk.pk]))
    event = AuditEvent.objects.first()
    changelist = client.get(reverse("admin:participants_auditevent_changelist"))
    assert changelist.status_code == 200 and sergeant.email in changelist.content.decode()
    assert "delete_selected" not in changelist.content.decode()
    change = reverse("admin:participants_auditevent_change", args=[event.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(change, {"summary": "nothing to see"}).status_code == 403
    assert client.get(reverse("admin:participants_auditevent_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:participants_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    event.refresh_from_db()
    assert event.summary == f"walk {walk.pk}"


def test_officers_and_residents_cannot_open_the_log(client, officer_a, resident_a):
    for user in (officer_a.user, resident_a.user):
        client.force_login(user)
        response = client.get(reverse("admin:participants_auditevent_changelist"))
        assert response.status_code == 302 and "/login/" in response.url


def test_the_model_refuses_to_change_or_delete_an_event(sergeant):
    event = AuditEvent.objects.create(actor=sergeant, actor_label=sergeant.email, action=Action.EXPORTED)
    event.summary = "changed"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(summary="changed")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == ""


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE participants_auditevent SET summary = 'changed'",
        "UPDATE participants_auditevent SET actor_id = NULL, summary = 'changed'",
        "DELETE FROM participants_auditevent",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_event(sergeant, sql):
    AuditEvent.objects.create(actor=sergeant, actor_label=sergeant.email, action=Action.EXPORTED)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEvent.objects.get().summary == ""


def test_a_deleted_users_events_stay_with_her_email(client):
    user = UserFactory(email="temp.sergeant@example.org")
    event = AuditEvent.objects.create(actor=user, actor_label=user.email, action=Action.EXPORTED)
    user.delete()  # the foreign key's SET_NULL is the one update the log allows
    event.refresh_from_db()
    assert event.actor is None and event.actor_label == "temp.sergeant@example.org"


def test_staff_accounts_are_named_and_residents_are_not(officer_a, resident_a):
    assert actor_label(officer_a.user) == officer_a.user.email
    assert actor_label(resident_a.user) == f"resident (user {resident_a.user.pk})"
    assert actor_label(None) == "system"


def test_marking_nothing_to_log_is_logged_although_it_is_an_update(client, walk, officer_a):
    Walk.objects.filter(pk=walk.pk).update(status=Walk.Status.COMPLETED)
    client.force_login(officer_a.user)
    client.post(reverse("patrols:walk_nothing_to_log", args=[walk.pk]), REMOTE_ADDR=IP)
    event = events(action=Action.CHANGED, object_type="patrols.walk", object_id=str(walk.pk)).get()
    assert event.summary == "fields: nothing_to_log_at" and event.ip_address == IP
