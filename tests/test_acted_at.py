"""Issue 17: an action her phone queued with no signal is recorded at the time she did it (the phone's
clock, sent as `acted_at` when the queue replays it), within the server's bounds (patrols/acted_at.py):
never in the future (clamped to now), never more than a day old or a day ahead (refused), never before
the state it follows (clamped up to it); impossible dates and offsets, and junk, are a clear 400."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from patrols import concerns, walks
from patrols.models import LONDON, Concern, ConcernCategory, ConcernUpdate, Walk, WalkEvent
from tests.factories import WalkFactory

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json", "HTTP_X_CONCERN_OUTBOX": "1"}
# The signal came back at 15:10 on a Tuesday (London is on UTC in December).
NOW = datetime(2026, 12, 8, 15, 10, tzinfo=LONDON)
WALK_START = NOW.replace(hour=14, minute=0)


def iso(moment: datetime, offset: str = "") -> str:
    """As the phone writes it: ISO 8601 with milliseconds and an offset."""
    text = moment.isoformat(timespec="milliseconds")
    return text[:-6] + offset if offset else text


@pytest.fixture
def walk(resident_a, officer_a):
    """Booked the day before, for 14:00–15:00 today; the clock then stands at 15:10."""
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        booked = WalkFactory(
            resident=resident_a,
            officer=officer_a,
            starts_at=WALK_START,
            ends_at=WALK_START + timedelta(hours=1),
        )
    with time_machine.travel(NOW, tick=False):
        yield booked


@pytest.fixture
def officer(client, officer_a, walk):
    # Signed in once the clock stands at NOW (a staff session runs out: walkandtalk.middleware).
    client.force_login(officer_a.user)
    return client


def act(client, name: str, walk: Walk, acted_at, key: uuid.UUID | None = None, **extra):
    data = {"action_key": str(key or uuid.uuid4()), "next": "/app/today/"}
    if acted_at is not None:
        data["acted_at"] = acted_at
    return client.post(reverse(name, args=[walk.pk]), data, **{**JSON, **extra})


def started(walk: Walk, at: datetime) -> Walk:
    return walks.start_walk(walk=walk, by=walk.officer.user, now=at)


def finished(walk: Walk, at: datetime) -> Walk:
    return walks.finish_walk(
        walk=started(walk, WALK_START + timedelta(minutes=5)), by=walk.officer.user, now=at
    )


def concern_data(acted_at=None) -> dict:
    data = {
        "category": ConcernCategory.objects.get(name="Badly lit").pk,
        "severity": "high",
        "when_it_matters": "after_dark",
        "location_text": "Rye Lane alley",
        "draft_key": str(uuid.uuid4()),
    }
    if acted_at is not None:
        data["acted_at"] = acted_at
    return data


def concern_on(walk: Walk, at: datetime) -> Concern:
    concern, _ = concerns.log_concern(
        walk=walk,
        by=walk.officer.user,
        category=ConcernCategory.objects.get(name="Badly lit"),
        severity="high",
        when_it_matters="after_dark",
        location_text="Rye Lane alley",
        now=at,
    )
    return concern


def event(walk: Walk, kind: str) -> WalkEvent:
    return WalkEvent.objects.get(walk=walk, kind=kind)


# -- within the bounds: recorded as given --------------------------------------------------------------


@pytest.mark.parametrize("offset", ["", "+05:30", "-08:00"])
def test_a_queued_start_is_recorded_when_she_tapped_in_any_offset(officer, walk, offset):
    tapped = NOW.replace(hour=14, minute=5)  # 14:05, sent at 15:10
    response = act(officer, "patrols:walk_start", walk, iso(tapped.astimezone(_zone(offset)), offset))
    assert response.status_code == 200, response.content
    walk.refresh_from_db()
    assert walk.status == Walk.Status.IN_PROGRESS
    assert walk.started_at == tapped and event(walk, "started").at == tapped
    assert datetime.fromisoformat(response.json()["done_at"]) == tapped
    # The walk's page says so, in London time.
    page = officer.get(reverse("patrols:officer_walk", args=[walk.pk]))
    assert "Started at 14:05." in page.content.decode()


def _zone(offset: str):
    from datetime import timezone as tz

    if not offset:
        return LONDON
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = offset[1:].split(":")
    return tz(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def test_a_queued_finish_and_nothing_to_log_are_recorded_when_she_did_them(officer, walk):
    started(walk, NOW.replace(hour=14, minute=5))
    finish_at, nothing_at = NOW.replace(hour=14, minute=58), NOW.replace(hour=15, minute=1)
    assert act(officer, "patrols:walk_finish", walk, iso(finish_at)).status_code == 200
    assert act(officer, "patrols:walk_nothing_to_log", walk, iso(nothing_at)).status_code == 200
    walk.refresh_from_db()
    assert walk.finished_at == finish_at and event(walk, "completed").at == finish_at
    assert walk.nothing_to_log_at == nothing_at and event(walk, "nothing_to_log").at == nothing_at
    page = officer.get(reverse("patrols:officer_walk", args=[walk.pk])).content.decode()
    assert "Started at 14:05, finished at 14:58." in page


def test_a_queued_no_show_is_recorded_when_she_marked_it(officer, walk):
    marked = NOW.replace(hour=14, minute=20)
    assert act(officer, "patrols:walk_no_show", walk, iso(marked)).status_code == 200
    walk.refresh_from_db()
    assert walk.status == Walk.Status.NO_SHOW and event(walk, "no_show").at == marked


def test_a_queued_concern_is_logged_when_she_saved_it(officer, walk):
    started(walk, NOW.replace(hour=14, minute=5))
    saved = NOW.replace(hour=14, minute=31)
    response = officer.post(reverse("patrols:concern_new", args=[walk.pk]), concern_data(iso(saved)), **JSON)
    assert response.status_code == 200, response.content
    assert Concern.objects.get(walk=walk).created_at == saved
    assert datetime.fromisoformat(response.json()["done_at"]) == saved


def test_a_queued_follow_up_is_dated_when_she_wrote_it(officer, walk):
    concern = concern_on(started(walk, NOW.replace(hour=14, minute=5)), NOW.replace(hour=14, minute=20))
    wrote = NOW.replace(hour=14, minute=50)
    url = reverse("patrols:concern_detail", args=[concern.pk])
    data = {
        "note": "Fixed",
        "new_status": "resolved",
        "action_key": str(uuid.uuid4()),
        "acted_at": iso(wrote),
    }
    response = officer.post(url, data, **JSON)
    assert response.status_code == 200 and datetime.fromisoformat(response.json()["done_at"]) == wrote
    update = ConcernUpdate.objects.get(concern=concern)
    concern.refresh_from_db()
    assert update.at == wrote and concern.resolved_at == wrote


def test_without_a_time_the_server_clock_is_used_as_before(officer, walk):
    assert act(officer, "patrols:walk_start", walk, None).status_code == 200
    plain = officer.post(reverse("patrols:concern_new", args=[walk.pk]), concern_data())
    assert plain.status_code == 302
    walk.refresh_from_db()
    assert walk.started_at == NOW and Concern.objects.get(walk=walk).created_at == NOW


def test_the_same_key_sent_again_with_another_time_keeps_the_first(officer, walk):
    key = uuid.uuid4()
    first = NOW.replace(hour=14, minute=5)
    assert act(officer, "patrols:walk_start", walk, iso(first), key=key).status_code == 200
    assert (
        act(officer, "patrols:walk_start", walk, iso(NOW.replace(hour=14, minute=9)), key=key).status_code
        == 200
    )
    walk.refresh_from_db()
    assert walk.started_at == first and WalkEvent.objects.filter(walk=walk, kind="started").count() == 1


# -- ahead of the server: clamped to now ---------------------------------------------------------------


@pytest.mark.parametrize("ahead", [timedelta(seconds=30), timedelta(minutes=3), timedelta(hours=23)])
def test_a_time_ahead_of_the_server_is_clamped_to_now(officer, walk, ahead):
    assert act(officer, "patrols:walk_start", walk, iso(NOW + ahead)).status_code == 200
    walk.refresh_from_db()
    assert walk.started_at == NOW and event(walk, "started").at == NOW


def test_a_concern_and_a_follow_up_ahead_of_the_server_are_clamped_to_now(officer, walk):
    concern = concern_on(started(walk, NOW.replace(hour=14, minute=5)), NOW.replace(hour=14, minute=20))
    ahead = iso(NOW + timedelta(hours=2))
    assert (
        officer.post(reverse("patrols:concern_new", args=[walk.pk]), concern_data(ahead), **JSON).status_code
        == 200
    )
    url = reverse("patrols:concern_detail", args=[concern.pk])
    assert officer.post(url, {"note": "Chased", "acted_at": ahead}, **JSON).status_code == 200
    assert Concern.objects.latest("pk").created_at == NOW
    assert ConcernUpdate.objects.get(concern=concern).at == NOW


# -- before the state it follows: clamped up to it -----------------------------------------------------


def test_a_finish_before_its_start_is_recorded_at_the_start(officer, walk):
    started(walk, NOW.replace(hour=14, minute=5))
    assert act(officer, "patrols:walk_finish", walk, iso(NOW.replace(hour=13, minute=50))).status_code == 200
    walk.refresh_from_db()
    assert walk.finished_at == walk.started_at == NOW.replace(hour=14, minute=5)


def test_nothing_to_log_before_the_finish_is_recorded_at_the_finish(officer, walk):
    finished(walk, NOW.replace(hour=15, minute=0))
    assert act(officer, "patrols:walk_nothing_to_log", walk, iso(NOW.replace(hour=14))).status_code == 200
    walk.refresh_from_db()
    assert walk.nothing_to_log_at == NOW.replace(hour=15, minute=0)


def test_a_concern_before_its_walk_started_is_recorded_no_earlier_than_the_margin(officer, walk):
    started(walk, NOW.replace(hour=14, minute=5))
    url = reverse("patrols:concern_new", args=[walk.pk])
    # Within the margin (the two clocks disagree a little): as given.
    assert officer.post(url, concern_data(iso(NOW.replace(hour=13, minute=58))), **JSON).status_code == 200
    # Hours before: no earlier than the walk's start less the margin (10 minutes).
    assert officer.post(url, concern_data(iso(NOW.replace(hour=9))), **JSON).status_code == 200
    times = list(Concern.objects.filter(walk=walk).order_by("pk").values_list("created_at", flat=True))
    assert times == [NOW.replace(hour=13, minute=58), NOW.replace(hour=13, minute=50)]


def test_a_follow_up_before_its_concern_is_dated_at_the_concern(officer, walk):
    concern = concern_on(started(walk, NOW.replace(hour=14, minute=5)), NOW.replace(hour=14, minute=20))
    url = reverse("patrols:concern_detail", args=[concern.pk])
    assert (
        officer.post(url, {"note": "Chased", "acted_at": iso(NOW.replace(hour=12))}, **JSON).status_code
        == 200
    )
    assert ConcernUpdate.objects.get(concern=concern).at == concern.created_at


def test_a_start_before_the_walk_opens_is_refused_with_when_it_opens(officer, walk):
    refused = act(officer, "patrols:walk_start", walk, iso(NOW.replace(hour=12, minute=30)))
    assert refused.status_code == 409
    assert refused.json()["errors"]["__all__"] == [
        "You can start this walk from 13:00 on Tuesday 8 December."
    ]
    walk.refresh_from_db()
    assert walk.status == Walk.Status.BOOKED


def test_a_no_show_before_the_walk_began_is_refused(officer, walk):
    refused = act(officer, "patrols:walk_no_show", walk, iso(NOW.replace(hour=13, minute=55)))
    assert refused.status_code == 409
    assert "once the walk’s start time has passed" in refused.json()["errors"]["__all__"][0]


def test_a_start_before_the_walk_was_booked_is_recorded_at_the_booking(officer, resident_a, officer_a):
    # Booked at 15:05 for 15:30; the phone says she started it at 14:45 (its clock is slow).
    with time_machine.travel(NOW - timedelta(minutes=5), tick=False):
        late = WalkFactory(resident=resident_a, officer=officer_a, starts_at=NOW + timedelta(minutes=20))
    assert act(officer, "patrols:walk_start", late, iso(NOW - timedelta(minutes=25))).status_code == 200
    late.refresh_from_db()
    assert late.started_at == late.created_at == NOW - timedelta(minutes=5)


# -- refused: too old, a day ahead, impossible, junk ---------------------------------------------------

TOO_OLD = "more than a day ago"
FAR_AHEAD = "more than a day ahead"
NOT_REAL = "not a real date and time"
NO_OFFSET = "has a time-zone offset no place has"
UNREADABLE = "not readable"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (iso(NOW - timedelta(hours=24, minutes=1)), TOO_OLD),
        (iso(NOW - timedelta(days=400)), TOO_OLD),
        (iso(NOW + timedelta(hours=24, minutes=1)), FAR_AHEAD),
        ("9999-12-31T23:59:59.999+00:00", FAR_AHEAD),
        ("0001-01-01T00:00:00+00:00", TOO_OLD),
        ("9999-12-31T23:59:00-05:00", FAR_AHEAD),  # past the last year in UTC
        ("0001-01-01T00:00:00+05:00", TOO_OLD),  # before the first year in UTC
        ("2026-02-30T14:05:00+00:00", NOT_REAL),
        ("2026-12-08T25:05:00+00:00", NOT_REAL),
        ("2026-12-08T14:05:00+99:00", NOT_REAL),
        ("2026-12-08T14:05:00+15:00", NO_OFFSET),
        ("2026-12-08T14:05:00-23:59", NO_OFFSET),
        ("2026-12-08T14:05:00", UNREADABLE),  # no offset: which 14:05?
        ("2026-12-08", UNREADABLE),
        ("2026-W50-2T14:05+00:00", UNREADABLE),
        ("20261208T140500+0000", UNREADABLE),
        ("yesterday", UNREADABLE),
        ("<script>alert(1)</script>", UNREADABLE),
        ("2026-12-08T14:05:00+00:00\x00", UNREADABLE),
        ("1" * 10_000, UNREADABLE),
        ("NaN", UNREADABLE),
    ],
)
@pytest.mark.parametrize("name", ["patrols:walk_start", "patrols:walk_no_show"])
def test_a_time_that_cannot_be_right_is_a_400_with_the_reason_and_nothing_done(
    officer, walk, name, value, reason
):
    refused = act(officer, name, walk, value)
    assert refused.status_code == 400
    body = refused.json()
    assert body["ok"] is False and reason in body["errors"]["__all__"][0]
    walk.refresh_from_db()
    assert (
        walk.status == Walk.Status.BOOKED and not walk.events.filter(kind__in=["started", "no_show"]).exists()
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (iso(NOW - timedelta(days=2)), TOO_OLD),
        ("9999-12-31T23:59:59+00:00", FAR_AHEAD),
        ("2026-02-30T14:05:00+00:00", NOT_REAL),
        ("2026-12-08T14:05:00+99:00", NOT_REAL),
        ("junk", UNREADABLE),
    ],
)
def test_refused_times_on_every_other_kind_of_action(officer, walk, value, reason):
    walk = started(walk, NOW.replace(hour=14, minute=5))
    concern = concern_on(walk, NOW.replace(hour=14, minute=20))
    finish = act(officer, "patrols:walk_finish", walk, value)
    assert finish.status_code == 400 and reason in finish.json()["errors"]["__all__"][0]
    new = officer.post(reverse("patrols:concern_new", args=[walk.pk]), concern_data(value), **JSON)
    assert new.status_code == 400 and reason in new.json()["errors"]["acted_at"][0]
    url = reverse("patrols:concern_detail", args=[concern.pk])
    update = officer.post(url, {"note": "Chased", "acted_at": value}, **JSON)
    assert update.status_code == 400 and reason in update.json()["errors"]["acted_at"][0]
    # "Nothing to log" needs a walk with no concerns: another one, finished.
    other = WalkFactory(
        resident=walk.resident,
        officer=walk.officer,
        starts_at=NOW.replace(hour=11),
        ends_at=NOW.replace(hour=12),
        status=Walk.Status.COMPLETED,
        finished_at=NOW.replace(hour=12),
    )
    nothing = act(officer, "patrols:walk_nothing_to_log", other, value)
    assert nothing.status_code == 400 and reason in nothing.json()["errors"]["__all__"][0]
    walk.refresh_from_db()
    other.refresh_from_db()
    assert Concern.objects.filter(walk=walk).count() == 1 and not ConcernUpdate.objects.exists()
    assert other.nothing_to_log_at is None


def test_a_repeated_time_field_is_read_once_and_refused_cleanly(officer, walk):
    """A list where one value is expected: the last is taken (as Django does), a junk one is a 400."""
    response = officer.post(
        reverse("patrols:walk_start", args=[walk.pk]),
        {"action_key": str(uuid.uuid4()), "acted_at": [iso(NOW.replace(hour=14, minute=5)), "junk"]},
        **JSON,
    )
    assert response.status_code == 400


def test_without_javascript_a_bad_time_is_a_message_not_a_500(officer, walk):
    response = officer.post(
        reverse("patrols:walk_start", args=[walk.pk]),
        {"acted_at": "2026-02-30T14:05:00+00:00", "next": "/app/today/"},
    )
    assert response.status_code == 302 and response["Location"] == "/app/today/"
    page = officer.get("/app/today/").content.decode()
    assert "not a real date and time" in page
    started(walk, NOW.replace(hour=14, minute=5))
    form = officer.post(
        reverse("patrols:concern_new", args=[walk.pk]), concern_data("2026-02-30T14:05:00+00:00")
    )
    assert form.status_code == 200 and "When it was done" in form.content.decode()
    assert not Concern.objects.exists()


# -- the query budget (issue 16) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["patrols:walk_start", "patrols:walk_no_show", "patrols:walk_finish", "patrols:walk_nothing_to_log"],
)
def test_queued_actions_with_a_time_fit_the_query_budget(officer, walk, name, django_assert_max_num_queries):
    if name in ("patrols:walk_finish", "patrols:walk_nothing_to_log"):
        started(walk, NOW.replace(hour=14, minute=5))
    if name == "patrols:walk_nothing_to_log":
        walks.finish_walk(walk=walk, by=walk.officer.user, now=NOW.replace(hour=14, minute=59))
    with django_assert_max_num_queries(12):
        response = act(officer, name, walk, iso(NOW.replace(hour=15, minute=2)))
    assert response.status_code == 200, response.content


def test_a_queued_concern_and_follow_up_with_a_time_fit_the_query_budget(
    officer, walk, django_assert_max_num_queries
):
    concern = concern_on(started(walk, NOW.replace(hour=14, minute=5)), NOW.replace(hour=14, minute=20))
    with django_assert_max_num_queries(12):
        new = officer.post(
            reverse("patrols:concern_new", args=[walk.pk]),
            concern_data(iso(NOW.replace(hour=14, minute=40))),
            **JSON,
        )
    assert new.status_code == 200
    url = reverse("patrols:concern_detail", args=[concern.pk])
    with django_assert_max_num_queries(12):
        update = officer.post(
            url, {"note": "Chased", "acted_at": iso(NOW.replace(hour=14, minute=45))}, **JSON
        )
    assert update.status_code == 200
