"""UK GDPR rights (issue 9, point 6): a resident downloads her data and erases her account; inactive
residents are warned and then erased; the privacy notice says what is kept, why and for how long."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from participants import privacy
from participants import tasks as participant_tasks
from participants.models import AuditEvent, Resident, User
from patrols import concerns as concern_service
from patrols import notifications
from patrols.models import LONDON, Concern, ConcernCategory, Disclosure, SafetyRating, Walk
from tests.factories import PASSWORD, PairingFactory, ResidentFactory, WalkFactory
from tests.outbox import send_due, why_not
from walkandtalk.outbox.models import Notification

pytestmark = pytest.mark.django_db

DATA = reverse("participants:my_data")
DATA_JSON = reverse("participants:my_data_json")
ERASE = reverse("participants:erase")
NAME = "Philippa Quennell-Zed"
EMAIL = "philippa.quennell@example.org"
MOBILE = "+447700900987"


@pytest.fixture
def her(officer_a):
    """A resident with everything: a past walk with a concern, a rating and a disclosure, and a walk
    booked for next week."""
    resident = ResidentFactory(
        preferred_name=NAME,
        user__email=EMAIL,
        mobile=MOBILE,
        contact_channel="sms",
        access_needs="I use a walking stick",
        usual_walk_times="Weekday evenings after work",
    )
    PairingFactory(resident=resident, officer=officer_a)
    start = timezone.now() - timedelta(days=7)
    done = WalkFactory(
        resident=resident,
        officer=officer_a,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        status=Walk.Status.COMPLETED,
        meeting_point="Outside Nunhead station",
        route="Evelina Road to my front door",
    )
    concern, _ = concern_service.log_concern(
        walk=done, by=officer_a.user, category=ConcernCategory.objects.get(name="Badly lit"),
        severity="high", when_it_matters="after_dark", location_text="Cemetery gates, Linden Grove",
        resident_said="The lamp has been out for months",
    )  # fmt: skip
    SafetyRating.objects.create(resident=resident, walk=done, rating=4, comment="Felt safer with Alice")
    Disclosure.objects.create(
        walk=done, officer=officer_a, what_was_said="Told me about her ex", referral_made="MARAC",
        referred_to="Southwark MASH",
    )  # fmt: skip
    upcoming = WalkFactory(resident=resident, officer=officer_a, starts_at=timezone.now() + timedelta(days=7))
    return {"resident": resident, "done": done, "concern": concern, "upcoming": upcoming}


def rows_mentioning(text: str) -> list[str]:
    """Every table in the database with a row whose text contains `text` (case-insensitive)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(
                f'SELECT count(*) FROM "{table}" t WHERE t::text ILIKE %s',  # noqa: S608 — table names from the schema
                [f"%{text}%"],
            )
            if cursor.fetchone()[0]:
                found.append(table)
    return found


# --- Who may ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [DATA, DATA_JSON, ERASE])
def test_only_the_resident_herself(client, url, officer_a, sergeant):
    response = client.get(url)
    assert response.status_code == 302 and reverse("account_login") in response.url
    for user in (officer_a.user, sergeant):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"confirm": "ERASE"}).status_code == 403
    assert Resident.objects.filter(erased_at__isnull=False).count() == 0


@pytest.mark.parametrize(("url", "method"), [(DATA, "post"), (DATA_JSON, "post"), (ERASE, "put")])
def test_wrong_method(client, resident_a, url, method):
    client.force_login(resident_a.user)
    assert getattr(client, method)(url).status_code == 405


# --- Download -----------------------------------------------------------------------------------


