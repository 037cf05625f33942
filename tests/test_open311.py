"""Open311 GeoReport v2 for partners, their API keys, and the sergeant's GeoJSON export (issue 15,
points 7 and 9).

Read through a real Open311 client (`georeport`) against the live server: it sends no key on a GET, but
the `requests` library under it reads a netrc file, so the key goes as HTTP Basic from a temporary netrc
(no code is patched). The rest goes through Django's test client.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import timedelta
from decimal import Decimal

import geojson
import pytest
import requests
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from georeport import GeoReport
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from participants.models import AuditEvent
from patrols import apikeys, open311, referrals
from patrols import concerns as concern_service
from patrols.models import ConcernCategory, ConcernUpdate, PartnerApiKey, Referral, Walk
from tests.factories import OfficerFactory, PairingFactory, PartnerFactory, ResidentFactory, WalkFactory
from tests.helpers import body_of, rolled_back

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# What must never reach a partner: her name, email and phone, her walk, her words (not ticked as
# shareable), a police-only note, a disclosure.
SECRETS = [
    "Zephyrine",
    "zephyrine.amira@example.org",
    "7700 900123",
    "07700900123",
    "Lanternwick",
    "Quillfeather",
    "Sapphirewing",
    "Obsidianveil",
    "Kestrelmoor",
]


class World:
    def __init__(self):
        resident = ResidentFactory(
            preferred_name="Amira Zephyrine",
            user__email="zephyrine.amira@example.org",
            mobile="+447700900123",
        )
        self.officer = OfficerFactory(display_name="PC Alice Adeyemi")
        PairingFactory(resident=resident, officer=self.officer)
        self.walk = WalkFactory(
            resident=resident,
            officer=self.officer,
            starts_at=timezone.now() - timedelta(days=2),
            ends_at=timezone.now() - timedelta(days=2) + timedelta(hours=1),
            status=Walk.Status.COMPLETED,
            walk_code="731864",
            meeting_point="Lanternwick Arcade gates",
            route="Quillfeather Passage",
        )
        concern_service.record_disclosure(
            walk=self.walk, by=self.officer.user, what_was_said="Obsidianveil disclosure",
            referral_made="MASH", referred_to="MASH", reference="REF-A",
        )  # fmt: skip
        self.lambeth = PartnerFactory(name="Lambeth Council")
        self.tfl = PartnerFactory(name="Transport for London", kind="transport")
        self.key, self.plaintext = apikeys.issue_key(partner=self.lambeth, name="Lambeth lighting")
        self.tfl_key, self.tfl_plaintext = apikeys.issue_key(partner=self.tfl, name="TfL stops")

    def refer(self, partner=None, *, category="Badly lit", pinned=True, days_ago=1, said_shared=False):
        concern, _ = concern_service.log_concern(
            walk=self.walk, by=self.officer.user, category=ConcernCategory.objects.get(name=category),
            severity="high", when_it_matters="after_dark",
            latitude=Decimal("51.473000") if pinned else None,
            longitude=Decimal("-0.069000") if pinned else None,
            location_text="Outside 12 Rye Lane", resident_said="Sapphirewing said the lamp is out",
            resident_said_shared=said_shared, action="Report to the council",
        )  # fmt: skip
        referral = referrals.refer(
            concern=concern, partner=partner or self.lambeth, by=self.officer.user,
            now=timezone.now() - timedelta(days=days_ago),
        )  # fmt: skip
        return referral


@pytest.fixture
def world(db) -> World:
    return World()


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret.lower() in text.lower()] + (
        ["walk code"] if "731864" in text else []
    )


def get(path: str, key: str | None = None, **params):
    client = Client()
    client.raise_request_exception = False
    if key:
        params["api_key"] = key
    return client.get(path, params)


REQUESTS = reverse("open311:requests")
SERVICES = reverse("open311:services")


def one(referral) -> str:
    return reverse("open311:request", args=[referral.pk])


# ---------------------------------------------------------------------------------------------------
# API keys
# ---------------------------------------------------------------------------------------------------


def test_a_key_is_stored_hashed_and_verifies_until_revoked(world):
    key, plaintext = world.key, world.plaintext
    assert len(plaintext) >= 40 and key.prefix == plaintext[:8]
    assert key.key_hash == apikeys.hash_key(plaintext) and plaintext not in key.key_hash
    assert apikeys.verify(plaintext) == key
    assert PartnerApiKey.objects.get(pk=key.pk).last_used_at is not None
    assert (
        apikeys.verify(plaintext + "x") is None
        and apikeys.verify("") is None
        and apikeys.verify(None) is None
    )
    assert apikeys.verify("a" * 10_000) is None
    assert apikeys.revoke(key=key) is True and apikeys.revoke(key=key) is False
    assert apikeys.verify(plaintext) is None
    events = AuditEvent.objects.filter(object_type="patrols.partnerapikey", object_id=str(key.pk))
    summaries = list(events.order_by("pk").values_list("action", "summary"))
    assert [action for action, _ in summaries] == ["created", "changed"]
    assert all(plaintext not in summary for _, summary in summaries)


def test_last_used_is_written_at_most_once_a_minute(world, django_assert_num_queries):
    apikeys.verify(world.plaintext)
    with django_assert_num_queries(1):  # the lookup only: it was used less than a minute ago
        apikeys.verify(world.plaintext)


# ---------------------------------------------------------------------------------------------------
# A real Open311 client against the live server
# ---------------------------------------------------------------------------------------------------


@pytest.fixture
def netrc(tmp_path, monkeypatch):
    """Give `requests` (under georeport) a key as HTTP Basic for the live server's host."""

    def use(key: str | None) -> None:
        path = tmp_path / "netrc"
        path.write_text(f"machine localhost login {key} password x\n" if key else "")
        os.chmod(path, 0o600)
        monkeypatch.setenv("NETRC", str(path))

    return use


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_open311_client_reads_services_requests_and_one_request(live_server, netrc):
    world = World()
    lit = world.refer(days_ago=3)
    stop = world.refer(category="Unsafe transport stop", days_ago=2)
    fixed = world.refer(category="Rundown (derelict buildings, graffiti, fly-tipping)", days_ago=1)
    referrals.answer(referral=fixed, kind=referrals.Answer.FIXED, note="Cleared on Tuesday")
    other = world.refer(world.tfl, category="Unsafe transport stop")
    client = GeoReport(live_server.url + "/open311/v2")

    netrc(None)
    services = client.get_service_list()
    assert {s["service_code"] for s in services} >= {"badly-lit", "unsafe-transport-stop"}
    assert set(services[0]) == {
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
    }  # fmt: skip
    with pytest.raises(requests.HTTPError) as refused:
        client.get_service_requests()
    assert refused.value.response.status_code == 401
    assert refused.value.response.json()[0]["code"] == 401

    netrc(world.plaintext)
    listed = client.get_service_requests()
    assert [r["service_request_id"] for r in listed] == [str(fixed.pk), str(stop.pk), str(lit.pk)]
    assert str(other.pk) not in {r["service_request_id"] for r in listed}
    first = listed[-1]
    assert set(first) == {
        "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
        "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
        "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url",
    }  # fmt: skip
    assert first["status"] == "open" and first["agency_responsible"] == "Lambeth Council"
    assert first["lat"] == pytest.approx(51.473) and first["long"] == pytest.approx(-0.069)
    assert first["requested_datetime"].endswith(("+00:00", "+01:00"))
    assert first["address"] == "Outside 12 Rye Lane" and first["expected_datetime"] is None

    assert [r["service_request_id"] for r in client.get_service_requests(status="closed")] == [str(fixed.pk)]
    assert {
        r["service_request_id"]
        for r in client.get_service_requests(service_code=f"badly-lit,{fixed.concern.category.code}")
    } == {
        str(lit.pk),
        str(fixed.pk),
    }
    ids = client.get_service_requests(service_request_id=f"{lit.pk},{other.pk}")
    assert [r["service_request_id"] for r in ids] == [str(lit.pk)]  # TfL's is not Lambeth's to read

    single = client.get_service_request(str(fixed.pk))
    assert single["status"] == "closed" and "Cleared on Tuesday" in single["status_notes"]
    with pytest.raises(requests.HTTPError) as refused:
        client.get_service_request(str(other.pk))
    assert refused.value.response.status_code == 404

    every = [
        requests.get(f"{live_server.url}{path}", timeout=10).text
        for path in (SERVICES, REQUESTS, one(lit), one(fixed), f"{REQUESTS}?status=closed")
    ]
    assert not leaks("".join(every))

    apikeys.revoke(key=world.key)
    with pytest.raises(requests.HTTPError) as refused:
        client.get_service_requests()
    assert refused.value.response.status_code == 403
    with pytest.raises(requests.HTTPError) as refused:
        client.get_service_list()  # a key that is given must be live, even here
    assert refused.value.response.status_code == 403


