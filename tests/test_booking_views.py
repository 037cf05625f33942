"""Booking pages through their URLs: book, see, add to calendar, move, cancel; schedule; availability."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from patrols import notifications
from patrols.models import LONDON, AvailabilityException, AvailabilityWindow, Walk
from tests.factories import (
    AvailabilityWindowFactory,
    OfficerFactory,
    PairingFactory,
    ResidentFactory,
    WalkFactory,
)
from tests.outbox import about_walk, send_due

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=LONDON)  # Monday
TUESDAY = date(2026, 12, 8)
BOOK = reverse("patrols:book")


def at(hhmm: str, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=LONDON)


def iso(dt: datetime) -> str:
    """A slot as the booking form sends it."""
    return dt.astimezone(UTC).isoformat()


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def windows(officer_a, officer_b):
    for officer in (officer_a, officer_b):
        AvailabilityWindowFactory(officer=officer, weekday=1, start_time="15:00", end_time="22:00")


def booking_data(**overrides):
    data = {
        "starts_at": iso(at("19:00")),
        "meeting_point": "Peckham Library steps",
        "meeting_latitude": "51.473500",
        "meeting_longitude": "-0.069000",
        "route": "Rye Lane, Bellenden Road, home",
        "known_worries": "The alley by the car park",
    }
    data.update(overrides)
    return data


def test_book_page_lists_her_officers_times_by_day_with_after_dark_marked(client, resident_a, officer_a):
    client.force_login(resident_a.user)
    response = client.get(BOOK)
    assert response.status_code == 200
    html = response.content.decode()
    assert officer_a.display_name in html and officer_a.collar_number in html
    assert "Tuesday 8 December" in html
    assert "sunset 15:5" in html
    assert html.count('name="starts_at"') == 13  # 15:00 … 21:00 every half hour
    assert "After dark" in html


def test_booking_through_the_form_shows_the_confirmation(client, resident_a, officer_a):
    client.force_login(resident_a.user)
    response = client.post(BOOK, booking_data(), follow=True)

    walk = Walk.objects.get()
    assert walk.resident == resident_a and walk.officer == officer_a
    assert walk.starts_at == at("19:00")
    assert str(walk.meeting_latitude) == "51.473500"
    assert response.redirect_chain[-1][0] == reverse("patrols:walk_detail", args=[walk.pk])
    html = response.content.decode()
    assert walk.walk_code in html
    assert officer_a.display_name in html and officer_a.collar_number in html
    assert reverse("patrols:walk_invite", args=[walk.pk]) in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"starts_at": ""}, "Choose a time for your walk."),
        ({"starts_at": "tomorrow evening"}, "Choose one of the times shown."),
        ({"starts_at": iso(at("19:10"))}, "That time has just been taken — please choose another."),
        ({"meeting_point": ""}, "Tell us where to meet"),
        ({"route": "  "}, "Describe the route you usually take"),
        ({"meeting_latitude": "48.8566", "meeting_longitude": "2.3522"}, "outside Greater London"),
        ({"meeting_longitude": ""}, "The map pin is incomplete"),
        ({"meeting_latitude": "north"}, "Enter a number"),
    ],
)
def test_bad_booking_input_gets_a_clear_message_and_keeps_what_she_typed(
    client, resident_a, overrides, message
):
    client.force_login(resident_a.user)
    response = client.post(BOOK, booking_data(**overrides))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "There is a problem" in html
    for field in ("route", "known_worries"):
        if field not in overrides:
            assert booking_data()[field] in html
    assert not Walk.objects.exists()


def test_a_time_taken_meanwhile_keeps_her_details_and_her_choice_visible(client, resident_a, officer_a):
    other = ResidentFactory()
    PairingFactory(resident=other, officer=officer_a)
    WalkFactory(resident=other, officer=officer_a, starts_at=at("19:00"), ends_at=at("20:00"))
    client.force_login(resident_a.user)
    response = client.post(BOOK, booking_data(starts_at=iso(at("19:00"))))
    html = response.content.decode()
    assert "That time has just been taken — please choose another." in html
    assert "Peckham Library steps" in html
    assert Walk.objects.count() == 1


def test_changing_week_keeps_what_she_typed_and_books_nothing(client, resident_a):
    client.force_login(resident_a.user)
    response = client.post(BOOK, {**booking_data(starts_at=""), "show_week": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tuesday 15 December" in html and "Tuesday 8 December" not in html
    assert "Rye Lane, Bellenden Road, home" in html
    assert "There is a problem" not in html
    assert not Walk.objects.exists()


def test_an_unpaired_resident_is_told_she_cannot_book_yet(client):
    waiting = ResidentFactory()
    client.force_login(waiting.user)
    response = client.get(BOOK, follow=True)
    assert "as soon as you are paired" in response.content.decode()


@pytest.fixture
def walk_a(resident_a, officer_a):
    return WalkFactory(resident=resident_a, officer=officer_a, starts_at=at("19:00"), ends_at=at("20:00"))


def test_walk_page_is_seen_by_her_her_officer_and_the_sergeant_only(
    client, walk_a, resident_b, officer_b, sergeant
):
    url = reverse("patrols:walk_detail", args=[walk_a.pk])
    assert reverse("account_login") in client.get(url).url
    for user in (walk_a.resident.user, walk_a.officer.user, sergeant):
        client.force_login(user)
        response = client.get(url, follow=True)  # her officer's is in her app (/app/walks/<pk>/)
        assert response.status_code == 200
        assert walk_a.walk_code in response.content.decode()
    for outsider in (resident_b.user, officer_b.user):
        client.force_login(outsider)
        for name in ("patrols:walk_detail", "patrols:walk_invite", "patrols:walk_cancel"):
            assert client.get(reverse(name, args=[walk_a.pk])).status_code == 404
        assert (
            client.post(reverse("patrols:walk_cancel", args=[walk_a.pk]), {"reason": "x"}).status_code == 404
        )
    walk_a.refresh_from_db()
    assert walk_a.status == Walk.Status.BOOKED


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (
            Walk.Status.COMPLETED,
            "You walked with PC Amara Nwosu (collar number 4101AS) on Tuesday 8 December 2026.",
        ),
        (Walk.Status.CANCELLED, "was cancelled: nobody is coming to meet you for it"),
        (Walk.Status.NO_SHOW, "didn’t go ahead"),
    ],
)
def test_after_a_walk_her_page_says_what_happened_not_who_is_coming(client, walk_a, status, says):
    """Issue 14 point 10: "Who is coming" and the walk code are for a walk still to happen."""
    walk_a.officer.display_name, walk_a.officer.collar_number = "PC Amara Nwosu", "4101AS"
    walk_a.officer.save()
    Walk.objects.filter(pk=walk_a.pk).update(status=status)
    url = reverse("patrols:walk_detail", args=[walk_a.pk])
    client.force_login(walk_a.resident.user)
    with time_machine.travel(at("21:00"), tick=False):
        html = client.get(url).content.decode()
    assert says in " ".join(re.sub(r"<[^>]+>", "", html).split())
    assert "Who is coming" not in html and "She will say this code" not in html
    assert walk_a.walk_code not in html
    client.force_login(walk_a.officer.user)
    officer_page = client.get(url, follow=True)
    assert officer_page.redirect_chain == [(reverse("patrols:officer_walk", args=[walk_a.pk]), 302)]
    assert walk_a.walk_code not in officer_page.content.decode()  # nor the code to say, for her officer


def test_booked_and_started_walks_still_say_who_is_coming(client, walk_a):
    client.force_login(walk_a.resident.user)
    url = reverse("patrols:walk_detail", args=[walk_a.pk])
    for status in (Walk.Status.BOOKED, Walk.Status.IN_PROGRESS):
        Walk.objects.filter(pk=walk_a.pk).update(status=status)
        html = client.get(url).content.decode()
        assert "Who is coming" in html and walk_a.walk_code in html and "She will say this code" in html


def test_my_walks_says_none_coming_up_once_she_has_walked(client, walk_a):
    client.force_login(walk_a.resident.user)
    my_walks = reverse("patrols:my_walks")
    html = client.get(my_walks).content.decode()
    assert "No walks booked yet" not in html and "No walks coming up" not in html  # one is coming up
    Walk.objects.filter(pk=walk_a.pk).update(status=Walk.Status.COMPLETED)
    with time_machine.travel(at("21:00"), tick=False):
        html = client.get(my_walks).content.decode()
    assert "No walks coming up." in html and "No walks booked yet" not in html


def test_the_invite_is_a_discreet_calendar_event(client, walk_a):
    client.force_login(walk_a.resident.user)
    response = client.get(reverse("patrols:walk_invite", args=[walk_a.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; method=PUBLISH"
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    assert "BEGIN:VEVENT" in body
    assert "DTSTART:20261208T190000Z" in body  # December: London is on GMT
    assert walk_a.walk_code in body
    assert "police" not in body.lower()

    walk_a.resident.mention_police_in_messages = True
    walk_a.resident.save()
    assert "police" in client.get(reverse("patrols:walk_invite", args=[walk_a.pk])).content.decode().lower()


def told_of(walk) -> None:
    """Her walk's confirmations have gone, to her and to her officer."""
    notifications.walk_booked(walk, now=timezone.now())
    send_due()


