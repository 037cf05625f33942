"""The query budget (issue 16, point 3): every page and POST of the project in at most 12 queries, and
being signed in (session, user, role, second factor) in at most 2 of them.

The pages are the access matrix's rows (tests/test_access_matrix.py), each asked, GET and POST, by every
one of anonymous, resident A, officer A and the sergeant whom the matrix lets use it, in the matrix's
scene. The POSTs that matter most send a valid form (a booking, a concern, a partner's answer), so the
budget is that of the work done, not of a form sent back with errors. Each request runs once first (so
per-process caches, such as content types, are warm, as they are in a running server), then is counted;
both are rolled back, so every request meets the same scene.

A page over budget that another slice of issue 16 owns is marked `xfail(strict=True)`: it fails the
moment it is fixed, and the mark comes off then.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patrols import apikeys, referrals
from patrols.models import ConcernCategory
from patrols.slots import bookable_slots
from tests import test_access_matrix as matrix
from tests.factories import PartnerFactory
from tests.helpers import body_of, rolled_back

scene = matrix.scene  # the access matrix's scene: A's walks, concern, referral, window and exception

pytestmark = pytest.mark.django_db

BUDGET = 12
SIGNED_IN_BUDGET = 2  # the session and the user row, read with her role and second factor
# Who asks: each of these whom the matrix lets use the page (the B side asks for A's things).
ASKERS = ("anonymous", "resident_a", "officer_a", "sergeant")
OK = (200, 302)


def owned_by(slice_: str):
    return pytest.mark.xfail(strict=True, reason=f"issue 16: owned by {slice_}")


# Over budget today, and another slice of issue 16 is making them fit: (name, method) → its owner.
OWNED: dict[tuple[str, str], str] = {}


def valid_posts(scene) -> dict[str, dict]:
    """Forms that do their work, for the POSTs that matter most; the others send the matrix's data."""
    slot = next(
        s for s in bookable_slots(officer=scene.walk.officer) if abs(s.starts_at - scene.walk.starts_at).days
    )
    return {
        "patrols:book": {
            "starts_at": slot.starts_at.isoformat(),
            "meeting_point": "Peckham Library steps",
            "meeting_latitude": "51.473500",
            "meeting_longitude": "-0.069000",
            "route": "Rye Lane, Bellenden Road, home",
            "known_worries": "The alley by the car park",
        },
        "patrols:concern_new": {
            "latitude": "51.473500",
            "longitude": "-0.069000",
            "location_text": "",
            "category": ConcernCategory.objects.get(name="Badly lit").pk,
            "severity": "high",
            "when_it_matters": "after_dark",
            "resident_said": "The lamp has been out for months",
            "action": "Report to the council's street lighting team",
            "draft_key": str(uuid.uuid4()),
        },
        "patrols:partner_referral": {"kind": referrals.Answer.ACKNOWLEDGE},
    }


def cases():
    """Each (page, method) that somebody may use: a 405 or a refusal for everyone has no work to count."""
    for name in sorted(matrix.MATRIX):
        row = matrix.MATRIX[name]
        for method, statuses in (("GET", row.get), ("POST", row.post)):
            open311_get = name.startswith("open311:") and method == "GET"  # 401 without its API key
            if not (set(statuses) & set(OK)) and not open311_get:
                continue
            marks = [owned_by(OWNED[name, method])] if (name, method) in OWNED else []
            yield pytest.param(name, method, marks=marks, id=f"{name}-{method}")


def send(client, method: str, path: str, data: dict | None = None, **extra):
    client.raise_request_exception = False
    return client.get(path, **extra) if method == "GET" else client.post(path, data or {}, **extra)


@pytest.mark.parametrize(("name", "method"), list(cases()))
def test_every_page_and_post_fits_the_budget(name, method, scene, django_assert_max_num_queries):
    row = matrix.MATRIX[name]
    expected = dict(zip(matrix.ROLES, row.get if method == "GET" else row.post, strict=True))
    path = reverse(name, kwargs=row.url_kwargs(scene))
    data = valid_posts(scene).get(name, dict(row.data))
    askers = [role for role in ASKERS if expected[role] in OK]
    if name.startswith("open311:"):  # a partner's system, with its API key (no session), reading its own
        partner = PartnerFactory(name="Budget Council")
        referral = referrals.refer(concern=scene.concern, partner=partner, by=scene.concern.officer.user)
        if name == "open311:request":
            path = reverse(name, kwargs={"pk": referral.pk})
        key = apikeys.issue_key(partner=partner, name="budget")[1]
        askers, headers = ["anonymous"], {"headers": {"X-Api-Key": key}}
    else:
        headers = {}
    for role in askers:
        client = scene.clients[role]
        with rolled_back():
            send(client, method, path, data, **headers)  # warm the per-process caches
        with rolled_back(), django_assert_max_num_queries(BUDGET, info=f"{method} {path} as {role}"):
            response = send(client, method, path, data, **headers)
        assert response.status_code in OK, f"{method} {path} as {role}: {response.status_code}"


