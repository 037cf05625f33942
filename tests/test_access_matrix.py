"""The access matrix (issue 9, point 3): every URL pattern in the project, taken from the URL resolver,
× anonymous, resident A, resident B, officer A, officer B and the sergeant → the status each gets.

The ids in the URLs are resident A's walks and officer A's concern, window and change, so the B side
asks for someone else's things: they get 404 or 403, and their pages never carry A's name, meeting
point, route, worries, walk code or what she said. A new URL without a row (or a rule that covers it)
fails `test_every_url_pattern_has_a_row_or_a_rule`.

- The project's own pages (home, privacy, healthz, participants:*, patrols:*): one explicit row each,
  for GET and for POST (405 where the view refuses the method, so POST-only state changes are proven).
- The admin site (the sergeant's dashboard): one rule generated from the admin registry — the sergeant
  gets each page as her permissions say, everyone else a redirect to sign in, and never any data.
- allauth's account pages (`accounts/...`): one rule — public pages open to everyone, own-account pages
  send the signed-out to sign in; nobody sees another user's data there.
- Every POST endpoint refuses a request without a CSRF token (403), and changes nothing.

Each request runs in a savepoint that is rolled back, so every role meets the same scene.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from participants.models import Pairing, Resident
from patrols import apikeys, referrals
from patrols import concerns as concern_service
from patrols import referrals as referral_service
from patrols.models import (
    AvailabilityException,
    AvailabilityWindow,
    Concern,
    ConcernCategory,
    ConcernUpdate,
    Disclosure,
    SafetyRating,
    Walk,
)
from tests.factories import (
    AvailabilityExceptionFactory,
    AvailabilityWindowFactory,
    PartnerFactory,
    ResidentFactory,
    RoutingRuleFactory,
    WalkFactory,
    ward,
)
from tests.helpers import body_of, rolled_back
from walkandtalk.outbox.models import Notification, PushSubscription

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "resident_a", "resident_b", "officer_a", "officer_b", "sergeant")
# Who must never see A's things (the sergeant sees everything; A and her officer see their own).
OUTSIDERS = ("anonymous", "resident_b", "officer_b")


def peckham():
    return ward("Peckham")


L = "sign-in"  # expected: a redirect (302) to the sign-in page
ACCOUNT_LOGIN = reverse("account_login")


# ---------------------------------------------------------------------------------------------------
# The project's own URLs: one row each. Columns are ROLES, in order.
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    get: tuple
    post: tuple
    pk: str | None = None  # which of the scene's objects (all A's) the URL points at
    owner: str | None = None  # who may POST (for the CSRF check); None: nobody / not a form
    data: tuple = ()  # what the POST sends, as (field, value) pairs
    # other URL arguments, as (name, value) pairs; a value may be a callable, called at test time
    kwargs: tuple = ()

    def __post_init__(self):
        assert len(self.get) == len(ROLES) and len(self.post) == len(ROLES)

    def url_kwargs(self, scene=None) -> dict:
        """The URL's arguments: A's object (a placeholder 1 without a scene) and the fixed ones."""
        if self.pk == "token":  # a partner's link: the token of A's concern's referral
            found = {"token": scene.token if scene is not None else "token"}
        else:
            found = {"pk": getattr(scene, self.pk).pk if scene is not None else 1} if self.pk else {}
        return found | {name: value() if callable(value) else value for name, value in self.kwargs}


# Columns: anonymous, resident A, resident B, officer A, officer B, sergeant. L: sent to sign in.
# pk: which of A's objects the URL names. owner: who may POST it (the CSRF test posts as her).
ALL_405 = (405, 405, 405, 405, 405, 405)
ALL_200 = (200, 200, 200, 200, 200, 200)
# fmt: off
MATRIX: dict[str, Row] = {
    # public; signed-in people go on to their own landing page
    "home":                        Row(get=(200, 302, 302, 302, 302, 302), post=ALL_405),
    "privacy":                     Row(get=(200, 200, 200, 200, 200, 200), post=ALL_405),
    "accessibility":               Row(get=(200, 200, 200, 200, 200, 200), post=ALL_405),
    "healthz":                     Row(get=(200, 200, 200, 200, 200, 200), post=ALL_405),
    # the officer's phone app (issue 17): public, no one's data in them (the worker keeps only what the
    # server marks as an officer's, patrols/offline.py), GET only
    "patrols:app_manifest":        Row(get=(200, 200, 200, 200, 200, 200), post=ALL_405),
    "patrols:service_worker":      Row(get=(200, 200, 200, 200, 200, 200), post=ALL_405),
    "patrols:app_offline":         Row(get=(200, 200, 200, 200, 200, 200), post=ALL_405),
    # /app/ itself (the app's scope) sends anyone on to Today, whose view says who may see it
    "patrols:app_scope":           Row(get=(302, 302, 302, 302, 302, 302), post=ALL_405),
    # the worker phones registered at "/" before the app moved to /app/: it now removes itself
    "patrols:retired_service_worker": Row(get=ALL_200, post=ALL_405),
    # every officer URL from before /app/ (here /today/): anyone is sent on, permanently, to the same
    # path under /app/, where its view says who may see it; a POST keeps its method and body (308)
    "patrols:moved_to_app":        Row(get=(301, 301, 301, 301, 301, 301),
                                       post=(308, 308, 308, 308, 308, 308), kwargs=(("old", "today/"),)),
    # the language switcher (issue 18): anyone may choose; POST only, and it redirects back
    "set_language":                Row(get=ALL_405, post=(302, 302, 302, 302, 302, 302),
                                       data=(("language", "es"), ("next", "/"))),
    # our scripts' strings in the page's language: the same for everyone
    "javascript-catalog":          Row(get=ALL_200, post=ALL_405),
    # "You said, we did": public aggregates, the same for everyone, GET only
    "patrols:you_said_we_did":     Row(get=(200, 200, 200, 200, 200, 200), post=ALL_405),
    "patrols:you_said_we_did_borough": Row(get=(200, 200, 200, 200, 200, 200), post=ALL_405,
                                           kwargs=(("borough", "southwark"),)),
    "patrols:you_said_we_did_ward": Row(get=(200, 200, 200, 200, 200, 200), post=ALL_405,
                                        kwargs=(("borough", "southwark"), ("ward", lambda: peckham().pk))),
    # a resident's own profile and data: no id in the URL, so B only ever gets her own
    "participants:profile_create": Row(get=(L, 302, 302, 403, 403, 403), post=(L, 302, 302, 403, 403, 403),
                                       owner="resident_a"),
    "participants:profile":        Row(get=(L, 200, 200, 403, 403, 403), post=(L, 200, 200, 403, 403, 403),
                                       owner="resident_a"),
    "participants:my_data":        Row(get=(L, 200, 200, 403, 403, 403), post=(L, 405, 405, 403, 403, 403)),
    "participants:my_data_json":   Row(get=(L, 200, 200, 403, 403, 403), post=(L, 405, 405, 403, 403, 403)),
    "participants:erase":          Row(get=(L, 200, 200, 403, 403, 403), post=(L, 200, 200, 403, 403, 403),
                                       owner="resident_a"),
    "participants:my_residents":   Row(get=(L, 403, 403, 200, 200, 403), post=(L, 403, 403, 405, 405, 403)),
    # an officer's notifications on this phone: her own devices only (B has her own page, empty);
    # the subscription is JSON from the page's script, so a form post is refused with 400
    "participants:push":           Row(get=(L, 403, 403, 200, 200, 403), post=(L, 403, 403, 405, 405, 403)),
    "participants:push_subscribe": Row(get=(L, 403, 403, 405, 405, 403), post=(L, 403, 403, 400, 400, 403),
                                       owner="officer_a"),
    "participants:push_unsubscribe": Row(get=(L, 403, 403, 405, 405, 403), post=(L, 403, 403, 302, 302, 403),
                                         owner="officer_a"),
    "participants:push_device_remove": Row(get=(L, 403, 403, 405, 405, 403),
                                           post=(L, 403, 403, 302, 404, 403), pk="device", owner="officer_a"),
    # a resident's walks
    "patrols:my_walks":            Row(get=(L, 200, 200, 403, 403, 403), post=(L, 405, 405, 403, 403, 403)),
    "patrols:book":                Row(get=(L, 200, 200, 403, 403, 403), post=(L, 200, 200, 403, 403, 403),
                                       owner="resident_a"),
    "patrols:walk_move":           Row(get=(L, 200, 404, 403, 403, 403), post=(L, 200, 404, 403, 403, 403),
                                       pk="walk", owner="resident_a"),
    "patrols:walk_feedback":       Row(get=(L, 200, 404, 403, 403, 403), post=(L, 200, 404, 403, 403, 403),
                                       pk="done", owner="resident_a"),
    "patrols:concern_fixed":       Row(get=(L, 200, 404, 403, 403, 403), post=(L, 302, 404, 403, 403, 403),
                                       pk="concern", owner="resident_a"),
    # a walk's own pages: her, her officer, the sergeant. Her officer has her own page of it in the app
    # (/app/walks/<pk>/) and is sent there from /walks/<pk>/ (old links); B finds nothing at either.
    "patrols:walk_detail":         Row(get=(L, 200, 404, 302, 404, 200), post=(L, 405, 405, 405, 405, 405),
                                       pk="walk"),
    "patrols:officer_walk":        Row(get=(L, 403, 403, 200, 404, 403), post=(L, 403, 403, 405, 405, 403),
                                       pk="walk"),
    "patrols:walk_invite":         Row(get=(L, 200, 404, 200, 404, 200), post=(L, 405, 405, 405, 405, 405),
                                       pk="walk"),
    "patrols:walk_cancel":         Row(get=(L, 200, 404, 200, 404, 200), post=(L, 302, 404, 302, 404, 302),
                                       pk="walk", owner="resident_a", data=(("reason", "Unwell"),)),
    # running a walk: POST only; her officer and the sergeant
    "patrols:walk_start":          Row(get=(L, 403, 403, 405, 405, 405), post=(L, 403, 403, 302, 404, 302),
                                       pk="walk", owner="officer_a"),
    # finishing asks first: the GET is the question (and changes nothing), the POST finishes
    "patrols:walk_finish":         Row(get=(L, 403, 403, 200, 404, 200), post=(L, 403, 403, 302, 404, 302),
                                       pk="walk", owner="officer_a"),
    "patrols:walk_no_show":        Row(get=(L, 403, 403, 405, 405, 405), post=(L, 403, 403, 302, 404, 302),
                                       pk="walk", owner="officer_a"),
    "patrols:walk_nothing_to_log": Row(get=(L, 403, 403, 405, 405, 405), post=(L, 403, 403, 302, 404, 302),
                                       pk="walk", owner="officer_a"),
    "patrols:concern_new":         Row(get=(L, 403, 403, 200, 404, 200), post=(L, 403, 403, 200, 404, 200),
                                       pk="done", owner="officer_a"),
    "patrols:disclosure_new":      Row(get=(L, 403, 403, 200, 404, 200), post=(L, 403, 403, 200, 404, 200),
                                       pk="done", owner="officer_a"),
    "patrols:concern_detail":      Row(get=(L, 403, 403, 200, 404, 200), post=(L, 403, 403, 200, 404, 200),
                                       pk="concern", owner="officer_a"),
    "patrols:concern_refer":       Row(get=(L, 403, 403, 405, 405, 405), post=(L, 403, 403, 200, 404, 200),
                                       pk="concern", owner="officer_a"),
    # a partner's link (no account): whoever holds it sees that referral, what and where, never who
    "patrols:partner_referral":    Row(get=ALL_200, post=ALL_200, pk="token"),
    "patrols:concern_pin":         Row(get=(L, 403, 403, 200, 404, 200), post=(L, 403, 403, 302, 404, 302),
                                       pk="concern", owner="officer_a",
                                       data=(("latitude", "51.4700"), ("longitude", "-0.0700"))),
    # an officer's own pages (the sergeant has the admin dashboard instead). Officer B shares A's ward:
    # her area view shows A's concern anonymised, without anything about the resident.
    "patrols:today":               Row(get=(L, 403, 403, 200, 200, 403), post=(L, 403, 403, 405, 405, 403)),
    "patrols:schedule":            Row(get=(L, 403, 403, 200, 200, 403), post=(L, 403, 403, 405, 405, 403)),
    "patrols:my_concerns":         Row(get=(L, 403, 403, 200, 200, 403), post=(L, 403, 403, 405, 405, 403)),
    "patrols:area_concerns":       Row(get=(L, 403, 403, 200, 200, 403), post=(L, 403, 403, 405, 405, 403)),
    "patrols:availability":        Row(get=(L, 403, 403, 200, 200, 403), post=(L, 403, 403, 200, 200, 403),
                                       owner="officer_a"),
    "patrols:window_delete":       Row(get=(L, 403, 403, 405, 405, 403), post=(L, 403, 403, 302, 404, 403),
                                       pk="window", owner="officer_a"),
    "patrols:exception_delete":    Row(get=(L, 403, 403, 405, 405, 403), post=(L, 403, 403, 302, 404, 403),
                                       pk="exception", owner="officer_a"),
    # Open311 for partners' systems: a partner's API key, not a session (see test_partner_api_keys);
    # the categories are public. The id is A's concern's: no signed-in person reads a request.
    "open311:services":            Row(get=(200, 200, 200, 200, 200, 200), post=ALL_405),
    "open311:requests":            Row(get=(401, 401, 401, 401, 401, 401), post=ALL_405),
    "open311:request":             Row(get=(401, 401, 401, 401, 401, 401), post=ALL_405, pk="concern"),
}
# fmt: on


# ---------------------------------------------------------------------------------------------------
# The scene: A's things, with text that must never reach the B side
# ---------------------------------------------------------------------------------------------------


@dataclass(repr=False)
class Scene:
    clients: dict[str, Client]
    walk: Walk  # resident A's upcoming walk with officer A
    done: Walk  # resident A's completed walk, with officer A's concern and disclosure
    concern: Any
    window: Any
    exception: Any
    token: str  # officer A's concern's partner link
    device: Any = None  # officer A's phone, with push turned on
    markers: list[str] = field(default_factory=list)
    walk_codes: list[str] = field(default_factory=list)

    def leaks(self, body: str) -> list[str]:
        found = [marker for marker in self.markers if marker in body]
        found += [
            code for code in self.walk_codes if re.search(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])", body)
        ]
        return found


@pytest.fixture
def scene(resident_a, resident_b, officer_a, officer_b, sergeant) -> Scene:
    resident_a.preferred_name = "Amira Zephyrine"
    resident_a.access_needs = "Heliotrope pushchair"
    resident_a.usual_walk_times = "Quarterlight evenings"
    resident_a.save()
    now = timezone.now()
    walk = WalkFactory(
        resident=resident_a, officer=officer_a, starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=1), walk_code="731864",
        meeting_point="Lanternwick Arcade gates", route="Quillfeather Passage to Orrery Green",
        known_worries="The Nightjar underpass",
    )  # fmt: skip
    done = WalkFactory(
        resident=resident_a, officer=officer_a, starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=2) + timedelta(hours=1), status=Walk.Status.COMPLETED,
        walk_code="528419", meeting_point="Marrowfield Library steps", route="Tamberlane Row",
    )  # fmt: skip
    concern, _ = concern_service.log_concern(
        walk=done, by=officer_a.user, category=ConcernCategory.objects.get(name="Badly lit"),
        severity="high", when_it_matters="after_dark", latitude=None, longitude=None,
        location_text="A lamp post", resident_said="Sapphirewing said the lamp is out",
        action="Report to the council", now=done.starts_at + timedelta(minutes=20),
    )  # fmt: skip
    concern_service.record_disclosure(
        walk=done, by=officer_a.user, what_was_said="Obsidianveil disclosure", referral_made="MASH",
        referred_to="MASH", reference="REF-A",
    )  # fmt: skip
    # A partner with a routing rule, and the concern referred to it, so the partner admin has rows.
    council = PartnerFactory(name="Matrix Council")
    RoutingRuleFactory(partner=council, category=concern.category, borough=None, team="lighting")
    referral_service.refer(concern=concern, partner=council, by=officer_a.user)
    SafetyRating.objects.create(walk=done, rating=4, comment="Cobaltmere felt safer")
    partner = PartnerFactory(name="Lambeth Council", contact_emails=["referrals@lambeth.example.org"])
    referral = referrals.refer(concern=concern, partner=partner, by=officer_a.user)
    window = AvailabilityWindowFactory(officer=officer_a)
    exception = AvailabilityExceptionFactory(
        officer=officer_a, kind=AvailabilityException.Kind.UNAVAILABLE,
        starts_at=now + timedelta(days=10), ends_at=now + timedelta(days=11), note="Kestrelhaven leave",
    )  # fmt: skip
    # someone on the waiting list and a message in the outbox, so every admin list has a record
    ResidentFactory(preferred_name="Waiting Wren", waiting_since=now)
    Notification.objects.create(
        recipient=resident_a.user,
        kind="reminder",
        about_type="walk",
        about_id=walk.pk,
        data={"walk": walk.pk, "version": walk.version},
        idempotency_key="matrix-1",
    )
    apikeys.issue_key(partner=PartnerFactory(name="Matrix Council"), name="matrix")  # for the admin pages
    users = {
        "resident_a": resident_a.user,
        "resident_b": resident_b.user,
        "officer_a": officer_a.user,
        "officer_b": officer_b.user,
        "sergeant": sergeant,
    }
    clients = {"anonymous": Client()}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    UserSession.objects.create(
        user=resident_a.user, ip="127.0.0.1", user_agent="matrix",
        session_key=clients["resident_a"].session.session_key,
    )  # fmt: skip
    device = PushSubscription.objects.create(
        user=officer_a.user, endpoint="https://fcm.googleapis.com/fcm/send/matrix", p256dh="B" * 87,
        auth="A" * 22, session_key=clients["officer_a"].session.session_key, label="Kingfisherdusk phone",
    )  # fmt: skip
    return Scene(
        clients=clients, walk=walk, done=done, concern=concern, window=window, exception=exception,
        token=referrals.link_token(referral), device=device,
        markers=[
            "Zephyrine", "Heliotrope", "Quarterlight", "Lanternwick", "Quillfeather", "Nightjar",
            "Marrowfield", "Tamberlane", "Sapphirewing", "Obsidianveil", "Cobaltmere", resident_a.user.email,
            "Kingfisherdusk",
        ],
        walk_codes=[walk.walk_code, done.walk_code],
    )  # fmt: skip


def path_of(name: str, row: Row, scene: Scene | None = None) -> str:
    """The row's URL: with A's object's id, the fixed arguments, or (a partner's link) the token."""
    return reverse(name, kwargs=row.url_kwargs(scene))


def outcome(response) -> int | str:
    """The status, or L for a redirect to a sign-in page (allauth's or the admin's)."""
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith((ACCOUNT_LOGIN, reverse("admin:login"))):
            return L
    return response.status_code


def request(client: Client, method: str, path: str, data: dict | None = None):
    client.raise_request_exception = False
    return client.get(path) if method == "GET" else client.post(path, data or {})


# ---------------------------------------------------------------------------------------------------
# Every pattern in the resolver is covered
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    route: str  # the full route, as ResolverMatch.route spells it
    name: str | None  # namespaced


def all_patterns(resolver=None, prefix: str = "", namespace: str = "") -> Iterator[Pattern]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from all_patterns(entry, join_route(prefix, str(entry.pattern)), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}".strip(":") if entry.name else None
            yield Pattern(join_route(prefix, str(entry.pattern)), name)


def join_route(prefix: str, route: str) -> str:
    """As Django joins routes into ResolverMatch.route (a nested regex loses its leading ^)."""
    return prefix + route[1:] if prefix and route.startswith("^") else prefix + route


def admin_paths(objects: dict[str, str] | None = None) -> dict[str, str]:
    """One concrete path per admin URL pattern, from the admin registry: route → path. Object ids come
    from `objects` (model label → pk); without them a placeholder (enough for resolving)."""
    objects = objects or {}
    paths = {}
    for pattern in all_patterns():
        if not pattern.route.startswith("admin/"):
            continue
        route = pattern.route
        match = re.match(r"admin/(\w+)/(\w+)/", route)
        label = f"{match[1]}.{match[2]}" if match else None
        pk = objects.get(label, "1")
        concrete = (
            route.replace("<path:object_id>", pk)
            .replace("<id>", pk)
            .replace("<path:content_type_id>", objects.get("content_type", "1"))
            .replace("<path:object_id>", pk)
        )
        if "(?P<app_label>" in concrete:
            for app_label in sorted({m._meta.app_label for m in admin.site._registry}):
                paths[f"{route}#{app_label}"] = "/admin/" + app_label + "/"
            continue
        if "(?P<url>.*)$" in concrete:
            concrete = "admin/no-such-page/"
        paths[route] = "/" + concrete
    return paths


def account_paths() -> dict[str, str]:
    """One concrete path per allauth pattern (keys and tokens made up: they match nothing)."""
    made_up = {"key": "MA-made-up-key", "uidb36": "zz"}
    paths = {}
    for pattern in all_patterns():
        if pattern.route.startswith("accounts/") and pattern.name:
            argnames = re.findall(r"\(\?P<(\w+)>", pattern.route) + re.findall(
                r"<(?:\w+:)?(\w+)>", pattern.route
            )
            paths[pattern.route] = reverse(pattern.name, kwargs={arg: made_up[arg] for arg in argnames})
    return paths


def test_every_url_pattern_has_a_row_or_a_rule():
    patterns = list(all_patterns())
    covered: set[str] = set()
    for name in MATRIX:
        covered.add(resolve(reverse(name, kwargs=MATRIX[name].url_kwargs())).route)
    for path in [*admin_paths().values(), *account_paths().values()]:
        covered.add(resolve(path).route)

    missing = [f"{p.route!r} (name {p.name!r})" for p in patterns if p.route not in covered]
    assert not missing, (
        "URL patterns with no row in tests/test_access_matrix.py MATRIX (and no rule covering them): "
        + "; ".join(missing)
        + ". Add a row: who may GET and POST it, with A's object id where it takes one."
    )
    names = {p.name for p in patterns}
    stale = sorted(set(MATRIX) - names)
    assert not stale, f"MATRIX rows for URLs that no longer exist: {stale}"
    # the project's own pages are all explicit rows, never a rule
    own = [p for p in patterns if not p.route.startswith(("admin/", "accounts/"))]
    assert all(p.name in MATRIX for p in own), [p.route for p in own if p.name not in MATRIX]


# ---------------------------------------------------------------------------------------------------
# The project's pages, row by row
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access_matrix(name, scene):
    row = MATRIX[name]
    path = reverse(name, kwargs=row.url_kwargs(scene))
    wrong = []
    before = scene_state(scene)
    for method, expected_row in (("GET", row.get), ("POST", row.post)):
        for role, expected in zip(ROLES, expected_row, strict=True):
            with rolled_back():
                response = request(scene.clients[role], method, path, dict(row.data))
                got = outcome(response)
                body = body_of(response)
                if method == "GET" and scene_state(scene) != before:
                    wrong.append(f"GET as {role} changed something: state changes are POST only")
            if got != expected:
                wrong.append(f"{method} as {role}: expected {expected}, got {got}")
            if role in OUTSIDERS and (leaked := scene.leaks(body)):
                wrong.append(f"{method} as {role}: the page shows A's data {leaked}")
    assert not wrong, f"{name} ({path}):\n  " + "\n  ".join(wrong)


def test_the_matrix_really_points_at_someone_elses_things(scene, resident_b, officer_b):
    """B's side must be asking for A's objects, or the 404s prove nothing."""
    assert scene.walk.resident.user != resident_b.user and scene.walk.officer != officer_b
    assert scene.done.resident.user != resident_b.user and scene.concern.officer != officer_b
    assert scene.window.officer != officer_b and scene.exception.officer != officer_b
    # and A's side does see them: the markers are on her pages
    response = scene.clients["resident_a"].get(reverse("patrols:walk_detail", args=[scene.walk.pk]))
    assert "Lanternwick" in body_of(response) and scene.walk.walk_code in body_of(response)
    response = scene.clients["officer_a"].get(reverse("patrols:concern_detail", args=[scene.concern.pk]))
    assert "Sapphirewing" in body_of(response)
    assert scene.device.user != officer_b.user
    response = scene.clients["officer_a"].get(reverse("participants:push"))
    assert "Kingfisherdusk" in body_of(response)


# ---------------------------------------------------------------------------------------------------
# The admin site: sergeants only, generated from the registry
# ---------------------------------------------------------------------------------------------------


def admin_objects(request) -> dict[str, str]:
    """An object id for each registered model (as the sergeant's admin lists them), and a content type."""
    objects = {"content_type": str(ContentType.objects.get_for_model(Walk).pk)}
    for model, model_admin in admin.site._registry.items():
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is not None:
            objects[model._meta.label_lower] = str(obj.pk)
    return objects


# Site-level admin pages: what the sergeant gets (GET), by URL name.
ADMIN_SITE_PAGES = {
    "admin:index": 200,
    "admin:export_concerns": 200,
    "admin:export_geojson": 200,
    "admin:dashboard_pins": 200,
    "admin:monthly_report": 200,
    "admin:app_list": 200,
    "admin:jsi18n": 200,
    "admin:password_change": 200,
    "admin:password_change_done": 200,
    "admin:login": 302,  # already signed in: on to the dashboard
    "admin:logout": 405,  # POST only
    "admin:autocomplete": 403,  # without its parameters
    "admin:view_on_site": 404,  # a walk has no public page
    None: 404,  # the catch-all for unknown admin paths
}


def sergeant_expects(route: str, name: str | None, request) -> int:
    """What the sergeant's GET of an admin page gives, from the model admin's own permissions."""
    if name == "admin:app_list":  # route#app_label
        return 200 if admin.site.get_app_list(request, route.split("#")[1]) else 404  # none of it is hers
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    model_admin = None
    if match:
        for model, candidate in admin.site._registry.items():
            if (model._meta.app_label, model._meta.model_name) == (match[1], match[2]):
                model_admin = candidate
    if model_admin is None:
        return ADMIN_SITE_PAGES[name]
    obj = model_admin.get_queryset(request).order_by("pk").first()
    if name is None:  # <object_id>/ → on to the change page
        allowed = model_admin.has_view_or_change_permission(request)
    elif name.endswith("_add"):
        allowed = model_admin.has_add_permission(request)
    elif name.endswith("_delete"):
        allowed = model_admin.has_delete_permission(request, obj)
    elif name == "admin:auth_user_password_change":
        allowed = model_admin.has_change_permission(request, obj)
    else:
        allowed = model_admin.has_view_or_change_permission(request)
    if not allowed and name is not None:
        return 403
    if name is None or (obj is None and not name.endswith(("_changelist", "_add"))):
        return 302  # to the change page; or, for a missing object, "doesn't exist" and back
    return 200


def test_the_admin_site_is_for_the_sergeant_only(scene, sergeant):
    request = RequestFactory().get("/admin/")
    request.user = sergeant
    objects = admin_objects(request)
    missing = sorted(m._meta.label_lower for m in admin.site._registry if m._meta.label_lower not in objects)
    assert not missing, (
        f"give the scene an object of these models, so their change pages are tried: {missing}"
    )
    names = {p.route: p.name for p in all_patterns()}
    wrong = []
    for key, path in admin_paths(objects).items():
        route = key.split("#")[0]
        expected_sergeant = sergeant_expects(key, names[route], request)
        for role in ROLES:
            with rolled_back():
                response = request_as(scene, role, path)
                got, body = outcome(response), body_of(response)
            if role == "sergeant":
                if got != expected_sergeant:
                    wrong.append(f"GET {path} as sergeant: expected {expected_sergeant}, got {got}")
                continue
            # everyone else: sent to sign in (the admin login page itself is open, and sends the
            # signed-in non-sergeant on to allauth's sign-in), never a page with data
            allowed = {L, 403} | ({200, 302} if names[route] == "admin:login" else set())
            if names[route] == "admin:logout" and response.get("Location") == reverse("admin:index"):
                got = (
                    L  # Django's admin sends a non-member's sign-out to its front door, which asks to sign in
                )
            if got not in allowed:
                wrong.append(f"GET {path} as {role}: expected sign-in or 403, got {got}")
            if leaked := scene.leaks(body):
                wrong.append(f"GET {path} as {role}: shows A's data {leaked}")
    assert not wrong, "\n".join(wrong)


def request_as(scene: Scene, role: str, path: str):
    return request(scene.clients[role], "GET", path)


# ---------------------------------------------------------------------------------------------------
# allauth's account pages: public, or her own account
# ---------------------------------------------------------------------------------------------------

# Pages anyone may open signed out (signing in and up, resetting a password, confirming an email).
ACCOUNT_PUBLIC = {
    "account_login",
    "account_signup",
    "account_inactive",
    "account_email_verification_sent",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_confirm_email",
    "account_confirm_login_code",
    "account_logout",
    "mfa_authenticate",
}


def test_account_pages_are_public_or_her_own(scene):
    """Signed out: a public page, or sent to sign in. Signed in: her own account's pages (or a redirect
    away from sign-in pages). Never a server error, never another user's data."""
    names = {p.route: p.name for p in all_patterns()}
    wrong = []
    for route, path in account_paths().items():
        name = names[route]
        for role in ROLES:
            with rolled_back():
                response = request_as(scene, role, path)
                got, body = outcome(response), body_of(response)
            if role == "anonymous":
                # a step of signing in (a code, the second factor) sends her back to the start: L
                allowed = {200, 302, 404, L} if name in ACCOUNT_PUBLIC else {L}
            else:
                allowed = {200, 302, 404}
            if got not in allowed:
                wrong.append(f"GET {path} as {role}: got {got}, expected one of {sorted(map(str, allowed))}")
            if role in OUTSIDERS and (leaked := scene.leaks(body)):
                wrong.append(f"GET {path} as {role}: shows A's data {leaked}")
    assert not wrong, "\n".join(wrong)


# ---------------------------------------------------------------------------------------------------
# CSRF: every POST endpoint refuses a request without the token
# ---------------------------------------------------------------------------------------------------

CSRF_ROWS = sorted(name for name, row in MATRIX.items() if row.owner)


@pytest.mark.parametrize("name", CSRF_ROWS)
def test_a_post_without_the_csrf_token_is_refused(name, scene, resident_a, officer_a):
    row = MATRIX[name]
    user = {"resident_a": resident_a.user, "officer_a": officer_a.user}[row.owner]
    path = reverse(name, kwargs=row.url_kwargs(scene))
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    before = scene_state(scene)
    response = client.post(path, {})
    assert response.status_code == 403, f"{name}: POST without a CSRF token answered {response.status_code}"
    assert scene_state(scene) == before
    # and with the token the owner gets what the matrix says
    client.get(reverse("privacy"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    with rolled_back():
        response = client.post(path, {"csrfmiddlewaretoken": token, **dict(row.data)})
        assert response.status_code == row.post[ROLES.index(row.owner)]


def scene_state(scene: Scene) -> tuple:
    """What a request could change: A's walk and concern, and how many of each kind of record there are."""
    walk = Walk.objects.get(pk=scene.walk.pk)
    resident = Resident.objects.get(pk=walk.resident_id)
    counted = [Walk, Concern, ConcernUpdate, Disclosure, SafetyRating]
    counted += [AvailabilityWindow, AvailabilityException]
    return (
        walk.status,
        walk.starts_at,
        Concern.objects.get(pk=scene.concern.pk).status,
        resident.preferred_name,
        resident.erased_at,
        Pairing.objects.filter(ended_at__isnull=True).count(),
        Notification.objects.count(),
        *(model.objects.count() for model in counted),
    )


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (reverse("account_login"), {"login": "someone@example.org", "password": "x"}),
        (reverse("account_signup"), {"email": "new@example.org", "password1": "x", "password2": "x"}),
        (reverse("account_logout"), {}),
        (reverse("admin:logout"), {}),
        (reverse("admin:patrols_concerncategory_add"), {"name": "Forged"}),
    ],
)
def test_account_and_admin_posts_need_the_csrf_token(path, data, scene, sergeant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sergeant)
    assert client.post(path, data).status_code == 403
    assert not ConcernCategory.objects.filter(name="Forged").exists()


# ---------------------------------------------------------------------------------------------------
# A partner's API key (issue 15, point 9): it reads its own referrals through Open311, and nothing else
# ---------------------------------------------------------------------------------------------------

# What a partner's key gets from each Open311 URL (GET, POST), holding A's concern's referral or not.
OPEN311_WITH_KEY = {
    "open311:services": {"own": (200, 405), "other": (200, 405)},
    "open311:requests": {"own": (200, 405), "other": (200, 405)},
    "open311:request": {"own": (200, 405), "other": (404, 405)},
}


def test_partner_api_keys(scene, officer_a):
    """A partner's key (as a parameter, a header or HTTP Basic) over every URL: on the project's pages it
    is nobody (the anonymous column); on Open311 it reads its own referral and no other partner's, and
    never anything about the resident."""
    own, other = PartnerFactory(name="Keyed Council"), PartnerFactory(name="Other Keyed Council")
    referral = referrals.refer(concern=scene.concern, partner=own, by=officer_a.user)
    keys = {
        "own": apikeys.issue_key(partner=own, name="own")[1],
        "other": apikeys.issue_key(partner=other, name="o")[1],
    }
    wrong = []
    for name, row in MATRIX.items():
        path = reverse(
            name, kwargs={"pk": referral.pk} if name == "open311:request" else row.url_kwargs(scene)
        )
        for holder, key in keys.items():
            basic = base64.b64encode(f"{key}:".encode()).decode()
            for how, kwargs in (
                ("parameter", {"data": {"api_key": key}}),
                ("header", {"headers": {"X-Api-Key": key}}),
                ("basic", {"headers": {"Authorization": f"Basic {basic}"}}),
            ):
                expected = (
                    OPEN311_WITH_KEY[name][holder] if name in OPEN311_WITH_KEY else (row.get[0], row.post[0])
                )
                for method, want in zip(("GET", "POST"), expected, strict=True):
                    client = Client()
                    client.raise_request_exception = False
                    with rolled_back():
                        send = client.get if method == "GET" else client.post
                        response = send(path, **kwargs)
                    got, body = outcome(response), body_of(response)
                    if got != want:
                        wrong.append(
                            f"{method} {path} with the {holder} key as a {how}: expected {want}, got {got}"
                        )
                    if leaked := scene.leaks(body):
                        wrong.append(f"{method} {path} with the {holder} key: shows A's data {leaked}")
    assert not wrong, "\n".join(wrong)