def test_she_moves_her_walk(client, walk_a, officer_a):
    told_of(walk_a)
    client.force_login(walk_a.resident.user)
    url = reverse("patrols:walk_move", args=[walk_a.pk])
    assert "Move your walk" in client.get(url).content.decode()

    response = client.post(url, {"starts_at": iso(at("15:00"))})

    assert response.status_code == 302
    walk_a.refresh_from_db()
    assert walk_a.starts_at == at("15:00")
    assert about_walk(walk_a).filter(kind="walk_moved", recipient=officer_a.user).exists()


def test_moving_to_a_taken_time_shows_the_message(client, walk_a, officer_a):
    WalkFactory(officer=officer_a, starts_at=at("15:00"), ends_at=at("16:00"))
    client.force_login(walk_a.resident.user)
    response = client.post(reverse("patrols:walk_move", args=[walk_a.pk]), {"starts_at": iso(at("15:30"))})
    assert "That time has just been taken" in response.content.decode()
    walk_a.refresh_from_db()
    assert walk_a.starts_at == at("19:00")


def test_she_cancels_after_confirming(client, walk_a):
    client.force_login(walk_a.resident.user)
    url = reverse("patrols:walk_cancel", args=[walk_a.pk])
    page = client.get(url)
    assert "Yes, cancel the walk" in page.content.decode()
    walk_a.refresh_from_db()
    assert walk_a.status == Walk.Status.BOOKED  # asking changes nothing

    response = client.post(url, {"reason": "Working late"}, follow=True)
    walk_a.refresh_from_db()
    assert walk_a.status == Walk.Status.CANCELLED and walk_a.cancel_reason == "Working late"
    assert "Your officer has been told" in response.content.decode()