@pytest.mark.parametrize("page", ["privacy", "accessibility"])
def test_being_signed_in_costs_at_most_two_queries(page, scene):
    """These pages read nothing themselves: what they cost is being signed in. Accessibility is behind
    the second-factor rule for staff (privacy is open to staff without one), so both paths are counted."""
    path = reverse(page)
    costs = {}
    for role in ASKERS:
        client = scene.clients[role]
        client.get(path)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (role, response.status_code)
        costs[role] = [query["sql"] for query in queries.captured_queries]
    assert costs["anonymous"] == []
    for role in ASKERS[1:]:
        assert len(costs[role]) <= SIGNED_IN_BUDGET, f"{page} as {role}: " + "\n".join(costs[role])


def test_the_bare_cost_is_the_same_for_every_role_and_with_many_groups_and_factors(scene, sergeant):
    """The role and second factor are subqueries of the user's row, whatever she belongs to and holds."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from django.contrib.auth.models import Group

    sergeant.groups.add(*Group.objects.all())
    RecoveryCodes.activate(sergeant)
    client = scene.clients["sergeant"]
    path = reverse("accessibility")
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    assert len(queries) <= SIGNED_IN_BUDGET


DASHBOARD = "the dashboard"
ADMIN_PAGES = [
    pytest.param("admin:index", id="admin:index"),
    pytest.param("admin:export_concerns", id="admin:export_concerns"),
    pytest.param("admin:export_geojson", id="admin:export_geojson"),
    pytest.param("admin:monthly_report", id="admin:monthly_report"),
]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_the_sergeants_own_pages_fit_the_budget(name, scene, django_assert_max_num_queries):
    """The sergeant's dashboard and its exports (the admin site's own pages; its model pages are Django's)."""
    client = scene.clients["sergeant"]
    path = reverse(name)
    with rolled_back():
        client.get(path)
    with rolled_back(), django_assert_max_num_queries(BUDGET, info=f"GET {path} as sergeant"):
        response = client.get(path)
        assert response.status_code == 200
        body_of(response)  # a streamed export is counted to its last row


# --- Notifications on this phone (issue 17, point 4): JSON posts the matrix cannot send as forms -------


def _subscription(n: int) -> dict:
    from tests.push_service import Device

    return {"endpoint": f"https://fcm.googleapis.com/fcm/send/budget-{n}", "keys": Device(f"d{n}").keys()}


@pytest.mark.parametrize("devices", [1, 50])
def test_the_push_page_and_its_posts_fit_the_budget(scene, devices, django_assert_max_num_queries):
    """The page costs the same with one device or fifty; turning on (new or again) and off fit too."""
    import json

    from walkandtalk.outbox.models import PushSubscription

    client = scene.clients["officer_a"]
    user = scene.device.user
    for n in range(devices - 1):
        PushSubscription.objects.create(
            user=user, endpoint=f"https://fcm.googleapis.com/fcm/send/more-{n}", p256dh="B" * 87,
            auth="A" * 22, session_key=f"other-{n}", label="Chrome on Android",
        )  # fmt: skip
    page = reverse("participants:push")
    client.get(page)
    with django_assert_max_num_queries(BUDGET, info=f"GET {page} with {devices} devices"):
        assert client.get(page).status_code == 200
    subscribe = reverse("participants:push_subscribe")
    for again in (False, True):
        with django_assert_max_num_queries(BUDGET, info=f"POST {subscribe} (again: {again})"):
            response = client.post(subscribe, json.dumps(_subscription(1)), content_type="application/json")
        assert response.status_code == 200
    unsubscribe = reverse("participants:push_unsubscribe")
    body = json.dumps({"endpoint": _subscription(1)["endpoint"]})
    with django_assert_max_num_queries(BUDGET, info=f"POST {unsubscribe}"):
        assert client.post(unsubscribe, body, content_type="application/json").json() == {"removed": 1}