def test_the_json_download_holds_her_data_and_nobody_elses(client, her, resident_b):
    WalkFactory(resident=resident_b, officer=resident_b.pairings.get().officer, route="Bola's own route")
    client.force_login(her["resident"].user)
    response = client.get(DATA_JSON, REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="my-walk-and-talk-data-')
    data = json.loads(response.content)
    assert data["account"]["email"] == EMAIL
    assert data["profile"]["name_to_call_you"] == NAME and data["profile"]["mobile"] == MOBILE
    assert data["profile"]["access_needs"] == "I use a walking stick"
    assert [p["officer"] for p in data["pairings"]] == ["PC Alice Adeyemi"]
    assert {w["id"] for w in data["walks"]} == {her["done"].pk, her["upcoming"].pk}
    assert data["safety_ratings"][0]["how_safe_you_felt"] == 4
    [concern] = data["concerns_from_your_walks"]
    assert concern["place"] == "Cemetery gates, Linden Grove" and concern["what_you_said"]
    text = response.content.decode()
    assert "Bola" not in text and resident_b.user.email not in text
    assert "MARAC" not in text and "her ex" not in text  # restricted safeguarding notes are not in it
    exported = AuditEvent.objects.get(action=AuditEvent.Action.EXPORTED)
    assert exported.object_id == str(her["resident"].pk) and exported.ip_address == "198.51.100.4"


def test_the_readable_page_shows_the_same(client, her, resident_b):
    client.force_login(her["resident"].user)
    html = client.get(DATA).content.decode()
    for text in (NAME, EMAIL, "I use a walking stick", "Evelina Road to my front door", "Cemetery gates",
                 "PC Alice Adeyemi", "4 out of 5", DATA_JSON, ERASE):  # fmt: skip
        assert text in html, text
    assert "Bola" not in html


def test_her_profile_page_links_to_her_data(client, resident_a):
    client.force_login(resident_a.user)
    html = client.get(reverse("participants:profile")).content.decode()
    assert "Your data" in html and DATA in html and ERASE in html


# --- Erasure ------------------------------------------------------------------------------------


def test_the_erase_page_explains_and_a_get_erases_nothing(client, her):
    client.force_login(her["resident"].user)
    html = client.get(ERASE).content.decode()
    assert "cannot be undone" in html and "Your 1 booked walk will be cancelled" in html
    assert "safeguarding note is kept" in html
    her["resident"].refresh_from_db()
    assert her["resident"].erased_at is None and her["resident"].preferred_name == NAME


@pytest.mark.parametrize("typed", ["", "yes", "erase my account please"])
def test_a_wrong_confirmation_keeps_everything_and_says_why(client, her, typed):
    client.force_login(her["resident"].user)
    response = client.post(ERASE, {"confirm": typed})
    assert response.status_code == 200
    assert "nothing has been erased" in response.content.decode().lower()
    resident = Resident.objects.get(pk=her["resident"].pk)
    assert resident.erased_at is None and resident.preferred_name == NAME and resident.user.is_active
    assert Walk.objects.get(pk=her["upcoming"].pk).status == Walk.Status.BOOKED


def test_erasing_removes_her_and_keeps_walks_and_concerns_without_her(client, her, officer_a):
    resident = her["resident"]
    user_pk = resident.user.pk
    notifications.walk_booked(her["upcoming"], now=timezone.now())
    send_due()  # her officer has been told of the walk
    client.force_login(resident.user)
    response = client.post(ERASE, {"confirm": "erase"}, follow=True)
    assert response.redirect_chain[0][0] == reverse("home")
    assert "Your account is erased" in response.content.decode()
    assert not response.context["user"].is_authenticated  # signed out

    # Her name, email address, mobile number and words are nowhere in the database.
    for text in (NAME, EMAIL, MOBILE, "walking stick", "after work", "Evelina Road", "Felt safer"):
        assert rows_mentioning(text) == [], text

    resident.refresh_from_db()
    assert resident.preferred_name == privacy.ERASED_NAME and resident.erased_at is not None
    assert resident.mobile == "" and resident.contact_channel == "email"
    user = User.objects.get(pk=user_pk)
    assert not user.is_active and not user.has_usable_password() and user.email.endswith("@erased.invalid")
    assert not user.groups.exists()

    # Her walks and concerns stay, pointing at a row that no longer identifies anyone.
    assert set(Walk.objects.filter(resident=resident).values_list("pk", flat=True)) == {
        her["done"].pk,
        her["upcoming"].pk,
    }
    concern = Concern.objects.get(pk=her["concern"].pk)
    assert concern.location_text == "Cemetery gates, Linden Grove" and concern.ward_id == resident.ward_id
    rating = SafetyRating.objects.get(walk=her["done"])
    assert rating.rating == 4 and rating.comment == ""
    assert Disclosure.objects.filter(walk=her["done"]).exists()  # kept: the safeguarding policy

    # Her booked walk is cancelled and her officer told; she is no longer paired.
    upcoming = Walk.objects.get(pk=her["upcoming"].pk)
    assert upcoming.status == Walk.Status.CANCELLED
    assert Notification.objects.filter(
        about_type="walk", about_id=upcoming.pk, recipient=officer_a.user, kind="walk_cancelled"
    ).exists()
    assert not resident.pairings.active().exists()
    assert not Notification.objects.filter(recipient_id=user_pk, status=Notification.Status.PENDING).exists()
    assert AuditEvent.objects.filter(action="erased", object_id=str(resident.pk), actor_id=user_pk).exists()


def test_she_cannot_sign_in_after_erasure(client, her):
    privacy.erase_resident(resident=her["resident"], by=her["resident"].user)
    response = client.post(reverse("account_login"), {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert not client.login(email=EMAIL, password=PASSWORD)


def test_an_erased_account_is_signed_out_everywhere(client, her):
    client.force_login(her["resident"].user)
    assert client.get(DATA).status_code == 200
    privacy.erase_resident(resident=her["resident"], by=None)
    response = client.get(DATA)
    assert response.status_code == 302 and reverse("account_login") in response.url


def test_disclosures_are_deleted_when_the_policy_says_so(her, settings):
    settings.DISCLOSURE_RETENTION_ON_ERASURE = "delete"
    privacy.erase_resident(resident=her["resident"], by=her["resident"].user)
    assert not Disclosure.objects.exists()
    assert rows_mentioning("her ex") == [] and rows_mentioning("MARAC") == []
    assert AuditEvent.objects.filter(action="deleted", object_type="patrols.disclosure").exists()


def test_her_freed_place_goes_to_the_waiting_list(her, officer_a):
    officer_a.capacity = 1
    officer_a.save()
    waiting = ResidentFactory(waiting_since=timezone.now())
    privacy.erase_resident(resident=her["resident"], by=her["resident"].user)
    assert waiting.pairings.active().get().officer == officer_a


def test_an_app_that_fails_to_erase_its_part_rolls_the_whole_erasure_back(her):
    """Patrols' part runs on `resident_erasing` in the erasure's own transaction: if any receiver
    fails, she is not left half-erased (her walk cancelled, her name still there, or the reverse)."""

    def broken(sender, **kwargs):
        raise RuntimeError("this app could not erase its part")

    privacy.resident_erasing.connect(broken, sender=Resident, dispatch_uid="test-broken-eraser")
    try:
        with pytest.raises(RuntimeError):
            privacy.erase_resident(resident=her["resident"], by=her["resident"].user)
    finally:
        privacy.resident_erasing.disconnect(sender=Resident, dispatch_uid="test-broken-eraser")
    her["resident"].refresh_from_db()
    her["upcoming"].refresh_from_db()
    assert her["resident"].erased_at is None and her["resident"].preferred_name == NAME
    assert her["upcoming"].status == Walk.Status.BOOKED
    assert Walk.objects.get(pk=her["done"].pk).route == "Evelina Road to my front door"


def test_erasing_twice_is_refused(her):
    privacy.erase_resident(resident=her["resident"], by=None)
    with pytest.raises(privacy.PrivacyError):
        privacy.erase_resident(resident=her["resident"], by=None)


# --- Retention ----------------------------------------------------------------------------------

# UTC, so that adding days means real days across the clock change at the end of March.
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def inactive_since(moment: datetime, **fields) -> Resident:
    resident = ResidentFactory(**fields)
    Resident.objects.filter(pk=resident.pk).update(created_at=moment)
    User.objects.filter(pk=resident.user_id).update(last_login=moment)
    return resident


def warnings_to(resident: Resident):
    return Notification.objects.filter(recipient=resident.user, kind="retention_warning")


def test_the_retention_job_runs_daily_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["apply-retention"]
    assert entry["task"] == "participants.tasks.apply_retention"
    assert settings.RESIDENT_RETENTION_MONTHS == 24


def test_inactive_residents_are_warned_once_then_erased_a_month_later():
    gone = inactive_since(START - timedelta(days=2 * 366), preferred_name="Long Gone")
    recent = inactive_since(START - timedelta(days=300))
    with time_machine.travel(START, tick=False):
        assert participant_tasks.apply_retention() == {"warned": 1, "erased": 0, "returned": 0}
        assert participant_tasks.apply_retention() == {"warned": 0, "erased": 0, "returned": 0}
    [warning] = warnings_to(gone)
    assert warning.status == Notification.Status.PENDING and warning.due_at == START
    assert not warnings_to(recent).exists()
    gone.refresh_from_db()
    assert gone.retention_warned_at == START

    with time_machine.travel(START + timedelta(days=29), tick=False):
        assert participant_tasks.apply_retention()["erased"] == 0
    with time_machine.travel(START + timedelta(days=30, minutes=1), tick=False):
        assert participant_tasks.apply_retention() == {"warned": 0, "erased": 1, "returned": 0}
    gone.refresh_from_db()
    recent.refresh_from_db()
    assert gone.erased_at is not None and gone.preferred_name == privacy.ERASED_NAME
    assert recent.erased_at is None
    assert warnings_to(gone).count() == 1
    assert AuditEvent.objects.filter(action="erased", object_id=str(gone.pk), actor__isnull=True).exists()


def test_signing_in_after_the_warning_stops_the_erasure(client):
    resident = inactive_since(START - timedelta(days=2 * 366), preferred_name="Came Back")
    with time_machine.travel(START, tick=False):
        participant_tasks.apply_retention()
    with time_machine.travel(START + timedelta(days=10), tick=False):
        client.post(reverse("account_login"), {"login": resident.user.email, "password": PASSWORD})
        assert "_auth_user_id" in client.session
    with time_machine.travel(START + timedelta(days=31), tick=False):
        assert participant_tasks.apply_retention() == {"warned": 0, "erased": 0, "returned": 1}
    resident.refresh_from_db()
    assert resident.erased_at is None and resident.preferred_name == "Came Back"
    assert resident.retention_warned_at is None  # warned afresh if she goes quiet for another period


def test_a_walk_counts_as_activity(officer_a):
    resident = inactive_since(START - timedelta(days=2 * 366))
    WalkFactory(resident=resident, officer=officer_a, starts_at=START - timedelta(days=20))
    with time_machine.travel(START, tick=False):
        assert participant_tasks.apply_retention()["warned"] == 0


def test_a_warning_not_yet_sent_is_dropped_if_she_comes_back():
    resident = inactive_since(START - timedelta(days=2 * 366))
    with time_machine.travel(START, tick=False):
        participant_tasks.apply_retention()
    warning = warnings_to(resident).get()
    assert why_not(warning, now=START) == ""
    Resident.objects.filter(pk=resident.pk).update(retention_warned_at=None)
    warning.refresh_from_db()
    assert why_not(warning, now=START) == "She has used her account since."


def test_months_before_keeps_the_day_within_the_month():
    assert privacy.months_before(datetime(2026, 3, 31, 9, tzinfo=LONDON), 1) == datetime(
        2026, 2, 28, 9, tzinfo=LONDON
    )
    assert privacy.months_before(datetime(2026, 1, 15, tzinfo=LONDON), 24) == datetime(
        2024, 1, 15, tzinfo=LONDON
    )


# --- The notice ---------------------------------------------------------------------------------


def test_the_privacy_notice_says_what_is_kept_why_and_for_how_long(client, settings):
    settings.RESIDENT_RETENTION_MONTHS = 18
    html = client.get(reverse("privacy")).content.decode()
    for text in ("What we keep", "Why", "For how long", "18 months", "Your rights", DATA, ERASE, "audit log"):
        assert text in html, text