def test_the_officer_must_give_a_reason_to_cancel(client, walk_a):
    client.force_login(walk_a.officer.user)
    url = reverse("patrols:walk_cancel", args=[walk_a.pk])
    response = client.post(url, {"reason": ""})
    assert "Give a reason for cancelling." in response.content.decode()
    client.post(url, {"reason": "Called to an incident"})
    walk_a.refresh_from_db()
    assert walk_a.status == Walk.Status.CANCELLED


def test_a_late_cancellation_by_her_explains_what_to_do(client, walk_a):
    client.force_login(walk_a.resident.user)
    with time_machine.travel(at("18:00"), tick=False):
        response = client.post(reverse("patrols:walk_cancel", args=[walk_a.pk]), {"reason": ""})
    html = response.content.decode()
    assert "less than 2 hours" in html and "call the station" in html
    walk_a.refresh_from_db()
    assert walk_a.status == Walk.Status.BOOKED


def test_resident_only_pages_refuse_staff(client, walk_a, sergeant):
    for user in (walk_a.officer.user, sergeant):
        client.force_login(user)
        assert client.get(BOOK).status_code == 403
        assert client.get(reverse("patrols:walk_move", args=[walk_a.pk])).status_code == 403


def test_wrong_methods(client, walk_a):
    client.force_login(walk_a.resident.user)
    assert client.post(reverse("patrols:walk_detail", args=[walk_a.pk])).status_code == 405
    assert client.put(reverse("patrols:walk_cancel", args=[walk_a.pk])).status_code == 405
    client.force_login(walk_a.officer.user)
    window = AvailabilityWindow.objects.filter(officer=walk_a.officer).first()
    assert client.get(reverse("patrols:window_delete", args=[window.pk])).status_code == 405