# ---------------------------------------------------------------------------------------------------
# Auth, scope, method
# ---------------------------------------------------------------------------------------------------


def test_the_key_may_come_as_a_parameter_a_header_or_basic(world):
    referral = world.refer()
    client = Client()
    by_param = client.get(REQUESTS, {"api_key": world.plaintext})
    by_header = client.get(REQUESTS, headers={"X-Api-Key": world.plaintext})
    basic = base64.b64encode(f"{world.plaintext}:".encode()).decode()
    by_basic = client.get(REQUESTS, headers={"Authorization": f"Basic {basic}"})
    for response in (by_param, by_header, by_basic):
        assert response.status_code == 200, response.content
        assert [r["service_request_id"] for r in response.json()] == [str(referral.pk)]
        assert response["Cache-Control"].startswith("no-store")
        assert response["Content-Type"].startswith("application/json")
    bad_basic = client.get(REQUESTS, headers={"Authorization": "Basic %%%"})
    assert bad_basic.status_code == 403


def test_missing_wrong_and_revoked_keys_get_error_json(world):
    referral = world.refer()
    for path in (REQUESTS, one(referral)):
        missing = get(path)
        assert missing.status_code == 401 and missing.json()[0]["code"] == 401
        assert "WWW-Authenticate" in missing
        wrong = get(path, "not-a-key")
        assert wrong.status_code == 403 and wrong.json() == [
            {"code": 403, "description": wrong.json()[0]["description"]}
        ]
    apikeys.revoke(key=world.key)
    revoked = get(one(referral), world.plaintext)
    assert revoked.status_code == 403 and not leaks(revoked.content.decode())
    assert "Rye Lane" not in revoked.content.decode()


