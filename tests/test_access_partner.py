"""The access matrix's partner role (issue 15, point 9): someone who holds only a partner's link to a
referral, or only a partner's Open311 API key, over every URL of the project.

- Everywhere else they are strangers: every project page, admin page and account page answers them
  exactly as it answers someone signed out, and never shows the resident's data (the markers of
  tests/test_access_matrix.py's scene: her name, walk codes, meeting point, route, her words, the
  disclosure).
- Their own link opens their own referral only; a guessed, altered, revoked or expired link gets a
  page that says so and shows nothing; a key reads its own partner's referrals only, by list and by id.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patrols import apikeys, referrals
from patrols.models import Concern, ConcernCategory, Referral, Walk
from tests import test_access_matrix as matrix
from tests.factories import PartnerFactory, WalkFactory
from tests.helpers import body_of, rolled_back
from tests.test_access_matrix import (
    MATRIX,
    ROLES,
    account_paths,
    admin_objects,
    admin_paths,
    outcome,
    request,
)

pytestmark = pytest.mark.django_db

scene = matrix.scene  # the matrix's scene: resident A's walks, concern and disclosure, with their markers

PARTNER_ROLES = ("partner_link", "partner_key")
# Their own ways in: tested below, row by row, rather than against "as if signed out".
PARTNER_URLS = {"patrols:partner_referral"}


@pytest.fixture
def partners(scene, officer_a, officer_b):
    """Lambeth Council has A's concern (the matrix's scene refers it); Thameside Homes has another concern
    (officer B's walk)."""
    homes = PartnerFactory(
        name="Thameside Homes", kind="housing", contact_emails=["estates@thameside.example.org"]
    )
    mine = Referral.objects.current().select_related("partner").get(concern=scene.concern)
    lambeth = mine.partner
    other_walk = WalkFactory(
        officer=officer_b, status=Walk.Status.COMPLETED, starts_at=timezone.now() - timedelta(days=1)
    )
    other_concern = Concern.objects.create(
        walk=other_walk, officer=officer_b, ward=other_walk.resident.ward,
        category=ConcernCategory.objects.get(name__startswith="Rundown"), location_text="Estate stairwell",
    )  # fmt: skip
    theirs = referrals.refer(concern=other_concern, partner=homes, by=officer_b.user)
    _, key = apikeys.issue_key(partner=lambeth, name="Lambeth open data")
    link_client = Client()
    assert link_client.get(path_of(mine)).status_code == 200  # she has used her link: cookies and all
    scene.clients["partner_link"] = link_client
    scene.clients["partner_key"] = Client(headers={"X-Api-Key": key})
    return {"mine": mine, "theirs": theirs, "key": key, "lambeth": lambeth}


def path_of(referral) -> str:
    return reverse("patrols:partner_referral", args=[referrals.link_token(referral)])


def test_everywhere_else_a_partner_is_a_stranger(scene, partners, sergeant):
    """Every project page (GET and POST), admin page and account page: as signed out, never her data."""
    paths = []
    for name, row in MATRIX.items():
        if name in PARTNER_URLS or name.startswith("open311:"):
            continue
        path = reverse(name, kwargs=row.url_kwargs(scene))
        paths += [("GET", path, {}), ("POST", path, dict(row.data))]
    paths += [("GET", path, {}) for path in account_paths().values()]
    from django.test import RequestFactory

    admin_request = RequestFactory().get("/admin/")
    admin_request.user = sergeant
    paths += [("GET", path, {}) for path in admin_paths(admin_objects(admin_request)).values()]
    wrong = []
    for method, path, data in paths:
        with rolled_back():
            expected = outcome(request(scene.clients["anonymous"], method, path, data))
        for role in PARTNER_ROLES:
            with rolled_back():
                response = request(scene.clients[role], method, path, data)
                got, body = outcome(response), body_of(response)
            if got != expected:
                wrong.append(f"{method} {path} as {role}: expected {expected} (as signed out), got {got}")
            if leaked := scene.leaks(body):
                wrong.append(f"{method} {path} as {role}: shows the resident's data {leaked}")
    assert not wrong, "\n".join(wrong)
    assert len(paths) > 100  # every row really was tried


def test_her_link_opens_her_referral_and_nothing_of_the_resident(scene, partners):
    response = scene.clients["partner_link"].get(path_of(partners["mine"]))
    body = body_of(response)
    assert response.status_code == 200
    assert "Badly lit" in body and "A lamp post" in body
    assert not scene.leaks(body), scene.leaks(body)
    # the other partner's referral is not on her page
    assert "Estate stairwell" not in body


def test_a_link_names_one_referral_and_cannot_be_turned_into_another(scene, partners):
    mine, theirs = partners["mine"], partners["theirs"]
    # Guessing: the other referral's id in a token made without the site's secret.
    forged = signing.dumps({"r": theirs.pk, "v": 1}, key="not-the-secret", salt=referrals.LINK_SALT)
    # Altering: her token with its payload swapped for the other referral's, signature kept.
    token = referrals.link_token(mine)
    other = referrals.link_token(theirs)
    spliced = other.split(":")[0] + ":" + ":".join(token.split(":")[1:])
    for bad in (forged, spliced, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x", "a:b:c"):
        response = Client().get(reverse("patrols:partner_referral", args=[bad]))
        body = body_of(response)
        assert response.status_code in (403, 404, 410), (bad, response.status_code)
        assert "Estate stairwell" not in body and "A lamp post" not in body
        assert not scene.leaks(body)
        with rolled_back():
            response = Client().post(reverse("patrols:partner_referral", args=[bad]), {"kind": "fixed"})
            assert response.status_code in (403, 404, 410)
    theirs.refresh_from_db()
    assert theirs.state == "sent"


def test_a_revoked_or_expired_link_shows_a_page_that_says_so_and_no_data(scene, partners, sergeant):
    mine = partners["mine"]
    path = path_of(mine)
    referrals.revoke_link(referral=mine, by=sergeant)
    response = Client().get(path)
    assert response.status_code in (403, 410)
    assert "withdrawn" in body_of(response) and "A lamp post" not in body_of(response)
    mine = referrals.send_new_link(referral=mine, by=sergeant)
    fresh = path_of(mine)
    assert Client().get(fresh).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        response = Client().get(fresh)
        assert response.status_code in (403, 410)
        assert "expired" in body_of(response) and "A lamp post" not in body_of(response)


def test_a_key_reads_its_own_partners_referrals_only(scene, partners):
    client = scene.clients["partner_key"]
    listed = client.get(reverse("open311:requests"))
    assert listed.status_code == 200
    ids = {row["service_request_id"] for row in listed.json()}
    assert ids == {str(partners["mine"].pk)}
    assert not scene.leaks(body_of(listed))
    own = client.get(reverse("open311:request", args=[partners["mine"].pk]))
    assert own.status_code == 200 and not scene.leaks(body_of(own))
    # URL-guessing: the other partner's referral, and ids that are nobody's
    for guess in (partners["theirs"].pk, partners["theirs"].pk + 1000):
        response = client.get(reverse("open311:request", args=[guess]))
        assert response.status_code == 404, guess
        assert "Estate stairwell" not in body_of(response)
    # without the key, or with a made-up one: refused, never data
    for stranger in (Client(), Client(headers={"X-Api-Key": "made-up-key"})):
        response = stranger.get(reverse("open311:requests"))
        assert response.status_code in (401, 403)
        assert "A lamp post" not in body_of(response)


def test_the_partner_roles_cover_the_same_urls_as_the_matrix():
    """A new URL gets a matrix row (tests/test_access_matrix.py), and with it this role's check."""
    assert set(ROLES) & set(PARTNER_ROLES) == set()
    assert set(MATRIX) >= PARTNER_URLS