def test_my_walks_lists_upcoming_and_past_with_status(client, resident_a, officer_a, resident_b):
    WalkFactory(resident=resident_a, officer=officer_a, starts_at=at("19:00"), ends_at=at("20:00"))
    WalkFactory(
        resident=resident_a,
        officer=officer_a,
        starts_at=at("19:00", date(2026, 11, 24)),
        ends_at=at("20:00", date(2026, 11, 24)),
        status=Walk.Status.COMPLETED,
    )
    WalkFactory(
        resident=resident_b, starts_at=at("17:00"), ends_at=at("18:00"), meeting_point="Bola's corner"
    )
    client.force_login(resident_a.user)
    html = client.get(reverse("patrols:my_walks")).content.decode()
    assert "Tuesday 8 December, 19:00" in html
    assert "24 November 2026, 19:00</a> — Completed" in html
    assert "Bola&#x27;s corner" not in html and "Bola's corner" not in html


@pytest.mark.parametrize("count", [1, 50])
def test_my_walks_query_count_does_not_grow(client, resident_a, officer_a, count, django_assert_num_queries):
    for day in range(count):
        start = at("19:00", date(2026, 1, 1) + timedelta(days=day))
        WalkFactory(
            resident=resident_a, officer=officer_a, starts_at=start, ends_at=start + timedelta(hours=1)
        )
    client.force_login(resident_a.user)
    # session, user (with her role), her active pairing with her profile and officer, her upcoming and
    # past walks (one statement: patrols/reads.py)
    with django_assert_num_queries(4):
        response = client.get(reverse("patrols:my_walks"))
    assert len(response.context["past_walks"]) == count


def test_officer_schedule_shows_her_walks_by_day_only(client, walk_a, officer_b):
    WalkFactory(officer=officer_b, starts_at=at("17:00"), ends_at=at("18:00"), meeting_point="Someone else's")
    client.force_login(walk_a.officer.user)
    response = client.get(reverse("patrols:schedule"))
    html = response.content.decode()
    assert "Tuesday 8 December" in html
    assert walk_a.resident.preferred_name in html
    assert "Someone else" not in html


@pytest.mark.parametrize("count", [1, 50])
def test_schedule_query_count_does_not_grow(client, officer_a, count, django_assert_num_queries):
    for index in range(count):
        start = at("15:00") + timedelta(hours=2 * index)
        WalkFactory(officer=officer_a, starts_at=start, ends_at=start + timedelta(hours=1))
    client.force_login(officer_a.user)
    # session, user (with her role, second factor and officer profile), walks with residents and
    # wards, one audit insert for every resident shown
    with django_assert_num_queries(4):
        response = client.get(reverse("patrols:schedule"))
    assert sum(len(walks) for _, walks in response.context["days"]) == count


def test_schedule_is_for_officers(client, resident_a, sergeant):
    for user in (resident_a.user, sergeant):
        client.force_login(user)
        assert client.get(reverse("patrols:schedule")).status_code == 403
        assert client.get(reverse("patrols:availability")).status_code == 403