def test_one_partners_key_never_sees_anothers_referrals(world):
    lambeths = world.refer()
    tfls = world.refer(world.tfl, category="Unsafe transport stop")
    listed = get(REQUESTS, world.tfl_plaintext).json()
    assert [r["service_request_id"] for r in listed] == [str(tfls.pk)]
    refused = get(one(lambeths), world.tfl_plaintext)
    assert refused.status_code == 404 and refused.json()[0]["code"] == 404
    nonexistent = get(reverse("open311:request", args=["999999"]), world.tfl_plaintext)
    assert nonexistent.status_code == 404
    assert refused.json()[0]["description"].replace(str(lambeths.pk), "N") == nonexistent.json()[0][
        "description"
    ].replace("999999", "N")  # "not yours" and "no such" read the same
    assert get(reverse("open311:request", args=["abc"]), world.tfl_plaintext).status_code == 404


def test_a_re_routed_concern_is_closed_for_the_first_partner_and_open_for_the_next(world):
    first = world.refer(category="Unsafe transport stop")
    second = referrals.refer(concern=first.concern, partner=world.tfl, by=world.officer.user)
    assert get(one(first), world.plaintext).json()[0]["status"] == "closed"
    assert get(one(second), world.tfl_plaintext).json()[0]["status"] == "open"


@pytest.mark.parametrize("path", [SERVICES, REQUESTS, "/open311/v2/requests/1.json"])
def test_only_get(path, world):
    client = Client(enforce_csrf_checks=True)
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)(path, {"api_key": world.plaintext})
        assert response.status_code == 405 and response.json()[0]["code"] == 405
        assert response["Allow"] == "GET, HEAD"


