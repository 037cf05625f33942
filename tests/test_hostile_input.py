"""Bad input (issue 9, point 7): property-based tests post random and hostile values — very long
strings, HTML and JavaScript, SQL fragments, odd Unicode (right-to-left, zero-width, emoji, NUL),
numbers and coordinates out of range, NaN and infinity, lists where one value is expected, fields
missing — to every form and JSON endpoint, as each role that may use it, and as every other role.

What must hold: never a server error (500); never raw markup from the input in an HTML page; and when
a value was stored, the pages that show it back show it escaped (and the partners' CSV keeps spreadsheet
formulas inert). PostgreSQL refuses NUL in text, so a NUL that got past a form would be a 500 here.

Each example runs in a savepoint that is rolled back, so examples don't see each other's data. The
examples are derandomised (the same every run, so CI never flakes on a new one); set
HYPOTHESIS_PROFILE=explore for a longer random search on your machine.
"""

from __future__ import annotations

import csv
import io
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from participants.models import Resident, Ward
from participants.roles import RESIDENTS
from patrols import concerns as concern_service
from patrols.models import (
    LONDON,
    AvailabilityException,
    Concern,
    ConcernCategory,
    ConcernUpdate,
    Disclosure,
    SafetyRating,
    Walk,
)
from tests.factories import PASSWORD, AvailabilityWindowFactory, UserFactory, WalkFactory, sergeant_user
from tests.helpers import body_of, rolled_back
from tests.test_access_matrix import all_patterns

pytestmark = pytest.mark.django_db

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
settings.register_profile("explore", parent=settings.get_profile("ci"), max_examples=300, derandomize=False)
FUZZ = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=LONDON)  # a Monday
TUESDAY = date(2026, 12, 8)
ROLES = ("anonymous", "resident_a", "resident_b", "officer_a", "officer_b", "sergeant")


def at(hhmm: str, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=LONDON)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# ---------------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------------

# Markup that, shown raw, would run: it must only ever appear escaped.
SCRIPTS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
]
RAW_MARKUP = ("<script>alert", "<img src=x", "<svg onload")
PAYLOADS = [
    *SCRIPTS,
    "javascript:alert(1)",
    "'; DROP TABLE participants_resident; --",
    "1' OR '1'='1",
    "{{ request.user.password }}{% debug %}",
    '=HYPERLINK("http://example.org")',
    "+1+1",
    "@SUM(A1)",
    "\x00",
    "nul\x00inside",
    "\u202etxt.exe",
    "zero\u200bwidth\u200dthing",
    "👩🏽‍🦽🏳️‍🌈",
    "مرحبا بالعالم",
    "Ω≈ç√∫˜µ≤≥÷",
    "\ufeffbom",
    "e\u0301\u0301\u0301\u0301",
    "line one\r\nline two\rthree\nfour",
    "\r\nSet-Cookie: evil=1",
    "\t",
    "   ",
    "",
    "%00",
    "%s%s%n",
    "../../../../etc/passwd",
    "null",
    "None",
    "[]",
    '{"a": 1}',
    "true",
    "-1",
    "0",
    "1e309",
    "NaN",
    "-Infinity",
    "99999999999999999999999999",
    "٣",
    "0x1F",
]

payloads = st.sampled_from(PAYLOADS)
long_text = st.builds(
    lambda p, n: (p * n)[:10_000], st.sampled_from([*SCRIPTS, "ü", "x"]), st.integers(50, 10_000)
)
hostile_text = st.one_of(payloads, payloads, st.text(max_size=120), long_text)
numbers = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["NaN", "Infinity", "-inf", "1e309", "-0", "1_000", "١", "", " 3 "]),
    payloads,
)
in_london_lat = st.decimals(min_value=Decimal("51.29"), max_value=Decimal("51.69"), places=6).map(str)
in_london_lng = st.decimals(min_value=Decimal("-0.51"), max_value=Decimal("0.33"), places=6).map(str)
coordinates = st.one_of(
    in_london_lat,
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "91", "-181", "51.4735000000001", "51,47", "", "0"]),
    payloads,
)
# Well-formed but impossible (issue 14): they look like dates and times, so they get past a format
# check and fail later — 30 February, month 13, hour 25, the first and last years there are, offsets
# no clock has (+99:00), or that Python holds but PostgreSQL does not (+20:00, -23:59).
EDGE_YEARS = [1, 2, 1999, 2000, 2026, 2036, 2037, 9998, 9999]
OFFSETS = ["+00:00", "Z", "+99:00", "+20:00", "-23:59", "+23:59", "+15:59", "-16:00", "+14:00", "+05:30", ""]
impossible_dates = st.one_of(
    st.sampled_from(["2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "2026-12-32", "9999-12-31",
                     "0001-01-01", "10000-01-01", "0000-01-01", "2026-1-1", "+2026-12-08"]),
    st.builds(
        "{:04d}-{:02d}-{:02d}".format, st.sampled_from(EDGE_YEARS), st.integers(0, 13), st.integers(0, 32)
    ),
)  # fmt: skip
impossible_times = st.one_of(
    st.sampled_from(["24:00", "25:61", "23:60", "-1:00", "12:00+99:00", "99:99:99"]),
    st.builds("{:02d}:{:02d}".format, st.integers(0, 25), st.sampled_from([0, 15, 59, 60, 61])),
)
impossible_datetimes = st.builds(
    lambda day, h, m, sec, offset: f"{day}T{h:02d}:{m:02d}:{sec:02d}{offset}",
    st.one_of(impossible_dates, st.sampled_from(["2026-12-08", "2026-12-10"])),
    st.integers(0, 25),
    st.sampled_from([0, 30, 59, 61]),
    st.sampled_from([0, 59, 60]),
    st.sampled_from(OFFSETS),
)
impossible_months = st.one_of(
    st.sampled_from(["9999-12", "0001-01", "2026-13", "2026-00", "10000-01", "0000-12"]),
    st.builds("{:04d}-{:02d}".format, st.sampled_from(EDGE_YEARS), st.integers(0, 13)),
)
dates = st.one_of(
    st.dates().map(str),
    st.sampled_from(["2026-02-30", "9999-12-31", "0001-01-01", "2026-13-01", "2026-W50", "today", ""]),
    impossible_dates,
    impossible_dates,
    payloads,
)
times = st.one_of(
    st.times().map(str), st.sampled_from(["24:00", "25:61", "-1:00", "7pm", ""]), impossible_times, payloads
)
# An instant as a slot travels (ISO, with an offset), or anything a date or time field might get.
instants = st.one_of(impossible_datetimes, impossible_datetimes, dates, times)
# When she acted, as her phone sends it with a queued action (issue 17, patrols/acted_at.py): well
# formed, a little over a day either side of now, in any offset a clock has (−12:00 to +14:00)…
acted_times_near = st.builds(
    lambda minutes, offset: (
        (NOW + timedelta(minutes=minutes))
        .astimezone(timezone(timedelta(minutes=offset)))
        .isoformat(timespec="milliseconds")
    ),
    st.integers(-26 * 60, 26 * 60),
    st.integers(-12 * 60, 14 * 60),
)
# …or anything else: impossible dates and offsets, the ends of time, bare dates, junk.
acted_times = st.one_of(
    acted_times_near,
    impossible_datetimes,
    instants,
    st.sampled_from(["9999-12-31T23:59:59.999+00:00", "0001-01-01T00:00:00-00:00", "2026-12-07T09:00:00"]),
    hostile_text,
)