def test_officer_adds_a_weekly_window(client, officer_a):
    client.force_login(officer_a.user)
    url = reverse("patrols:availability")
    response = client.post(
        url, {"add_window": "1", "weekday": "3", "start_time": "18:00", "end_time": "21:00"}
    )
    assert response.status_code == 302
    assert officer_a.availability_windows.filter(weekday=3).exists()


def test_a_window_ending_before_it_starts_is_refused_with_values_kept(client, officer_a):
    client.force_login(officer_a.user)
    response = client.post(
        reverse("patrols:availability"),
        {"add_window": "1", "weekday": "3", "start_time": "21:00", "end_time": "18:00"},
    )
    html = response.content.decode()
    assert "must end after it starts" in html
    assert 'value="21:00"' in html
    assert not officer_a.availability_windows.filter(weekday=3).exists()


def test_time_off_over_a_booked_walk_warns_her(client, walk_a):
    client.force_login(walk_a.officer.user)
    response = client.post(
        reverse("patrols:availability"),
        {"add_exception": "1", "kind": "unavailable", "first_day": "2026-12-08", "last_day": "2026-12-09"},
        follow=True,
    )
    html = response.content.decode()
    assert "1 walk(s) booked in that time" in html
    exception = AvailabilityException.objects.get(officer=walk_a.officer)
    assert exception.starts_at == at("00:00") and exception.ends_at == at("00:00", date(2026, 12, 10))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "extra", "first_day": "2026-12-12"}, "Give the times you are available."),
        (
            {"kind": "unavailable", "first_day": "2026-12-12", "last_day": "2026-12-10"},
            "can’t be before the first",
        ),
        ({"kind": "unavailable", "first_day": "2026-12-12", "start_time": "10:00"}, "Give both times"),
        ({"kind": "unavailable", "first_day": "not a date"}, "Enter a valid date"),
    ],
)
def test_bad_changes_are_refused_clearly(client, officer_a, data, message):
    client.force_login(officer_a.user)
    response = client.post(reverse("patrols:availability"), {"add_exception": "1", **data})
    assert message in response.content.decode()
    assert not AvailabilityException.objects.exists()


def test_an_officer_removes_only_her_own_windows(client, officer_a, officer_b):
    theirs = officer_b.availability_windows.get()
    client.force_login(officer_a.user)
    assert client.post(reverse("patrols:window_delete", args=[theirs.pk])).status_code == 404
    mine = officer_a.availability_windows.get()
    assert client.post(reverse("patrols:window_delete", args=[mine.pk])).status_code == 302
    assert not officer_a.availability_windows.exists()
    assert officer_b.availability_windows.exists()


def test_officers_from_another_area_cannot_be_booked(client, resident_a):
    stranger = OfficerFactory()
    AvailabilityWindowFactory(officer=stranger, weekday=1, start_time="09:00", end_time="11:00")
    client.force_login(resident_a.user)
    response = client.post(BOOK, booking_data(starts_at=iso(at("09:00"))))
    assert "That time has just been taken" in response.content.decode()
    assert not Walk.objects.exists()


def test_sergeant_cancels_walks_in_the_admin_with_a_reason(client, walk_a, sergeant):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    told_of(walk_a)
    client.force_login(sergeant)
    url = reverse("admin:patrols_walk_changelist")
    assert client.get(url).status_code == 200
    base = {"action": "cancel_walks", ACTION_CHECKBOX_NAME: [walk_a.pk]}
    assert "Yes, cancel them" in client.post(url, base).content.decode()
    client.post(url, {**base, "apply": "1", "reason": "Station closed for the evening"})
    walk_a.refresh_from_db()
    assert walk_a.status == Walk.Status.CANCELLED and walk_a.cancelled_by == sergeant
    assert set(about_walk(walk_a).filter(kind="walk_cancelled").values_list("recipient", flat=True)) == {
        walk_a.resident.user.pk,
        walk_a.officer.user.pk,
    }