# ---------------------------------------------------------------------------------------------------
# What a request holds
# ---------------------------------------------------------------------------------------------------


def test_her_words_only_when_shared_and_never_police_only_notes(world):
    private = world.refer()
    concern_service.add_update(concern=private.concern, by=world.officer.user, note="Kestrelmoor police-only")
    shared = world.refer(said_shared=True)
    shown = get(one(private), world.plaintext).json()[0]
    assert "Sapphirewing" not in shown["description"] and "Kestrelmoor" not in json.dumps(shown)
    assert shown["status_notes"].startswith("Referred to Lambeth Council")
    assert "Report to the council" in shown["description"] and "Badly lit" in shown["description"]
    assert "Sapphirewing" in get(one(shared), world.plaintext).json()[0]["description"]


def test_status_notes_updated_and_expected_follow_the_partners_answers(world):
    referral = world.refer(days_ago=2)
    target = timezone.localdate() + timedelta(days=10)
    referrals.answer(
        referral=referral, kind=referrals.Answer.TARGET_DATE, note="Crew booked", target_date=target
    )
    shown = get(one(referral), world.plaintext).json()[0]
    assert "Crew booked" in shown["status_notes"]
    assert shown["expected_datetime"].startswith(f"{target.isoformat()}T23:59:59")
    assert shown["updated_datetime"] > shown["requested_datetime"]


def test_no_personal_data_in_any_response(world):
    referral = world.refer()
    world.refer(world.tfl)
    bodies = []
    for key in (world.plaintext, world.tfl_plaintext, None, "wrong"):
        for path in (SERVICES, REQUESTS, one(referral)):
            for params in ({}, {"status": "open,closed"}, {"service_code": "nope"}):
                bodies.append(body_of(get(path, key, **params)))
    assert not leaks("\n".join(bodies))


# ---------------------------------------------------------------------------------------------------
# Filters, pagination, bad input
# ---------------------------------------------------------------------------------------------------


