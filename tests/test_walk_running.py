"""Running a walk on the day: Today, start, finish, no-show, nothing to log — who may, and when."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from patrols import walks
from patrols.models import LONDON, Concern, ConcernCategory, Walk, WalkEvent
from tests.factories import WalkFactory
from walkandtalk.outbox.models import Notification

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 8)
NOW = datetime.combine(DAY, time(17, 0), tzinfo=LONDON)


def at(hhmm: str, day: date = DAY) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=LONDON)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def walk(resident_a, officer_a):
    return WalkFactory(resident=resident_a, officer=officer_a, starts_at=at("17:30"), ends_at=at("18:30"))


def post(client, name, walk, **data):
    return client.post(reverse(name, args=[walk.pk]), data)


def test_today_shows_todays_and_tomorrows_walks_in_order_with_what_she_needs(
    client, officer_a, resident_a, walk
):
    resident_a.access_needs = "Uses a walking stick"
    resident_a.save()
    tomorrow = WalkFactory(
        resident=resident_a, officer=officer_a, starts_at=at("19:00", DAY + timedelta(days=1)),
        ends_at=at("20:00", DAY + timedelta(days=1)), meeting_point="Oval station",
    )  # fmt: skip
    later = WalkFactory(
        resident=resident_a, officer=officer_a, starts_at=at("19:00", DAY + timedelta(days=2)),
        ends_at=at("20:00", DAY + timedelta(days=2)), meeting_point="Far future",
    )  # fmt: skip
    WalkFactory(starts_at=at("18:00"), ends_at=at("19:00"), meeting_point="Another officer's walk")
    client.force_login(officer_a.user)

    html = client.get(reverse("patrols:today")).content.decode()

    assert html.index(walk.meeting_point) < html.index(tomorrow.meeting_point)
    assert walk.walk_code in html and tomorrow.walk_code in html
    assert "Amira" in html and "Uses a walking stick" in html and walk.route in html
    assert "Start walk" in html
    assert later.meeting_point not in html
    assert "Another officer" not in html


def test_today_counts_the_concerns_logged_on_each_walk_and_leaves_out_cancelled_ones(
    client, officer_a, resident_a, walk
):
    walk.status, walk.started_at = Walk.Status.IN_PROGRESS, NOW
    walk.save()
    category = ConcernCategory.objects.first()
    for place in ("The alley by the car park", "The underpass"):
        Concern.objects.create(
            walk=walk, officer=officer_a, ward=resident_a.ward, category=category, location_text=place
        )
    quiet = WalkFactory(resident=resident_a, officer=officer_a, starts_at=at("20:00"), ends_at=at("21:00"))
    WalkFactory(
        resident=resident_a, officer=officer_a, starts_at=at("21:30"), ends_at=at("22:30"),
        status=Walk.Status.CANCELLED, meeting_point="Cancelled meeting point",
    )  # fmt: skip
    client.force_login(officer_a.user)

    response = client.get(reverse("patrols:today"))

    shown = [w for _, day_walks in response.context["days"] for w in day_walks]
    assert [w.pk for w in shown] == [walk.pk, quiet.pk]
    assert [w.concern_count for w in shown] == [2, 0]
    html = response.content.decode()
    assert "Log a concern (2 so far)" in html and "(0 so far)" not in html
    assert "Cancelled meeting point" not in html
    assert shown[0].resident.ward.name == resident_a.ward.name


def test_today_is_the_officers_landing_page(client, officer_a):
    client.force_login(officer_a.user)
    assert client.get(reverse("home")).url == reverse("patrols:today")


@pytest.mark.parametrize("count", [1, 50])
def test_today_query_count_does_not_grow(client, officer_a, count, django_assert_num_queries):
    for index in range(count):
        start = at("00:30") + timedelta(minutes=40 * index)
        WalkFactory(officer=officer_a, starts_at=start, ends_at=start + timedelta(minutes=30))
    client.force_login(officer_a.user)
    # session, user (with her role, second factor and officer profile), walks with residents, wards,
    # concern counts, one audit insert for every resident shown, her open concerns' ids (the pages her
    # phone keeps)
    with django_assert_num_queries(5):
        response = client.get(reverse("patrols:today"))
    assert sum(len(day_walks) for _, day_walks in response.context["days"]) == count


def test_start_then_finish_records_the_history_and_schedules_the_follow_ups(client, walk, officer_a):
    client.force_login(officer_a.user)
    post(client, "patrols:walk_start", walk)
    walk.refresh_from_db()
    assert walk.status == Walk.Status.IN_PROGRESS and walk.started_at == NOW

    with time_machine.travel(at("18:40"), tick=False):
        post(client, "patrols:walk_finish", walk)
    walk.refresh_from_db()
    assert walk.status == Walk.Status.COMPLETED and walk.finished_at == at("18:40")
    assert [e.kind for e in walk.events.all()] == [WalkEvent.Kind.STARTED, WalkEvent.Kind.COMPLETED]
    feedback = Notification.objects.get(about_type="walk", about_id=walk.pk, kind="feedback_request")
    assert feedback.recipient == walk.resident.user and feedback.due_at == at("19:40")
    nudge = Notification.objects.get(about_type="walk", about_id=walk.pk, kind="concern_nudge")
    assert nudge.recipient == officer_a.user and nudge.due_at == at("06:40", DAY + timedelta(days=1))


def test_a_walk_cannot_start_hours_early(client, walk, officer_a):
    walk.starts_at, walk.ends_at = at("21:00"), at("22:00")
    walk.save()
    client.force_login(officer_a.user)
    response = post(client, "patrols:walk_start", walk)
    assert "You can start this walk from 20:00" in client.get(response.url).content.decode()
    walk.refresh_from_db()
    assert walk.status == Walk.Status.BOOKED


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (Walk.Status.BOOKED, walks.finish_walk),
        (Walk.Status.COMPLETED, walks.start_walk),
        (Walk.Status.CANCELLED, walks.start_walk),
        (Walk.Status.CANCELLED, walks.finish_walk),
        (Walk.Status.NO_SHOW, walks.start_walk),
        (Walk.Status.IN_PROGRESS, walks.mark_no_show),
    ],
)
def test_only_allowed_transitions_happen(walk, officer_a, status, action):
    walk.status = status
    walk.save()
    with time_machine.travel(at("17:45"), tick=False), pytest.raises(walks.WalkError, match="can’t be"):
        action(walk=walk, by=officer_a.user)
    walk.refresh_from_db()
    assert walk.status == status


def test_no_show_only_after_the_start_time_and_it_cancels_pending_reminders(client, walk, officer_a):
    Notification.objects.create(
        recipient=walk.resident.user,
        kind="reminder",
        about_type="walk",
        about_id=walk.pk,
        data={"walk": walk.pk, "version": walk.version},
        due_at=at("17:20"),
        idempotency_key="k1",
    )
    with pytest.raises(walks.WalkError, match="once the walk’s start time has passed"):
        walks.mark_no_show(walk=walk, by=officer_a.user)
    with time_machine.travel(at("17:50"), tick=False):
        walks.mark_no_show(walk=walk, by=officer_a.user)
    walk.refresh_from_db()
    assert walk.status == Walk.Status.NO_SHOW
    assert Notification.objects.get(idempotency_key="k1").status == "cancelled"


def test_nothing_to_log_only_on_a_finished_walk_without_concerns(walk, officer_a):
    with pytest.raises(walks.WalkError, match="once the walk is finished"):
        walks.mark_nothing_to_log(walk=walk, by=officer_a.user)
    walk.status = Walk.Status.COMPLETED
    walk.save()
    walks.mark_nothing_to_log(walk=walk, by=officer_a.user)
    walk.refresh_from_db()
    assert walk.nothing_to_log_at == NOW


def test_only_her_officer_or_the_sergeant_runs_the_walk(
    client, walk, officer_b, resident_a, resident_b, sergeant
):
    for name in (
        "patrols:walk_start",
        "patrols:walk_finish",
        "patrols:walk_no_show",
        "patrols:walk_nothing_to_log",
    ):
        client.force_login(officer_b.user)
        assert post(client, name, walk).status_code == 404  # not hers: nothing to see
        for user in (resident_a.user, resident_b.user):
            client.force_login(user)
            assert post(client, name, walk).status_code == 403
    walk.refresh_from_db()
    assert walk.status == Walk.Status.BOOKED
    with pytest.raises(walks.WalkError, match="Only the walk’s officer"):
        walks.start_walk(walk=walk, by=officer_b.user)
    client.force_login(sergeant)
    post(client, "patrols:walk_start", walk)
    walk.refresh_from_db()
    assert walk.status == Walk.Status.IN_PROGRESS


def test_walk_actions_are_post_only(client, walk, officer_a):
    client.force_login(officer_a.user)
    for name in (
        "patrols:walk_start",
        "patrols:walk_no_show",
        "patrols:walk_nothing_to_log",
    ):
        assert client.get(reverse(name, args=[walk.pk])).status_code == 405
    for method in ("put", "delete", "patch"):
        assert getattr(client, method)(reverse("patrols:walk_finish", args=[walk.pk])).status_code == 405


def walk_state(walk: Walk) -> tuple:
    walk.refresh_from_db()
    return (
        walk.status, walk.finished_at, walk.version, walk.events.count(),
        Notification.objects.filter(about_type="walk", about_id=walk.pk).count(),
    )  # fmt: skip


@pytest.mark.parametrize("role", ["officer_a", "sergeant"])
def test_finish_asks_first_and_the_question_changes_nothing(client, walk, officer_a, sergeant, role):
    """Finishing cannot be undone: a GET of the finish address shows the question; only its POST finishes."""
    client.force_login(officer_a.user if role == "officer_a" else sergeant)
    walks.start_walk(walk=walk, by=officer_a.user)
    before = walk_state(walk)

    response = client.get(reverse("patrols:walk_finish", args=[walk.pk]), {"next": "/app/today/"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Finish the walk?" in html and "Yes, finish the walk" in html
    assert 'method="post"' in html and 'name="next" value="/app/today/"' in html
    assert 'href="/app/today/">No, the walk goes on' in html
    assert walk_state(walk) == before
    assert walk.status == Walk.Status.IN_PROGRESS

    with time_machine.travel(at("18:40"), tick=False):
        response = post(client, "patrols:walk_finish", walk, next="/app/today/")
    assert response.status_code == 302 and response.url == "/app/today/"
    walk.refresh_from_db()
    assert walk.status == Walk.Status.COMPLETED and walk.finished_at == at("18:40")
    assert [e.kind for e in walk.events.all()] == [WalkEvent.Kind.STARTED, WalkEvent.Kind.COMPLETED]
    if role == "officer_a":
        assert "Walk finished. Thank you." in client.get(response.url).content.decode()


def test_the_finish_question_goes_back_only_to_a_path_on_this_site(client, walk, officer_a):
    client.force_login(officer_a.user)
    walks.start_walk(walk=walk, by=officer_a.user)
    response = client.get(reverse("patrols:walk_finish", args=[walk.pk]), {"next": "https://evil.example/"})
    html = response.content.decode()
    assert "evil.example" not in html
    assert f'href="{reverse("patrols:officer_walk", args=[walk.pk])}">No, the walk goes on' in html


def test_a_walk_that_is_not_under_way_has_nothing_to_finish(client, walk, officer_a):
    client.force_login(officer_a.user)
    html = client.get(reverse("patrols:walk_finish", args=[walk.pk])).content.decode()
    # The question is on the page for a walk started with no signal (issue 17), hidden until then.
    assert "so there is nothing to finish" in html and '<div data-when="in_progress" hidden>' in html
    walk.refresh_from_db()
    assert walk.status == Walk.Status.BOOKED


def test_finish_walk_is_a_link_to_the_question_kept_apart_from_log_a_concern(client, walk, officer_a):
    """On Today and on the walk's page: no form that finishes at once, and a separate block after the
    concern buttons."""
    client.force_login(officer_a.user)
    walks.start_walk(walk=walk, by=officer_a.user)
    finish = reverse("patrols:walk_finish", args=[walk.pk])
    for page in (reverse("patrols:today"), reverse("patrols:officer_walk", args=[walk.pk])):
        html = client.get(page).content.decode()
        assert f'action="{finish}"' not in html, page
        assert html.count("Finish walk</a>") == 1, page
        log, finish_at = html.index("Log a concern"), html.index("Finish walk</a>")
        assert log < html.index('class="walk-finish', log) < finish_at, page


def test_an_unsafe_next_address_is_ignored(client, walk, officer_a):
    client.force_login(officer_a.user)
    response = post(client, "patrols:walk_start", walk, next="https://evil.example/")
    assert response.url == reverse("patrols:officer_walk", args=[walk.pk])