def test_sergeant_sets_an_officers_availability_on_her_admin_page(client, officer_a, sergeant):
    client.force_login(sergeant)
    response = client.get(reverse("admin:participants_officer_change", args=[officer_a.pk]))
    assert response.status_code == 200
    prefixes = {formset.formset.prefix for formset in response.context["inline_admin_formsets"]}
    assert {"availability_windows", "availability_exceptions"} <= prefixes


def test_past_walks_invite_her_to_say_how_safe_she_feels(client, resident_a, officer_a):
    from patrols.models import SafetyRating

    rated, unrated = (
        WalkFactory(
            resident=resident_a, officer=officer_a, status=Walk.Status.COMPLETED,
            starts_at=at("19:00", day), ends_at=at("20:00", day),
        )
        for day in (date(2026, 11, 17), date(2026, 11, 24))
    )  # fmt: skip
    SafetyRating.objects.create(resident=resident_a, walk=rated, rating=4)
    client.force_login(resident_a.user)
    html = client.get(reverse("patrols:my_walks")).content.decode()
    assert "you rated it 4/5" in html
    assert reverse("patrols:walk_feedback", args=[unrated.pk]) in html
    assert reverse("patrols:walk_feedback", args=[rated.pk]) not in html


def test_a_booking_post_runs_at_most_20_statements(client, resident_a, django_assert_max_num_queries):
    """Issue 13 point 7: the walk, its history and its six outbox rows (one INSERT), all in one
    transaction. Was 52 (six get_or_create calls, full_clean's existence and constraint checks)."""
    client.force_login(resident_a.user)
    client.get(BOOK)  # the session is warm, as when she has just chosen a time
    with django_assert_max_num_queries(20) as captured:
        response = client.post(BOOK, booking_data())
    assert response.status_code == 302
    assert about_walk(Walk.objects.get()).count() == 6  # two confirmations, four reminders
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "outbox_')]
    assert len(inserts) == 1


def _walks_for(resident, officer, count: int) -> None:
    """`count` past walks of hers with her officer (none in the week being booked)."""
    for day in range(count):
        start = at("19:00", date(2026, 1, 1) + timedelta(days=day))
        WalkFactory(
            resident=resident, officer=officer, starts_at=start, ends_at=start + timedelta(hours=1),
            status=Walk.Status.COMPLETED,
        )  # fmt: skip


@pytest.mark.parametrize("count", [1, 50])
def test_book_a_walk_page_costs_at_most_12_queries_however_many_walks(
    client, resident_a, officer_a, count, django_assert_max_num_queries
):
    """Issue 16 point 3. session, user, groups (role), her pairing with profile and officer, the
    officer's windows, exceptions and walks in the week."""
    _walks_for(resident_a, officer_a, count)
    client.force_login(resident_a.user)
    with django_assert_max_num_queries(7):
        response = client.get(BOOK)
    assert response.status_code == 200 and response.context["days"]


@pytest.mark.parametrize("count", [1, 50])
def test_a_booking_post_costs_at_most_12_queries_however_many_walks(
    client, resident_a, officer_a, count, django_assert_max_num_queries
):
    """Issue 16 point 3: session, user, groups (role), her pairing with profile and officer, the
    officer's lock with her upcoming count, windows, exceptions, walks, the walk, its audit row, its
    history row, its outbox rows (one INSERT); plus the test's savepoint around the transaction."""
    _walks_for(resident_a, officer_a, count)
    client.force_login(resident_a.user)
    with django_assert_max_num_queries(14) as captured:
        response = client.post(BOOK, booking_data())
    assert response.status_code == 302
    savepoints = [q for q in captured.captured_queries if "SAVEPOINT" in q["sql"]]
    assert len(captured.captured_queries) - len(savepoints) <= 12


@pytest.mark.parametrize("count", [1, 50])
def test_my_walks_costs_at_most_12_queries_however_many_walks(
    client, resident_a, officer_a, count, django_assert_max_num_queries
):
    _walks_for(resident_a, officer_a, count)
    client.force_login(resident_a.user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("patrols:my_walks"))
    assert len(response.context["past_walks"]) == count