def test_dates_filter_and_the_default_is_the_last_90_days(world):
    recent = world.refer(days_ago=5)
    old = world.refer(days_ago=100)
    ids = lambda response: [r["service_request_id"] for r in response.json()]  # noqa: E731
    assert ids(get(REQUESTS, world.plaintext)) == [str(recent.pk)]
    start = (timezone.now() - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (timezone.now() - timedelta(days=50)).strftime("%Y-%m-%dT%H:%M:%S+01:00")
    assert ids(get(REQUESTS, world.plaintext, start_date=start, end_date=end)) == [str(old.pk)]
    day = (timezone.now() - timedelta(days=10)).date().isoformat()
    assert ids(get(REQUESTS, world.plaintext, start_date=day)) == [str(recent.pk)]


def test_pages_with_links(world):
    made = [world.refer(days_ago=1 + n % 5) for n in range(5)]
    first = get(REQUESTS, world.plaintext, page_size="2")
    assert len(first.json()) == 2 and first["X-Total-Count"] == "5"
    assert (
        'rel="next"' in first["Link"] and "page=2" in first["Link"] and world.plaintext not in first["Link"]
    )
    seen = [r["service_request_id"] for page in (1, 2, 3) for r in get(
        REQUESTS, world.plaintext, page_size="2", page=str(page)).json()]  # fmt: skip
    assert sorted(seen) == sorted(str(r.pk) for r in made) and len(set(seen)) == 5
    assert 'rel="next"' not in get(REQUESTS, world.plaintext, page_size="2", page="3")["Link"]
    assert get(REQUESTS, world.plaintext, page="9").json() == []


BAD_QUERIES = [
    {"service_code": "no-such-code"},
    {"service_code": "badly-lit,"},
    {"status": "pending"},
    {"status": "open,maybe"},
    {"start_date": "2026-02-30T00:00:00Z"},
    {"start_date": "2026-13-01T00:00:00Z"},
    {"start_date": "2026-03-01T24:00:00Z"},
    {"start_date": "2026-03-01T10:61:00Z"},
    {"start_date": "2026-03-01T10:00:00+99:00"},
    {"start_date": "2026-03-01T10:00:00+15:00"},
    {"start_date": "2026-03-01T10:00:00+05:75"},
    {"start_date": "2026-03-01T10:00:00"},
    {"start_date": "9999-12-31T23:59:59-12:00"},
    {"end_date": "0001-01-01T00:00:00+14:00"},
    {"start_date": "yesterday"},
    {"start_date": "2026-03-01T10:00:00Z", "end_date": "2026-02-01T10:00:00Z"},
    {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    {"page": "0"},
    {"page": "-1"},
    {"page": "x"},
    {"page": "9" * 40},
    {"page_size": "101"},
    {"page_size": "0"},
    {"service_request_id": "1,abc"},
    {"service_request_id": ",".join(["1"] * 101)},
    {"start_date": "２０２６-03-01"},
]


@pytest.mark.parametrize("params", BAD_QUERIES, ids=lambda p: json.dumps(p)[:60])
def test_bad_queries_get_error_json_with_400(params, world):
    response = get(REQUESTS, world.plaintext, **params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == 400 and body[0]["description"]


def test_a_repeated_parameter_is_refused(world):
    response = Client().get(f"{REQUESTS}?status=open&status=closed&api_key={world.plaintext}")
    assert response.status_code == 400


hostile = st.one_of(
    st.text(max_size=60),
    st.from_regex(
        r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})\Z"
    ),  # well formed, maybe impossible
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.sampled_from(["9999-12-31T23:59:59Z", "0000-00-00T00:00:00Z", "2026-02-29T12:00:00Z", "\u202e2026"]),
)


@FUZZ
@given(start=hostile, end=hostile, code=st.text(max_size=30), status=st.text(max_size=20))
def test_any_query_gets_data_or_error_json_never_a_500(world, start, end, code, status):
    params = {"start_date": start, "end_date": end, "service_code": code, "status": status}
    params = {name: value.replace("\x00", "") for name, value in params.items()}
    with rolled_back():
        response = get(REQUESTS, world.plaintext, **params)
    assert response.status_code in (200, 400), response.content
    body = response.json()
    assert isinstance(body, list)
    if response.status_code == 400:
        assert body[0]["code"] == 400


def test_parse_datetime_keeps_the_offset():
    moment = open311.parse_datetime("2026-03-12T18:30:00+01:00", "start_date")
    assert moment.isoformat() == "2026-03-12T17:30:00+00:00"


# ---------------------------------------------------------------------------------------------------
# Query counts
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 50])
def test_requests_json_costs_the_same_for_1_and_50(count, world, django_assert_max_num_queries):
    made = [world.refer(days_ago=1) for _ in range(count)]
    for referral in made[:3]:
        referrals.answer(referral=referral, kind=referrals.Answer.ACKNOWLEDGE, note="Seen")
    apikeys.verify(world.plaintext)  # last used just now: no write in the request
    client = Client()
    # the key (with its partner); the service codes asked for; the count; the page (with its category,
    # partner, latest shared note and update time)
    with django_assert_max_num_queries(4):
        response = client.get(
            REQUESTS, {"api_key": world.plaintext, "service_code": "badly-lit", "page_size": 100}
        )
    assert len(response.json()) == count
    assert Referral.objects.count() == count and ConcernUpdate.objects.exists()


# ---------------------------------------------------------------------------------------------------
# The sergeant's GeoJSON export
# ---------------------------------------------------------------------------------------------------

GEOJSON = reverse("admin:export_geojson")


def test_the_geojson_export_is_valid_pinned_and_without_personal_data(world, sergeant):
    pinned = world.refer(said_shared=True)
    world.refer(pinned=False)
    client = Client()
    client.force_login(sergeant)
    response = client.get(GEOJSON)
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    assert "attachment" in response["Content-Disposition"]
    text = body_of(response)
    collection = geojson.loads(text)
    assert collection.is_valid, collection.errors()
    assert isinstance(collection, geojson.FeatureCollection)
    assert [feature["id"] for feature in collection["features"]] == [pinned.concern.pk]
    feature = collection["features"][0]
    assert feature["geometry"]["coordinates"] == [pytest.approx(-0.069), pytest.approx(51.473)]
    assert set(feature["properties"]) == {
        "category", "category_code", "severity", "when_it_matters", "status", "ward", "borough",
        "logged_on", "resolved_on", "partner",
    }  # fmt: skip
    assert feature["properties"]["partner"] == "Lambeth Council"
    assert not leaks(text) and "Rye Lane" not in text and "Report to the council" not in text
    assert AuditEvent.objects.filter(action="exported", summary__contains="GeoJSON").count() == 1