def over_long(limit: int) -> st.SearchStrategy:
    """Text just past a field's limit, or far past it, in characters of one byte or several; it ends
    in no space (a form strips those before it counts)."""

    def build(unit: str, extra: int) -> str:
        text = (unit * (limit + extra))[: limit + extra - 1]
        return text + "x"

    return st.builds(
        build,
        st.sampled_from(["a", "ü", "👩🏽", "Rye Lane ", "<script>alert(1)</script>", "line\r\n"]),
        st.one_of(st.integers(1, 3), st.integers(1, 3 * limit)),
    )


def storable(max_size: int = 10_000) -> st.SearchStrategy:
    """Hostile text a form should accept and store (no NUL, within its length, not blank): the values
    that reach the pages that show them back."""
    no_nul = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
    return st.one_of(
        st.sampled_from([p for p in PAYLOADS if p.strip() and "\x00" not in p and len(p) <= max_size]),
        st.text(alphabet=no_nul, min_size=1, max_size=min(max_size, 120)),
        st.builds(lambda p, n: (p * n)[:max_size], st.sampled_from(SCRIPTS), st.integers(1, 2_500)),
    ).filter(lambda text: text.strip())


def maybe_wrong_type(values: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly one value; sometimes a list (the key repeated), which a scalar field must cope with."""
    return st.one_of(values, values, values, st.lists(values, min_size=2, max_size=3))


@dataclass(frozen=True)
class F:
    """A form field: values that pass its validation, and values that should not (or might not)."""

    valid: st.SearchStrategy
    bad: st.SearchStrategy = hostile_text
    optional: bool = False


def text(max_size: int = 10_000, optional: bool = False) -> F:
    return F(storable(max_size), hostile_text, optional)


def choice(*values, optional: bool = False) -> F:
    return F(st.sampled_from([str(v) for v in values]), st.one_of(hostile_text, numbers), optional)


def form(**fields: F) -> st.SearchStrategy:
    """A form post. A third of the time every field is valid (free text hostile but storable), so the
    value is stored and the pages that show it back are checked; otherwise each field is valid or
    hostile, sometimes a list, optional fields sometimes missing."""
    clean = st.fixed_dictionaries({name: f.valid for name, f in fields.items()})
    dirty = st.fixed_dictionaries(
        {name: maybe_wrong_type(st.one_of(f.valid, f.bad)) for name, f in fields.items() if not f.optional},
        optional={
            name: maybe_wrong_type(st.one_of(f.valid, f.bad)) for name, f in fields.items() if f.optional
        },
    )
    return st.one_of(clean, dirty, dirty)


# ---------------------------------------------------------------------------------------------------
# The stage, and the checks
# ---------------------------------------------------------------------------------------------------


@dataclass
class Stage:
    clients: dict[str, Client]
    booked: Walk  # resident A's walk on Tuesday at 19:00 with officer A
    walking: Walk  # resident A's walk now in progress
    done: Walk  # resident A's completed walk, with a concern
    concern: Concern
    category: ConcernCategory
    language: str = "en"  # the residents' language, and the public's (issue 18)


# Issue 18: the resident's forms also run with the residents (and the public) in Spanish — the tests
# that take `her_language` are parametrized with it. The messages on her forms must then be in Spanish.
HER_LANGUAGES = ["en", "es"]
PUBLIC_ROLES = ("anonymous", "resident_a", "resident_b")


@pytest.fixture
def her_language() -> str:
    return "en"


def in_her_language(stage: Stage, response, what: str) -> None:
    """On a resident's or the public's page in Spanish, the error summary and Django's own field
    messages are Spanish, never the English words."""
    if stage.language == "en" or not response.get("Content-Type", "").startswith("text/html"):
        return
    body = body_of(response)
    for english in ("There is a problem", "This field is required."):
        with translation.override(stage.language):
            translated = translation.gettext(english)
        assert translated != english, f"no {stage.language} for {english!r}"
        assert english not in body, f"{what}: {english!r} in English on a {stage.language} page"


@pytest.fixture
def stage(resident_a, resident_b, officer_a, officer_b, sergeant, her_language) -> Iterator[Stage]:
    Resident.objects.filter(pk__in=[resident_a.pk, resident_b.pk]).update(language=her_language)
    with time_machine.travel(NOW, tick=False):
        for officer in (officer_a, officer_b):
            AvailabilityWindowFactory(officer=officer, weekday=1, start_time="15:00", end_time="22:00")
        booked = WalkFactory(
            resident=resident_a, officer=officer_a, starts_at=at("19:00"), ends_at=at("20:00")
        )
        walking = WalkFactory(
            resident=resident_a, officer=officer_a, starts_at=NOW - timedelta(minutes=30),
            ends_at=NOW + timedelta(minutes=30), status=Walk.Status.IN_PROGRESS,
        )  # fmt: skip
        done = WalkFactory(
            resident=resident_a, officer=officer_a, starts_at=NOW - timedelta(days=2),
            ends_at=NOW - timedelta(days=2, minutes=-60), status=Walk.Status.COMPLETED,
        )  # fmt: skip
        category = ConcernCategory.objects.get(name="Badly lit")
        concern, _ = concern_service.log_concern(
            walk=done, by=officer_a.user, category=category, severity="high", when_it_matters="after_dark",
            location_text="By the bus stop", now=done.starts_at + timedelta(minutes=10),
        )  # fmt: skip
        users = {
            "resident_a": resident_a.user,
            "resident_b": resident_b.user,
            "officer_a": officer_a.user,
            "officer_b": officer_b.user,
            "sergeant": sergeant,
        }
        clients = {"anonymous": public_client(her_language)}
        for role, user in users.items():
            clients[role] = public_client(her_language)
            clients[role].force_login(user)
        yield Stage(clients, booked, walking, done, concern, category, her_language)


def public_client(language: str) -> Client:
    """A browser that picked `language` on the switcher (staff screens stay English regardless)."""
    client = Client(raise_request_exception=False)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


def check(response, what: str) -> str:
    """No server error; an HTML page carries no raw markup from the input. Returns the body."""
    assert response.status_code < 500, f"{what}: {response.status_code}"
    body = body_of(response)
    if response.get("Content-Type", "").startswith("text/html"):
        for raw in RAW_MARKUP:
            assert raw not in body, f"{what}: raw {raw!r} in the page"
    return body


def shows_escaped(body: str, value: str, what: str) -> None:
    """The stored value is on the page, escaped (line by line: |linebreaksbr joins lines with <br>)."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    for line in text.split("\n"):
        if line.strip():
            assert escape(line) in body, f"{what}: {line[:80]!r} is not shown, escaped"


def post(stage: Stage, role: str, path: str, data: dict, **extra):
    response = stage.clients[role].post(path, data, **extra)
    if role in PUBLIC_ROLES and response.status_code < 500:
        in_her_language(stage, response, f"POST {path} as {role}")
    return response


def get(stage: Stage, role: str, path: str, data: dict | None = None):
    return stage.clients[role].get(path, data or {})


def run(test, stored: list) -> None:
    """Run a property test (the stage keeps the clock frozen); at least one example must have stored
    something, or the show-back checks never ran."""
    FUZZ(test)()
    assert stored, "no example got past the form: the strategy never tested showing a value back"


# ---------------------------------------------------------------------------------------------------
# A resident's forms
# ---------------------------------------------------------------------------------------------------


def profile_fields():
    ward_pks = [str(pk) for pk in Ward.objects.filter(name="Peckham").values_list("pk", flat=True)]
    other_wards = [str(pk) for pk in Ward.objects.values_list("pk", flat=True)[:3]]
    return form(
        preferred_name=text(60),
        ward=F(st.sampled_from(ward_pks), st.one_of(st.sampled_from(other_wards), numbers)),
        contact_channel=choice("email", "sms"),
        language=choice("en", "ar", "so", "tr"),
        baseline_safety=choice(1, 2, 3, 4, 5),
        mobile=F(st.sampled_from(["07911123456", "+447400123456"]), numbers, optional=True),
        mention_police_in_messages=choice("on", optional=True),
        access_needs=text(1000, optional=True),
        usual_walk_times=text(1000, optional=True),
        privacy_consent=choice("on", optional=True),
    )


@pytest.mark.parametrize("her_language", HER_LANGUAGES)
def test_profile_form_edit(stage, resident_a):
    stored = []
    path = reverse("participants:profile")

    @given(data=profile_fields())
    def example(data):
        with rolled_back():
            check(post(stage, "resident_a", path, data), "profile")
            resident = Resident.objects.get(pk=resident_a.pk)
            if resident.preferred_name != "Amira":
                stored.append(1)
                body = check(get(stage, "resident_a", path), "profile shown back")
                shows_escaped(body, resident.preferred_name, "profile")
                shows_escaped(body, resident.access_needs, "profile")
                if resident.ward == resident_a.ward:  # still her officer's
                    body = check(
                        get(stage, "officer_a", reverse("participants:my_residents")), "my residents"
                    )
                    shows_escaped(body, resident.preferred_name, "my residents")
                    shows_escaped(body, resident.usual_walk_times, "my residents")
                walk = reverse("patrols:officer_walk", args=[stage.booked.pk])
                shows_escaped(check(get(stage, "officer_a", walk), "walk"), resident.access_needs, "walk")

    run(example, stored)


@pytest.mark.parametrize("her_language", HER_LANGUAGES)
def test_profile_form_create(stage):
    stored = []
    path = reverse("participants:profile_create")
    client = public_client(stage.language)
    client.force_login(UserFactory(group=RESIDENTS))

    @given(data=profile_fields())
    def example(data):
        with rolled_back():
            response = client.post(path, data)
            check(response, "profile create")
            in_her_language(stage, response, "profile create")
            resident = Resident.objects.order_by("-pk").first()
            if resident and resident.user_id == int(client.session["_auth_user_id"]):
                stored.append(1)
                body = check(client.get(reverse("participants:profile")), "profile shown back")
                shows_escaped(body, resident.preferred_name, "new profile")
                check(client.get(reverse("patrols:my_walks"), follow=True), "her landing page")

    run(example, stored)


def booking_fields():
    slots = [iso(at(f"{h:02d}:{m:02d}")) for h in range(15, 22) for m in (0, 30) if (h, m) != (19, 0)]
    return form(
        starts_at=F(st.sampled_from(slots), st.one_of(hostile_text, instants, instants)),
        meeting_point=text(200),
        route=text(1000),
        meeting_latitude=F(in_london_lat, coordinates, optional=True),
        meeting_longitude=F(in_london_lng, coordinates, optional=True),
        known_worries=text(1000, optional=True),
    )


@pytest.mark.parametrize("her_language", HER_LANGUAGES)
def test_booking_form(stage):
    stored = []
    path = reverse("patrols:book")

    @given(data=booking_fields(), week=numbers)
    def example(data, week):
        with rolled_back():
            check(get(stage, "resident_a", path, {"week": week}), "book page, odd week")
            before = set(Walk.objects.values_list("pk", flat=True))
            check(post(stage, "resident_a", path, data), "book")
            new = Walk.objects.exclude(pk__in=before).first()
            if new is not None:
                stored.append(1)
                # stored as she typed it, never cut to fit
                for field in ("meeting_point", "route", "known_worries"):
                    posted = data.get(field, "")
                    if isinstance(posted, str):
                        assert getattr(new, field) == posted.strip(), f"{field} was changed on the way in"
                for role in ("resident_a", "officer_a", "sergeant"):
                    # her officer's page of it is in her app (/app/walks/<pk>/)
                    name = "patrols:officer_walk" if role == "officer_a" else "patrols:walk_detail"
                    body = check(get(stage, role, reverse(name, args=[new.pk])), f"walk as {role}")
                    for value in (new.meeting_point, new.route, new.known_worries):
                        shows_escaped(body, value, f"walk as {role}")
                body = check(get(stage, "resident_a", reverse("patrols:my_walks")), "my walks")
                shows_escaped(body, new.meeting_point, "my walks")
                body = check(get(stage, "officer_a", reverse("patrols:schedule")), "schedule")
                shows_escaped(body, new.meeting_point, "schedule")

    run(example, stored)


@pytest.mark.parametrize("her_language", HER_LANGUAGES)
def test_move_and_cancel(stage):
    stored = []
    move = reverse("patrols:walk_move", args=[stage.booked.pk])
    cancel = reverse("patrols:walk_cancel", args=[stage.booked.pk])
    slots = [iso(at(f"{h:02d}:00")) for h in (16, 17, 20)]

    @given(
        starts_at=maybe_wrong_type(st.one_of(st.sampled_from(slots), hostile_text, instants, instants)),
        show_week=st.one_of(st.none(), numbers),
        reason=maybe_wrong_type(hostile_text),
        role=st.sampled_from(["resident_a", "officer_a", "sergeant"]),
    )
    def example(starts_at, show_week, reason, role):
        with rolled_back():
            data = {"starts_at": starts_at} | ({"show_week": show_week} if show_week is not None else {})
            check(post(stage, "resident_a", move, data), "move")
            check(post(stage, role, cancel, {"reason": reason}), f"cancel as {role}")
            walk = Walk.objects.get(pk=stage.booked.pk)
            if walk.cancel_reason:
                stored.append(1)
                body = check(get(stage, "officer_a", reverse("patrols:officer_walk", args=[walk.pk])), "walk")
                shows_escaped(body, walk.cancel_reason, "cancel reason")

    run(example, stored)


@pytest.mark.parametrize("her_language", HER_LANGUAGES)
def test_feedback_and_is_it_fixed(stage):
    stored = []
    feedback = reverse("patrols:walk_feedback", args=[stage.done.pk])
    fixed = reverse("patrols:concern_fixed", args=[stage.concern.pk])

    @given(
        data=form(rating=choice(1, 2, 3, 4, 5), comment=text(2000, optional=True)),
        note=form(note=text(1000, optional=True)),
    )
    def example(data, note):
        with rolled_back():
            check(post(stage, "resident_a", feedback, data), "feedback")
            check(post(stage, "resident_a", fixed, note), "is it fixed")
            rating = SafetyRating.objects.filter(walk=stage.done).first()
            if rating is not None:
                stored.append(1)
                body = check(get(stage, "resident_a", feedback), "feedback shown back")
                shows_escaped(body, rating.comment, "feedback comment")

    run(example, stored)


@pytest.mark.parametrize("her_language", HER_LANGUAGES)
def test_erase_form_confirmation(stage):
    path = reverse("participants:erase")

    @given(data=form(confirm=F(st.sampled_from(["ERASE", " erase "]), optional=True)))
    def example(data):
        with rolled_back():
            check(post(stage, "resident_a", path, data), "erase")

    FUZZ(example)()


# ---------------------------------------------------------------------------------------------------
# An officer's forms (and the sergeant's, for any walk)
# ---------------------------------------------------------------------------------------------------


def concern_fields(category_pk: int):
    from patrols.models import Concern as C

    return form(
        category=F(st.just(str(category_pk)), numbers),
        severity=choice(*C.Severity.values),
        when_it_matters=choice(*C.When.values),
        draft_key=F(st.uuids().map(str)),
        acted_at=F(acted_times_near, acted_times, optional=True),
        latitude=F(in_london_lat, coordinates, optional=True),
        longitude=F(in_london_lng, coordinates, optional=True),
        location_text=text(200),
        resident_said=text(2000, optional=True),
        action=text(2000, optional=True),
        resident_said_shared=choice("", "on", "true", "0", optional=True),
    )


def test_concern_form_html_and_json(stage):
    stored = []
    path = reverse("patrols:concern_new", args=[stage.walking.pk])

    @given(
        data=concern_fields(stage.category.pk),
        as_json=st.booleans(),
        role=st.sampled_from(["officer_a", "sergeant"]),
    )
    def example(data, as_json, role):
        with rolled_back():
            headers = {"headers": {"accept": "application/json"}} if as_json else {}
            response = post(stage, role, path, data, **headers)
            check(response, "concern")
            if as_json:
                assert response["Content-Type"] == "application/json"
                assert response.status_code in (200, 400)
                assert "ok" in response.json()
            concern = Concern.objects.filter(walk=stage.walking).first()
            if concern is not None:
                stored.append(1)
                detail = reverse("patrols:concern_detail", args=[concern.pk])
                body = check(get(stage, "officer_a", detail), "concern detail")
                for value in (concern.location_text, concern.resident_said, concern.action):
                    shows_escaped(body, value, "concern detail")
                body = check(
                    get(stage, "resident_a", reverse("patrols:walk_detail", args=[stage.walking.pk])), "walk"
                )
                shows_escaped(body, concern.location_text, "her walk")
                body = check(get(stage, "officer_b", reverse("patrols:area_concerns")), "area view")
                shows_escaped(body, concern.location_text, "area view")
                check(get(stage, "sergeant", reverse("admin:index")), "dashboard")
                csv_cells_are_inert(check(get(stage, "sergeant", reverse("admin:export_concerns")), "csv"))

    run(example, stored)


def test_concern_endpoint_with_a_json_body(stage):
    """The draft sender posts a form; a JSON body (or any other) is a clean 400, never a 500."""
    path = reverse("patrols:concern_new", args=[stage.walking.pk])

    @given(body=st.one_of(st.text(max_size=200), st.sampled_from(['{"latitude": NaN}', "[1,2", "\x00"])))
    def example(body):
        with rolled_back():
            response = stage.clients["officer_a"].post(
                path, body, content_type="application/json", headers={"accept": "application/json"}
            )
            check(response, "concern, JSON body")
            assert response.status_code == 400

    FUZZ(example)()


def csv_cells_are_inert(text: str) -> None:
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@"):
                float(cell)  # only a number may start so; anything else must have been quoted with '


def test_concern_follow_up(stage):
    stored = []
    path = reverse("patrols:concern_detail", args=[stage.concern.pk])

    @given(
        data=form(
            note=text(2000),
            new_status=choice("", *Concern.Status.values, optional=True),
            closed_reason=text(300, optional=True),
            acted_at=F(acted_times_near, acted_times, optional=True),
        ),
        role=st.sampled_from(["officer_a", "sergeant"]),
    )
    def example(data, role):
        with rolled_back():
            check(post(stage, role, path, data), "follow-up")
            update = ConcernUpdate.objects.filter(concern=stage.concern).first()
            if update is not None:
                stored.append(1)
                body = check(get(stage, "officer_a", path), "follow-up shown back")
                shows_escaped(body, update.note, "follow-up")
                concern = Concern.objects.get(pk=stage.concern.pk)
                shows_escaped(body, concern.closed_reason, "closed reason")

    run(example, stored)


def test_disclosure_form(stage):
    stored = []
    path = reverse("patrols:disclosure_new", args=[stage.walking.pk])

    @given(
        data=form(
            what_was_said=text(5000),
            referral_made=text(2000),
            referred_to=text(200),
            reference=text(100, optional=True),
        ),
        role=st.sampled_from(["officer_a", "sergeant"]),
    )
    def example(data, role):
        with rolled_back():
            check(post(stage, role, path, data), "disclosure")
            disclosure = Disclosure.objects.filter(walk=stage.walking).first()
            if disclosure is not None:
                stored.append(1)
                body = check(
                    get(stage, "officer_a", reverse("patrols:officer_walk", args=[stage.walking.pk])), "walk"
                )
                for value in (disclosure.what_was_said, disclosure.referred_to, disclosure.reference):
                    shows_escaped(body, value, "disclosure")

    run(example, stored)


def test_availability_forms(stage):
    stored = []
    path = reverse("patrols:availability")

    @given(
        window=form(
            add_window=F(st.just("1")),
            weekday=F(st.sampled_from(["0", "3", "6"]), numbers),
            start_time=F(st.just("10:00"), times),
            end_time=F(st.just("12:00"), times, optional=True),
        ),
        change=form(
            add_exception=F(st.just("1")),
            kind=choice("unavailable"),
            first_day=F(st.sampled_from(["2026-12-20", "2026-12-21"]), dates),
            last_day=F(st.just(""), dates, optional=True),
            start_time=F(st.just(""), times, optional=True),
            end_time=F(st.just(""), times, optional=True),
            note=text(120, optional=True),
        ),
    )
    def example(window, change):
        with rolled_back():
            check(post(stage, "officer_a", path, window), "window")
            check(post(stage, "officer_a", path, change), "change")
            added = AvailabilityException.objects.filter(officer=stage.booked.officer).first()
            if added is not None:
                stored.append(1)
                shows_escaped(check(get(stage, "officer_a", path), "availability"), added.note, "change note")

    run(example, stored)


@pytest.mark.parametrize(("first_day", "last_day"), [("9999-12-31", ""), ("2026-12-20", "9999-12-31")])
def test_a_change_on_the_last_date_there_is_is_refused_not_a_500(stage, first_day, last_day):
    """`last_day + 1 day` overflowed on 9999-12-31 (OverflowError, a 500); changes are for two years ahead."""
    data = {"add_exception": "1", "kind": "unavailable", "first_day": first_day, "last_day": last_day}
    response = post(stage, "officer_a", reverse("patrols:availability"), data)
    assert response.status_code == 200 and "Choose a date in the next two years." in body_of(response)
    assert not AvailabilityException.objects.exists()


@given(
    action=st.sampled_from(["walk_start", "walk_finish", "walk_no_show", "walk_nothing_to_log"]),
    next_url=maybe_wrong_type(
        st.one_of(
            hostile_text,
            st.sampled_from(
                ["//evil.example", "https://evil.example/", "/app/today/\r\nX: 1", "/\x00", "\\\\evil"]
            ),
        )
    ),
    role=st.sampled_from(["officer_a", "sergeant"]),
)
@FUZZ
def test_walk_actions_with_a_hostile_next(stage, action, next_url, role):
    with rolled_back():
        response = post(stage, role, reverse(f"patrols:{action}", args=[stage.booked.pk]), {"next": next_url})
        check(response, action)
        assert response.status_code == 302
        location = response["Location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location


@given(acted_at=maybe_wrong_type(acted_times), as_json=st.booleans())
@FUZZ
def test_a_queued_finish_with_any_time_she_acted(stage, acted_at, as_json):
    """Whatever time the phone says: never a 500; recorded only within a day before now, never after
    it; otherwise refused with a reason and the walk as it was."""
    path = reverse("patrols:walk_finish", args=[stage.walking.pk])
    headers = {"headers": {"accept": "application/json"}} if as_json else {}
    with rolled_back():
        response = post(
            stage, "officer_a", path, {"action_key": str(uuid.uuid4()), "acted_at": acted_at}, **headers
        )
        check(response, "finish")
        walk = Walk.objects.get(pk=stage.walking.pk)
        if walk.status == Walk.Status.COMPLETED:
            assert NOW - timedelta(hours=24) <= walk.finished_at <= NOW
        else:
            assert walk.finished_at is None
            if as_json:
                assert response.status_code == 400 and response.json()["errors"]["__all__"][0]


@given(
    acted_at=acted_times_near,
    target=st.sampled_from(["finish", "follow-up", "concern"]),
)
@FUZZ
def test_a_well_formed_time_within_a_day_is_kept_clamped_to_now_and_outside_refused(stage, acted_at, target):
    """The rule itself, for any well-formed time in any real offset: within a day before now, recorded
    as given; ahead of now (by up to a day), now; further either way, refused (400)."""
    moment = datetime.fromisoformat(acted_at)
    key = {"action_key": str(uuid.uuid4())}
    json = {"headers": {"accept": "application/json", "x-concern-outbox": "1"}}
    with rolled_back():
        if target == "finish":
            path = reverse("patrols:walk_finish", args=[stage.walking.pk])
            response = post(stage, "officer_a", path, {**key, "acted_at": acted_at}, **json)
            recorded = Walk.objects.get(pk=stage.walking.pk).finished_at
        elif target == "follow-up":
            path = reverse("patrols:concern_detail", args=[stage.concern.pk])
            response = post(stage, "officer_a", path, {**key, "note": "Chased", "acted_at": acted_at}, **json)
            recorded = (
                ConcernUpdate.objects.filter(concern=stage.concern).values_list("at", flat=True).first()
            )
        else:
            path = reverse("patrols:concern_new", args=[stage.walking.pk])
            data = {
                "category": str(stage.category.pk),
                "severity": "low",
                "when_it_matters": "always",
                "location_text": "Rye Lane",
                "draft_key": str(uuid.uuid4()),
                "acted_at": acted_at,
            }
            response = post(stage, "officer_a", path, data, **json)
            concern = Concern.objects.filter(walk=stage.walking).first()
            recorded = concern.created_at if concern else None
        if abs(moment - NOW) > timedelta(hours=24):
            assert response.status_code == 400 and recorded is None, response.content
        else:
            assert response.status_code == 200, response.content
            # The walk in progress began 30 minutes ago (a concern may read up to 10 minutes before).
            floor = stage.walking.starts_at - timedelta(minutes=10) if target == "concern" else None
            expected = min(moment, NOW)
            assert recorded == (max(expected, floor) if floor else expected)


@pytest.mark.parametrize(
    "next_url", ["today", "<script>alert(1)</script>", "admin:index", "https://evil.example/"]
)
def test_a_walk_action_goes_only_to_a_path_on_this_site(stage, next_url):
    """redirect() took a bare word for a URL name: `next=today` was a 500 (NoReverseMatch)."""
    response = post(
        stage, "officer_a", reverse("patrols:walk_start", args=[stage.booked.pk]), {"next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("patrols:officer_walk", args=[stage.booked.pk])


# ---------------------------------------------------------------------------------------------------
# Filters and query strings; the sergeant's dashboard, export and report
# ---------------------------------------------------------------------------------------------------


@given(
    query=form(
        start=F(dates, optional=True),
        end=F(dates, optional=True),
        borough=F(numbers, optional=True),
        ward=F(numbers, optional=True),
    ),
    report=form(
        borough=F(numbers, optional=True),
        month=F(
            st.sampled_from(["2026-11", "0000-00"]), st.one_of(impossible_months, impossible_months, dates)
        ),
    ),
    area=form(category=F(numbers, optional=True), status=F(hostile_text, optional=True), page=F(numbers)),
)
@FUZZ
def test_dashboard_export_report_and_area_filters(stage, query, report, area):
    with rolled_back():
        check(get(stage, "sergeant", reverse("admin:index"), query), "dashboard")
        csv_cells_are_inert(check(get(stage, "sergeant", reverse("admin:export_concerns"), query), "csv"))
        check(get(stage, "sergeant", reverse("admin:monthly_report"), report), "monthly report")
        check(get(stage, "officer_a", reverse("patrols:area_concerns"), area), "area view")
        check(get(stage, "officer_a", reverse("patrols:my_concerns"), {"page": area.get("page", "")}), "mine")


# ---------------------------------------------------------------------------------------------------
# Signing up and signing in
# ---------------------------------------------------------------------------------------------------

emails = F(
    st.sampled_from(["new.resident@example.org", "NEW.Resident+tag@Example.org"]),
    st.one_of(hostile_text, hostile_text.map(lambda s: f"{s}@example.org")),
)


@pytest.mark.parametrize("her_language", HER_LANGUAGES)
@given(
    signup=form(email=emails, password1=text(200), password2=text(200)),
    login=form(login=emails, password=F(st.just(PASSWORD)), remember=choice("on", optional=True)),
)
@FUZZ
def test_sign_up_and_sign_in(stage, signup, login):
    with rolled_back():
        client = public_client(stage.language)
        response = client.post(reverse("account_signup"), signup)
        check(response, "sign-up")
        in_her_language(stage, response, "sign-up")
        assert response.status_code in (200, 302, 429)
        client = public_client(stage.language)
        response = client.post(reverse("account_login"), login)
        check(response, "sign-in")
        in_her_language(stage, response, "sign-in")
        assert response.status_code in (200, 302, 429)


# ---------------------------------------------------------------------------------------------------
# Every form as every role
# ---------------------------------------------------------------------------------------------------

FORMS = [
    ("participants:profile_create", None),
    ("participants:profile", None),
    ("participants:erase", None),
    ("patrols:book", None),
    ("patrols:walk_move", "booked"),
    ("patrols:walk_cancel", "booked"),
    ("patrols:walk_feedback", "done"),
    ("patrols:concern_fixed", "concern"),
    ("patrols:concern_new", "walking"),
    ("patrols:disclosure_new", "walking"),
    ("patrols:concern_detail", "concern"),
    ("patrols:availability", None),
    ("account_signup", None),
    ("account_login", None),
]
FIELD_NAMES = [
    "preferred_name", "ward", "mobile", "baseline_safety", "starts_at", "meeting_point", "meeting_latitude",
    "meeting_longitude", "route", "reason", "rating", "comment", "note", "latitude", "longitude", "category",
    "severity", "draft_key", "what_was_said", "add_window", "add_exception", "weekday", "first_day", "email",
    "login", "password", "confirm", "show_week", "next",
]  # fmt: skip


@given(
    target=st.sampled_from(FORMS),
    role=st.sampled_from(ROLES),
    data=st.dictionaries(
        st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=20)), maybe_wrong_type(hostile_text)
    ),
    as_json=st.booleans(),
)
@settings(parent=FUZZ, max_examples=FUZZ.max_examples * 4)
def test_every_form_as_every_role(stage, target, role, data, as_json):
    name, pk = target
    path = reverse(name, args=[getattr(stage, pk).pk] if pk else [])
    with rolled_back():
        headers = {"headers": {"accept": "application/json"}} if as_json else {}
        check(post(stage, role, path, data, **headers), f"{name} as {role}")


# ---------------------------------------------------------------------------------------------------
# The admin's lists: search, ordering, paging and every list filter, from the registry
# ---------------------------------------------------------------------------------------------------


def admin_list_params() -> list[str]:
    # not "e": that is the admin's own "invalid lookup" page (Django's invalid_setup.html), which leaves
    # site_title undefined for --fail-on-template-vars; a bad lookup is redirected there (302) anyway
    names = {"q", "o", "p", "all", "_changelist_filters", "_to_field", "_popup"}
    for model_admin in admin.site._registry.values():
        for spec in model_admin.list_filter:
            if isinstance(spec, str):
                names |= {spec, f"{spec}__exact", f"{spec}__id__exact", f"{spec}__isnull", f"{spec}__isempty"}
            elif isinstance(spec, tuple):
                names |= {spec[0], f"{spec[0]}__isempty"}
            else:
                names.add(getattr(spec, "parameter_name", "") or "")
    return sorted(name for name in names if name)


ADMIN_LISTS = sorted(
    reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    for model in admin.site._registry
)


@given(
    path=st.sampled_from(ADMIN_LISTS),
    params=st.dictionaries(
        st.one_of(st.sampled_from(admin_list_params()), st.text(max_size=15)),
        maybe_wrong_type(hostile_text),
        max_size=4,
    ),
)
@settings(parent=FUZZ, max_examples=FUZZ.max_examples * 4)
def test_admin_lists_with_hostile_search_and_filters(stage, path, params):
    with rolled_back():
        check(get(stage, "sergeant", path, params), f"{path} {params}")


def admin_date_lookups() -> list[tuple[str, list[str]]]:
    """Each admin list, with every date lookup the admin takes from its query string: Django's own
    `field__gte` style on each date and date-and-time field, and the date drill-down's year/month/day."""
    from django.db import models

    lists = []
    for model, model_admin in admin.site._registry.items():
        path = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        names = [
            f"{field.name}__{lookup}"
            for field in model._meta.get_fields()
            if isinstance(field, models.DateField)  # DateTimeField is one too
            for lookup in ("gte", "lt", "lte", "gt", "exact", "date", "year", "month", "day")
        ]
        if model_admin.date_hierarchy:
            names += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
        if names:
            lists.append((path, sorted(set(names))))
    return sorted(lists)


ADMIN_DATE_LISTS = admin_date_lookups()


@pytest.fixture
def superuser_client() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(sergeant_user(email="root@example.org", is_superuser=True))
    return client


drill_down_parts = st.one_of(
    st.sampled_from(["9999", "1", "0", "10000", "12", "13", "31", "32", "-1"]),
    st.integers(0, 10_000).map(str),
)


@given(
    target=st.sampled_from(ADMIN_DATE_LISTS).flatmap(
        lambda target: st.tuples(
            st.just(target[0]),
            st.dictionaries(
                st.sampled_from(target[1]),
                st.one_of(instants, drill_down_parts, impossible_dates),
                min_size=1,
                max_size=3,
            ),
        )
    ),
)
@settings(parent=FUZZ, max_examples=FUZZ.max_examples * 4)
def test_admin_lists_with_impossible_dates_in_their_lookups(stage, superuser_client, target):
    """Never a 500: filtered, or Django's "incorrect lookup" redirect (?e=1) and a message there. The
    packages' lists (allauth's, auth's groups) are a superuser's, not the sergeant's."""
    path, params = target
    with rolled_back():
        response = get(stage, "sergeant", path, params)
        if response.status_code == 403:
            response = superuser_client.get(path, params)
        check(response, f"{path} {params}")
        assert response.status_code in (200, 302), f"{path} {params}: {response.status_code}"
        if response.status_code == 302:
            assert response["Location"] == f"{path}?e=1"


def test_a_nul_is_refused_cleanly_not_stored(stage, resident_a):
    """PostgreSQL refuses NUL in text: forms refuse it with a message, query strings with a 400."""
    response = post(stage, "resident_a", reverse("participants:profile"), {"preferred_name": "Am\x00ira"})
    assert response.status_code == 200 and "Null characters are not allowed." in body_of(response)
    assert Resident.objects.get(pk=resident_a.pk).preferred_name == "Amira"
    # the admin's list filters take the query string straight to a lookup: without the middleware, a 500
    assert (
        get(stage, "sergeant", reverse("admin:patrols_concern_changelist"), {"status": "\x00"}).status_code
        == 400
    )
    assert (
        get(stage, "officer_a", reverse("patrols:area_concerns"), {"status": "open\x00"}).status_code == 400
    )


# ---------------------------------------------------------------------------------------------------
# Issue 14: well-formed but impossible dates, extreme years and offsets; over-long text
# ---------------------------------------------------------------------------------------------------

IMPOSSIBLE_SLOTS = [
    "2026-02-30T18:00:00+00:00",  # 30 February: ValueError in parse_datetime
    "2026-13-45T25:61:00+00:00",  # month 13, hour 25
    "2026-12-10T18:00:00+99:00",  # an offset no clock has
    "9999-12-31T23:59:59-23:59",  # past the last instant Python can hold, once in UTC (OverflowError)
    "0001-01-01T00:00:00+05:00",  # before the first
]


def booking_post(**overrides) -> dict:
    return {
        "starts_at": iso(at("17:00")),
        "meeting_point": "Peckham Library steps",
        "route": "Rye Lane, Bellenden Road, home",
        "known_worries": "",
        **overrides,
    }


@pytest.mark.parametrize("starts_at", IMPOSSIBLE_SLOTS)
def test_an_impossible_time_on_the_booking_page_is_refused_keeping_what_she_typed(stage, starts_at):
    response = post(stage, "resident_a", reverse("patrols:book"), booking_post(starts_at=starts_at))
    body = body_of(response)
    assert response.status_code == 200
    assert "Choose one of the times shown." in body
    assert "Peckham Library steps" in body and "Rye Lane, Bellenden Road, home" in body
    assert Walk.objects.count() == 3


@pytest.mark.parametrize("starts_at", IMPOSSIBLE_SLOTS)
def test_an_impossible_time_on_the_move_page_is_refused(stage, starts_at):
    response = post(stage, "resident_a", reverse("patrols:walk_move", args=[stage.booked.pk]), {
        "starts_at": starts_at
    })  # fmt: skip
    assert response.status_code == 200
    assert "Choose one of the times shown." in body_of(response)
    assert Walk.objects.get(pk=stage.booked.pk).starts_at == at("19:00")


@pytest.mark.parametrize(
    "query",
    [{"start": "9999-12-31"}, {"end": "0001-01-01"}, {"start": "0001-01-01", "end": "9999-12-31"}],
)
def test_the_dashboard_refuses_dates_out_of_range_with_a_message(stage, query):
    response = get(stage, "sergeant", reverse("admin:index"), query)
    body = body_of(response)
    assert response.status_code == 200
    assert "Choose a date between 2000 and" in body and "Showing the default view." in body
    export = get(stage, "sergeant", reverse("admin:export_concerns"), query)
    assert export.status_code == 200
    body_of(export)  # streamed: the rows are made (and would fail) only now


@pytest.mark.parametrize("month", ["9999-12", "0001-01"])
def test_the_monthly_report_refuses_a_month_out_of_range(stage, month):
    borough = stage.concern.ward.borough_id
    response = get(stage, "sergeant", reverse("admin:monthly_report"), {"borough": borough, "month": month})
    assert response.status_code == 200
    assert "Choose a month between 2000 and" in body_of(response)


ADMIN_DATE_LOOKUPS = [
    ("participants_auditevent", "at__gte"),
    ("patrols_walk", "starts_at__gte"),
    ("outbox_notification", "due_at__gte"),
    ("patrols_concern", "created_at__gte"),
    ("patrols_concern", "created_at__lt"),
]
ADMIN_IMPOSSIBLE = [
    "2026-01-01T00:00:00+20:00",  # PostgreSQL: "time zone displacement out of range" (DataError)
    "2026-01-01T00:00:00-23:59",
    "2026-02-30",
    "9999-12-31T23:59:59-23:59",
]


@pytest.mark.parametrize(("model", "lookup"), ADMIN_DATE_LOOKUPS)
@pytest.mark.parametrize("value", ADMIN_IMPOSSIBLE)
def test_an_impossible_date_in_an_admin_list_filter_is_the_admins_incorrect_lookup(
    stage, model, lookup, value
):
    path = reverse(f"admin:{model}_changelist")
    response = get(stage, "sergeant", path, {lookup: value})
    assert response.status_code == 302 and response["Location"] == f"{path}?e=1"
    page = get(stage, "sergeant", path, {"e": "1"})
    assert page.status_code == 200
    assert "could not be applied" in body_of(page)


@pytest.mark.parametrize(("model", "lookup"), ADMIN_DATE_LOOKUPS)
def test_an_instant_before_the_first_day_in_an_admin_list_filter_is_no_error(stage, model, lookup):
    """0001-01-01 at +05:00 is a year before year 1 in UTC: PostgreSQL holds it, so the list is filtered."""
    path = reverse(f"admin:{model}_changelist")
    response = get(stage, "sergeant", path, {lookup: "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 200 or response["Location"] == f"{path}?e=1"


@pytest.mark.parametrize(
    "query",
    [
        {"starts_at__year": "9999"},
        {"starts_at__year": "9999", "starts_at__month": "12"},
        {"starts_at__year": "9999", "starts_at__month": "12", "starts_at__day": "31"},
        {"starts_at__year": "1", "starts_at__month": "1", "starts_at__day": "1"},
        {"starts_at__year": "2026", "starts_at__month": "2", "starts_at__day": "30"},
    ],
)
def test_the_admins_date_drill_down_at_the_ends_of_time_is_an_incorrect_lookup(stage, query):
    path = reverse("admin:patrols_walk_changelist")
    response = get(stage, "sergeant", path, query)
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"] == f"{path}?e=1"


def test_an_over_long_email_at_sign_up_is_refused_not_cut(stage):
    from django.core import mail

    from participants.models import User

    email = "a" * 300 + "@probe.example"
    client = Client(raise_request_exception=False)
    response = client.post(
        reverse("account_signup"),
        {"email": email, "password1": "Hx7!long-enough", "password2": "Hx7!long-enough"},
    )
    body = body_of(response)
    assert response.status_code == 200
    assert "254 characters or fewer" in body
    assert email in body  # what she typed is kept
    assert not User.objects.filter(email__startswith="aaaa").exists()
    assert mail.outbox == []


def test_a_route_of_ten_thousand_characters_is_refused_keeping_it(stage):
    route = "Rye Lane " * 1111 + "x"  # 10,000 characters
    response = post(stage, "resident_a", reverse("patrols:book"), booking_post(route=route))
    body = body_of(response)
    assert response.status_code == 200
    assert "Please shorten this to 1,000 characters or fewer (it has 10000)." in body
    assert route in body
    assert "Up to 1,000 characters." in body  # said in words, for no-JS and screen readers
    assert Walk.objects.count() == 3


def test_the_move_page_does_not_offer_the_walks_own_time(stage):
    page = get(stage, "resident_a", reverse("patrols:walk_move", args=[stage.booked.pk]))
    body = body_of(page)
    assert f'value="{iso(at("19:00"))}"' not in body
    assert f'value="{iso(at("17:00"))}"' in body


@pytest.mark.parametrize("path_name", ["patrols:book", "patrols:walk_move"])
def test_a_past_time_tampered_into_the_form_has_passed(stage, path_name):
    args = [stage.booked.pk] if path_name == "patrols:walk_move" else []
    past = iso(NOW - timedelta(days=1, hours=1))
    response = post(stage, "resident_a", reverse(path_name, args=args), booking_post(starts_at=past))
    body = body_of(response)
    assert response.status_code == 200
    assert "That time has passed" in body and "just been taken" not in body
    assert Walk.objects.count() == 3
    assert Walk.objects.get(pk=stage.booked.pk).starts_at == at("19:00")


def test_an_impossible_date_in_a_packages_admin_list_is_an_incorrect_lookup_too(superuser_client):
    """allauth's lists are registered without our base class; the site gives them checked lists too."""
    path = reverse("admin:mfa_authenticator_changelist")
    response = superuser_client.get(path, {"created_at__gte": "2026-01-01T00:00:00+20:00"})
    assert response.status_code == 302 and response["Location"] == f"{path}?e=1"


# Every free-text field a person fills in: (page, whose, who posts, the rest of a valid post, field,
# its limit, what would have been stored). Past the limit: refused with a message that gives the
# limit, what she typed shown back, nothing stored.
def _booking(stage):
    return Walk.objects.count()


def _walk(stage):
    walk = Walk.objects.get(pk=stage.booked.pk)
    return (walk.status, walk.cancel_reason)


def _concerns(stage):
    return (Concern.objects.filter(walk=stage.walking).count(), ConcernUpdate.objects.count())


def _disclosures(stage):
    return Disclosure.objects.count()


def _resident(stage):
    resident = Resident.objects.get(pk=stage.booked.resident_id)
    return (resident.preferred_name, resident.access_needs, resident.usual_walk_times)


def _ratings(stage):
    return (SafetyRating.objects.count(), ConcernUpdate.objects.count())


def _changes(stage):
    return AvailabilityException.objects.count()


CONCERN = {"severity": "high", "when_it_matters": "after_dark", "location_text": "By the bus stop"}
DISCLOSURE = {"what_was_said": "She told me", "referral_made": "Referred", "referred_to": "MASH"}
PROFILE = {"preferred_name": "Amira", "contact_channel": "email", "language": "en", "baseline_safety": "3"}
TEXT_FIELDS = [
    ("patrols:book", None, "resident_a", booking_post(), "meeting_point", 200, _booking),
    ("patrols:book", None, "resident_a", booking_post(), "route", 1000, _booking),
    ("patrols:book", None, "resident_a", booking_post(), "known_worries", 1000, _booking),
    ("patrols:walk_cancel", "booked", "resident_a", {}, "reason", 300, _walk),
    ("patrols:walk_cancel", "booked", "officer_a", {}, "reason", 300, _walk),
    ("patrols:concern_new", "walking", "officer_a", CONCERN, "location_text", 200, _concerns),
    ("patrols:concern_new", "walking", "officer_a", CONCERN, "resident_said", 2000, _concerns),
    ("patrols:concern_new", "walking", "officer_a", CONCERN, "action", 2000, _concerns),
    ("patrols:concern_detail", "concern", "officer_a", {}, "note", 2000, _concerns),
    ("patrols:concern_detail", "concern", "officer_a", {"note": "Closed", "new_status": "closed"},
     "closed_reason", 300, _concerns),
    ("patrols:disclosure_new", "walking", "officer_a", DISCLOSURE, "what_was_said", 5000, _disclosures),
    ("patrols:disclosure_new", "walking", "officer_a", DISCLOSURE, "referral_made", 2000, _disclosures),
    ("patrols:disclosure_new", "walking", "officer_a", DISCLOSURE, "referred_to", 200, _disclosures),
    ("patrols:disclosure_new", "walking", "officer_a", DISCLOSURE, "reference", 100, _disclosures),
    ("patrols:walk_feedback", "done", "resident_a", {"rating": "4"}, "comment", 2000, _ratings),
    ("patrols:concern_fixed", "concern", "resident_a", {}, "note", 1000, _ratings),
    ("patrols:availability", None, "officer_a",
     {"add_exception": "1", "kind": "unavailable", "first_day": "2026-12-20"}, "note", 120, _changes),
    ("participants:profile", None, "resident_a", PROFILE, "preferred_name", 60, _resident),
    ("participants:profile", None, "resident_a", PROFILE, "access_needs", 1000, _resident),
    ("participants:profile", None, "resident_a", PROFILE, "usual_walk_times", 1000, _resident),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "pk", "role", "rest", "field", "limit", "stored"),
    TEXT_FIELDS,
    ids=[f"{name}-{field}-{role}" for name, _, role, _, field, *_ in TEXT_FIELDS],
)
def test_every_text_field_refuses_past_its_limit_and_keeps_the_text(
    stage, name, pk, role, rest, field, limit, stored
):
    path = reverse(name, args=[getattr(stage, pk).pk] if pk else [])
    data = dict(rest)
    if name == "patrols:concern_new":
        data |= {"category": str(stage.category.pk), "draft_key": "6f1c8e1e-3c3e-4d43-9f0e-1b1f5b1c9a01"}
    if name == "participants:profile":
        data["ward"] = str(stage.booked.resident.ward_id)
    if name == "patrols:concern_fixed":  # she is asked only once it is resolved
        Concern.objects.filter(pk=stage.concern.pk).update(status=Concern.Status.RESOLVED, resolved_at=NOW)
    before = stored(stage)

    @given(value=over_long(limit))
    def example(value):
        with rolled_back():
            response = post(stage, role, path, data | {field: value})
            body = check(response, f"{name} {field}")
            assert response.status_code == 200, f"{name} {field}: {response.status_code}"
            assert f"Please shorten this to {limit:,} characters or fewer" in body
            shows_escaped(body, value, f"{name} {field}: what she typed")
            assert stored(stage) == before, f"{name} {field}: something was stored"

    FUZZ(example)()

    # At the limit exactly, the page takes it (stated in words beside the field).
    page = body_of(get(stage, role, path))
    assert f"Up to {limit:,} characters." in page


@pytest.mark.parametrize(("first", "last"), [("0001-01-01", "0001-01-02"), ("2026-12-20", "9999-12-31")])
def test_the_admins_date_fields_refuse_the_ends_of_the_calendar(stage, first, last):
    """The sergeant's change forms: 0001-01-01 at midnight in London is before year 1 in UTC, which
    PostgreSQL stores and Python cannot read back (every later page a 500)."""
    data = {
        "officer": str(stage.booked.officer_id),
        "kind": "unavailable",
        "starts_at_0": first,
        "starts_at_1": "00:00:00",
        "ends_at_0": last,
        "ends_at_1": "00:00:00",
        "note": "",
    }
    response = post(stage, "sergeant", reverse("admin:patrols_availabilityexception_add"), data)
    assert response.status_code == 200
    assert "Choose a date between 2000 and" in body_of(response)
    assert not AvailabilityException.objects.exists()


# ---------------------------------------------------------------------------------------------------
# Ids in addresses
# ---------------------------------------------------------------------------------------------------


def pk_addresses() -> list[str]:
    """Every address of the site that takes a record's id (<int:pk>), as namespace:name."""
    return sorted(
        {pattern.name for pattern in all_patterns() if pattern.name and "<int:pk>" in pattern.route}
    )


@pytest.mark.parametrize("pk", [2**63 - 1, 2**63, 10**20, 10**40])
def test_an_id_beyond_any_record_is_not_found_never_an_error(stage, pk):
    """An address's id is a whole number of any size; one beyond a bigint (the ids' columns) names no
    record: not found, as for a record that is not hers, never a server error (reads.Joined prepares its
    statements, whose values are typed as their columns)."""
    names = pk_addresses()
    assert len(names) > 10, names
    for role in ("resident_a", "officer_a", "sergeant"):
        for name in names:
            path = reverse(name, kwargs={"pk": pk})
            for response in (get(stage, role, path), stage.clients[role].post(path, {})):
                assert response.status_code < 500, f"{path} as {role}: {response.status_code}"
                assert response.status_code != 200, f"{path} as {role} showed something"