def test_the_geojson_export_is_empty_and_valid_with_nothing_pinned(sergeant):
    client = Client()
    client.force_login(sergeant)
    collection = geojson.loads(body_of(client.get(GEOJSON, {"start": "2026-01-01", "end": "2026-01-31"})))
    assert collection.is_valid and collection["features"] == []


def test_the_geojson_export_is_for_the_sergeant_only(world, resident_a, officer_a):
    world.refer()
    for user in (None, resident_a.user, officer_a.user):
        client = Client()
        if user:
            client.force_login(user)
        response = client.get(GEOJSON)
        assert response.status_code == 302 and "login" in response["Location"]
    keyed = Client().get(GEOJSON, {"api_key": world.plaintext})
    assert keyed.status_code == 302
    assert not AuditEvent.objects.filter(action="exported").exists()


# ---------------------------------------------------------------------------------------------------
# The sergeant's key admin
# ---------------------------------------------------------------------------------------------------


def test_the_sergeant_makes_a_key_and_sees_it_once(world, sergeant):
    client = Client()
    client.force_login(sergeant)
    add = reverse("admin:patrols_partnerapikey_add")
    assert "key_hash" not in client.get(add).content.decode()
    response = client.post(add, {"partner": world.tfl.pk, "name": "Bus stops feed"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("no-store")
    page = response.content.decode()
    assert "Copy it now: it is not shown again" in page
    key = PartnerApiKey.objects.get(name="Bus stops feed")
    plaintext = next(word for word in page.split('value="')[1:] if word.startswith(key.prefix)).split('"')[0]
    assert apikeys.verify(plaintext) == key and key.partner == world.tfl
    # not kept for a later page: the message was used up by this one
    for path in (reverse("admin:patrols_partnerapikey_changelist"), reverse(
            "admin:patrols_partnerapikey_change", args=[key.pk])):  # fmt: skip
        later = client.get(path).content.decode()
        assert plaintext not in later and key.key_hash not in later and key.prefix in later
    assert AuditEvent.objects.filter(object_type="patrols.partnerapikey", object_id=str(key.pk)).exists()
    # nothing edits a key
    client.post(reverse("admin:patrols_partnerapikey_change", args=[key.pk]), {"name": "Changed"})
    assert PartnerApiKey.objects.get(pk=key.pk).name == "Bus stops feed"


def test_the_sergeant_revokes_keys_after_confirming(world, sergeant):
    client = Client()
    client.force_login(sergeant)
    changelist = reverse("admin:patrols_partnerapikey_changelist")
    data = {"action": "revoke_keys", "_selected_action": [world.key.pk]}
    confirm = client.post(changelist, data)
    assert confirm.status_code == 200 and "Yes, revoke them" in confirm.content.decode()
    assert apikeys.verify(world.plaintext) is not None  # asking changed nothing
    done = client.post(changelist, {**data, "post": "yes"})
    assert done.status_code == 302
    assert apikeys.verify(world.plaintext) is None and apikeys.verify(world.tfl_plaintext) is not None
    assert AuditEvent.objects.filter(
        object_type="patrols.partnerapikey", object_id=str(world.key.pk), summary__contains="revoked"
    ).exists()


def test_officers_and_residents_cannot_reach_the_key_admin(world, officer_a, resident_a):
    for user in (officer_a.user, resident_a.user):
        client = Client()
        client.force_login(user)
        response = client.get(reverse("admin:patrols_partnerapikey_changelist"))
        assert response.status_code == 302
        response = client.post(
            reverse("admin:patrols_partnerapikey_add"), {"partner": world.tfl.pk, "name": "x"}
        )
        assert response.status_code in (302, 403)
    assert not PartnerApiKey.objects.filter(name="x").exists()
