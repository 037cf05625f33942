"""Issue 17 on the server: each action the phone queues is done once per action key, a refusal is a
clear 4xx reason in JSON, the pages the phone may keep are marked (and only those), and the app's own
files (manifest, service worker, offline page) are what a browser needs."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from patrols import booking, concerns, walks
from patrols.models import Concern, ConcernCategory, ConcernUpdate, Disclosure, Walk, WalkEvent
from patrols.offline import OFFLINE_HEADER
from tests.factories import WalkFactory

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def walk(resident_a, officer_a):
    return WalkFactory(
        resident=resident_a, officer=officer_a, starts_at=timezone.now() - timedelta(minutes=5)
    )


@pytest.fixture
def officer(client, officer_a):
    client.force_login(officer_a.user)
    return client


def act(client, name: str, walk: Walk, key: uuid.UUID | str, **extra):
    return client.post(
        reverse(name, args=[walk.pk]), {"action_key": str(key), "next": "/app/today/"}, **JSON, **extra
    )


def concern_on(walk: Walk) -> Concern:
    concern, _ = concerns.log_concern(
        walk=walk,
        by=walk.officer.user,
        category=ConcernCategory.objects.get(name="Badly lit"),
        severity="high",
        when_it_matters="after_dark",
        location_text="Rye Lane alley",
    )
    return concern


@pytest.mark.parametrize(
    ("name", "kind", "status"),
    [
        ("patrols:walk_start", "started", Walk.Status.IN_PROGRESS),
        ("patrols:walk_no_show", "no_show", Walk.Status.NO_SHOW),
    ],
)
def test_the_same_action_key_twice_does_it_once(officer, walk, name, kind, status):
    key = uuid.uuid4()
    first = act(officer, name, walk, key)
    again = act(officer, name, walk, key)
    assert first.status_code == again.status_code == 200
    assert first.json()["ok"] and again.json()["next"] == "/app/today/"
    walk.refresh_from_db()
    assert walk.status == status
    assert WalkEvent.objects.filter(walk=walk, kind=kind).count() == 1
    assert WalkEvent.objects.get(walk=walk, kind=kind).action_key == key


def test_finish_and_nothing_to_log_sent_twice_happen_once(officer, walk, officer_a):
    walk = walks.start_walk(walk=walk, by=officer_a.user)
    finish, nothing = uuid.uuid4(), uuid.uuid4()
    for _ in range(2):
        assert act(officer, "patrols:walk_finish", walk, finish).json()["ok"]
        assert act(officer, "patrols:walk_nothing_to_log", walk, nothing).json()["ok"]
    assert WalkEvent.objects.filter(walk=walk, kind="completed").count() == 1
    assert WalkEvent.objects.filter(walk=walk, kind="nothing_to_log").count() == 1
    walk.refresh_from_db()
    assert walk.status == Walk.Status.COMPLETED and walk.nothing_to_log_at is not None


def test_a_second_start_with_another_key_is_refused_with_the_reason(officer, walk):
    assert act(officer, "patrols:walk_start", walk, uuid.uuid4()).status_code == 200
    again = act(officer, "patrols:walk_start", walk, uuid.uuid4())
    assert again.status_code == 409
    assert again.json() == {
        "ok": False,
        "errors": {"__all__": ["This walk is in progress, so it can’t be in progress now."]},
    }


def test_a_key_used_for_another_action_is_refused_not_taken_as_done(officer, walk, officer_a):
    key = uuid.uuid4()
    act(officer, "patrols:walk_start", walk, key)
    refused = act(officer, "patrols:walk_finish", walk, key)
    assert refused.status_code == 409
    assert "already sent for something else" in refused.json()["errors"]["__all__"][0]
    walk.refresh_from_db()
    assert walk.status == Walk.Status.IN_PROGRESS


def test_a_walk_cancelled_meanwhile_refuses_the_queued_start_with_why(officer, walk, sergeant):
    booking.cancel_walk(walk=walk, by=sergeant, reason="Officer reassigned", check_rules=False)
    refused = act(officer, "patrols:walk_start", walk, uuid.uuid4())
    assert refused.status_code == 409
    assert refused.json() == {
        "ok": False,
        "errors": {"__all__": ["This walk is cancelled, so it can’t be in progress now."]},
    }
    assert not WalkEvent.objects.filter(walk=walk, kind="started").exists()


def test_a_damaged_action_key_is_a_400_with_a_reason_and_nothing_done(officer, walk):
    refused = act(officer, "patrols:walk_start", walk, "not-a-key")
    assert refused.status_code == 400
    assert refused.json() == {"ok": False, "errors": {"__all__": ["This action’s key is damaged."]}}
    walk.refresh_from_db()
    assert walk.status == Walk.Status.BOOKED


def test_a_plain_form_post_without_a_key_still_works(officer, walk):
    response = officer.post(reverse("patrols:walk_start", args=[walk.pk]), {"next": "/app/today/"})
    assert response.status_code == 302 and response["Location"] == "/app/today/"
    walk.refresh_from_db()
    assert walk.status == Walk.Status.IN_PROGRESS


def test_a_follow_up_sent_twice_is_added_once(officer, walk, officer_a):
    walk = walks.start_walk(walk=walk, by=officer_a.user)
    concern = concern_on(walk)
    url = reverse("patrols:concern_detail", args=[concern.pk])
    data = {
        "note": "Reported to Southwark highways, ref 991",
        "new_status": "",
        "action_key": str(uuid.uuid4()),
    }
    first = officer.post(url, data, **JSON)
    again = officer.post(url, data, **JSON)
    assert first.status_code == again.status_code == 200
    assert first.json() == {"ok": True, "next": url, "done_at": again.json()["done_at"]}
    assert ConcernUpdate.objects.filter(concern=concern, note=data["note"]).count() == 1


def test_a_follow_up_on_a_concern_closed_meanwhile_is_refused_with_why(officer, walk, officer_a):
    walk = walks.start_walk(walk=walk, by=officer_a.user)
    concern = concern_on(walk)
    concerns.add_update(
        concern=concern, by=officer_a.user, note="Duplicate", new_status="closed", closed_reason="Duplicate"
    )
    url = reverse("patrols:concern_detail", args=[concern.pk])
    refused = officer.post(
        url, {"note": "Fixed now", "new_status": "resolved", "action_key": str(uuid.uuid4())}, **JSON
    )
    assert refused.status_code == 409
    assert refused.json()["errors"]["__all__"] == ["A concern that is closed can’t become resolved."]
    # A field to fix is a 400 that names the field.
    empty = officer.post(url, {"note": "", "action_key": str(uuid.uuid4())}, **JSON)
    assert empty.status_code == 400 and empty.json()["errors"]["note"] == ["Write what happened."]


@pytest.mark.parametrize(
    "name",
    ["patrols:walk_start", "patrols:walk_no_show", "patrols:walk_finish", "patrols:walk_nothing_to_log"],
)
def test_queued_walk_actions_fit_the_query_budget(
    officer, walk, officer_a, name, django_assert_max_num_queries
):
    if name in ("patrols:walk_finish", "patrols:walk_nothing_to_log"):
        walks.start_walk(walk=walk, by=officer_a.user)
    if name == "patrols:walk_nothing_to_log":
        walks.finish_walk(walk=walk, by=officer_a.user)
    with django_assert_max_num_queries(12):
        response = act(officer, name, walk, uuid.uuid4(), HTTP_X_CONCERN_OUTBOX="1")
    assert response.status_code == 200, response.content
    # and the repeat, which finds its event
    with django_assert_max_num_queries(12):
        assert act(officer, name, walk, WalkEvent.objects.latest("pk").action_key).status_code == 200


def test_a_queued_follow_up_fits_the_query_budget(officer, walk, officer_a, django_assert_max_num_queries):
    walk = walks.start_walk(walk=walk, by=officer_a.user)
    concern = concern_on(walk)
    url = reverse("patrols:concern_detail", args=[concern.pk])
    with django_assert_max_num_queries(12):
        response = officer.post(url, {"note": "Chased", "action_key": str(uuid.uuid4())}, **JSON)
    assert response.status_code == 200


# -- what the phone may keep ---------------------------------------------------------------------------


def test_today_lists_the_pages_to_keep_and_marks_only_its_offline_copy(
    officer, walk, django_assert_max_num_queries
):
    plain = officer.get(reverse("patrols:today"))
    assert OFFLINE_HEADER not in plain and plain["Cache-Control"] == "no-store, private"
    html = plain.content.decode()
    listed = json.loads(
        html.split('<script id="offline-urls" type="application/json">')[1].split("</script>")[0]
    )
    keys = {entry["key"] for entry in listed}
    assert {
        "/app/today/", "/app/concerns/", "/app/schedule/", f"/app/walks/{walk.pk}/",
        f"/app/walks/{walk.pk}/concerns/new/", f"/app/walks/{walk.pk}/finish/?next=/app/today/",
        f"/app/walks/{walk.pk}/finish/",
    } == keys  # fmt: skip
    for entry in listed:
        with django_assert_max_num_queries(12, info=entry["url"]):
            response = officer.get(entry["url"])
        assert response.status_code == 200 and response[OFFLINE_HEADER] == "officer", entry


def test_a_walk_beyond_tomorrow_is_never_marked_and_a_kept_walk_page_leaves_disclosures_out(
    officer, walk, officer_a, resident_a
):
    later = WalkFactory(resident=resident_a, officer=officer_a, starts_at=timezone.now() + timedelta(days=3))
    for url in (f"/app/walks/{later.pk}/?offline=1", f"/app/walks/{later.pk}/concerns/new/?offline=1"):
        assert OFFLINE_HEADER not in officer.get(url), url
    walk = walks.start_walk(walk=walk, by=officer_a.user)
    Disclosure.objects.create(
        walk=walk, officer=officer_a, what_was_said="SECRET-DISCLOSURE", referred_to="MASH"
    )
    assert "SECRET-DISCLOSURE" in officer.get(f"/app/walks/{walk.pk}/").content.decode()
    kept = officer.get(f"/app/walks/{walk.pk}/?offline=1")
    assert kept[OFFLINE_HEADER] == "officer" and "SECRET-DISCLOSURE" not in kept.content.decode()


def test_the_kept_schedule_names_residents_only_today_and_tomorrow(officer, walk, officer_a, resident_a):
    later = WalkFactory(
        resident=resident_a,
        officer=officer_a,
        starts_at=timezone.now() + timedelta(days=3),
        meeting_point="Far spot",
    )
    online = officer.get("/app/schedule/").content.decode()
    assert "Far spot" in online
    kept = officer.get("/app/schedule/?offline=1")
    html = kept.content.decode()
    assert kept[OFFLINE_HEADER] == "officer"
    assert walk.meeting_point in html and later.meeting_point not in html


def test_the_sergeant_and_residents_pages_are_never_marked(client, sergeant, resident_a, walk):
    client.force_login(sergeant)
    for url in (f"/walks/{walk.pk}/?offline=1", f"/app/walks/{walk.pk}/concerns/new/?offline=1"):
        response = client.get(url)
        assert response.status_code == 200 and OFFLINE_HEADER not in response, url
    client.force_login(resident_a.user)
    assert OFFLINE_HEADER not in client.get(f"/walks/{walk.pk}/?offline=1")
    assert OFFLINE_HEADER not in client.get("/walks/?offline=1")


# -- the app's own files ---------------------------------------------------------------------------------


def test_the_manifest_says_what_an_install_needs(client):
    response = client.get(reverse("patrols:app_manifest"))
    assert response["Content-Type"] == "application/manifest+json"
    data = response.json()
    # The officer's app is /app/ and nothing wider (issue 17: "scope limited to the officer's pages").
    assert data["start_url"] == data["id"] == "/app/today/" and data["scope"] == "/app/"
    assert data["display"] == "standalone"
    for icon in data["icons"]:
        png = client.get(icon["src"])
        body = b"".join(png.streaming_content) if png.streaming else png.content
        width = int.from_bytes(body[16:20], "big")
        assert body[:8] == b"\x89PNG\r\n\x1a\n" and f"{width}x{width}" == icon["sizes"], icon


def test_the_service_worker_is_served_in_the_app_and_never_cached(client):
    response = client.get(reverse("patrols:service_worker"))
    assert reverse("patrols:service_worker") == "/app/service-worker.js"  # so its scope is /app/
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache" and "Service-Worker-Allowed" not in response
    body = response.content.decode()
    assert body.startswith("self.WALKANDTALK = ")
    assert "vendor/workbox/workbox-sw.js" in body and 'importScripts(CONFIG.static["js/sw-push.js"]' in body
    assert "self.__WB_MANIFEST" not in body  # the build put the app's files in its place
    assert client.get("/static/vendor/workbox/workbox-sw.js").status_code == 200


def test_the_offline_page_names_no_one(client, officer_a):
    client.force_login(officer_a.user)
    html = client.get(reverse("patrols:app_offline")).content.decode()
    assert "No signal" in html and officer_a.user.email not in html and "csrfmiddlewaretoken" not in html


def test_signing_out_tells_the_browser_to_drop_its_cache(officer):
    response = officer.post(reverse("account_logout"))
    assert response.status_code == 302 and response["Clear-Site-Data"] == '"cache"'


def test_her_open_concerns_pages_are_kept_without_what_the_resident_said(officer, walk, officer_a):
    walk = walks.start_walk(walk=walk, by=officer_a.user)
    concern, _ = concerns.log_concern(
        walk=walk,
        by=officer_a.user,
        category=ConcernCategory.objects.get(name="Badly lit"),
        severity="high",
        when_it_matters="after_dark",
        location_text="Rye Lane alley",
        resident_said="HER-OWN-WORDS",
    )
    html = officer.get(reverse("patrols:today")).content.decode()
    listed = json.loads(
        html.split('<script id="offline-urls" type="application/json">')[1].split("</script>")[0]
    )
    assert {"url": f"/app/concerns/{concern.pk}/?offline=1", "key": f"/app/concerns/{concern.pk}/"} in listed
    assert "HER-OWN-WORDS" in officer.get(f"/app/concerns/{concern.pk}/").content.decode()
    kept = officer.get(f"/app/concerns/{concern.pk}/?offline=1")
    assert kept[OFFLINE_HEADER] == "officer" and "HER-OWN-WORDS" not in kept.content.decode()
    # A concern that is no longer open is not listed.
    concerns.add_update(concern=concern, by=officer_a.user, note="Fixed", new_status="resolved")
    html = officer.get(reverse("patrols:today")).content.decode()
    assert f"/app/concerns/{concern.pk}/" not in html


# -- the app's scope: every officer page under /app/, the old URLs sent on ------------------------------


def test_every_officer_page_is_under_the_app_scope():
    pk = {"pk": 1}
    names = [
        ("patrols:today", {}), ("patrols:schedule", {}), ("patrols:my_concerns", {}),
        ("patrols:area_concerns", {}), ("patrols:availability", {}), ("patrols:officer_walk", pk),
        ("patrols:walk_start", pk), ("patrols:walk_finish", pk), ("patrols:walk_no_show", pk),
        ("patrols:walk_nothing_to_log", pk), ("patrols:concern_new", pk), ("patrols:disclosure_new", pk),
        ("patrols:concern_detail", pk), ("patrols:concern_pin", pk), ("patrols:concern_refer", pk),
        ("patrols:window_delete", pk), ("patrols:exception_delete", pk), ("participants:my_residents", {}),
        ("participants:push", {}), ("participants:push_subscribe", {}), ("participants:push_unsubscribe", {}),
        ("participants:push_device_remove", pk), ("patrols:app_manifest", {}), ("patrols:service_worker", {}),
        ("patrols:app_offline", {}),
    ]  # fmt: skip
    outside = [name for name, kwargs in names if not reverse(name, kwargs=kwargs).startswith("/app/")]
    assert not outside
    # and a resident's pages are not in it
    assert not reverse("patrols:walk_detail", args=[1]).startswith("/app/")
    assert not reverse("patrols:my_walks").startswith("/app/")


OLD_URLS = [
    "/today/", "/schedule/", "/concerns/", "/concerns/area/", "/concerns/7/", "/concerns/7/pin/",
    "/availability/", "/walks/7/finish/", "/walks/7/concerns/new/", "/walks/7/disclosures/new/",
    "/my-residents/", "/notifications/", "/offline/", "/app.webmanifest",
]  # fmt: skip


@pytest.mark.parametrize("old", OLD_URLS)
def test_an_old_officer_url_is_sent_on_for_good_to_its_new_one(client, old):
    response = client.get(old + "?next=/app/today/")
    assert response.status_code == 301 and response["Location"] == f"/app{old}?next=/app/today/"
    assert resolve(f"/app{old}").url_name not in ("moved_to_app", None)  # a page of the app answers it


def test_a_resident_keeps_her_walk_pages_and_an_officer_is_sent_to_hers(client, walk, resident_a, officer_a):
    for kept in (f"/walks/{walk.pk}/feedback/", f"/concerns/{walk.pk}/fixed/", "/walks/", "/walks/book/"):
        assert client.get(kept).status_code == 302  # to sign in: not moved (no 301)
    client.force_login(resident_a.user)
    assert client.get(f"/walks/{walk.pk}/").status_code == 200
    assert client.get(f"/app/walks/{walk.pk}/").status_code == 403
    client.force_login(officer_a.user)
    response = client.get(f"/walks/{walk.pk}/?offline=1")
    assert response.status_code == 302 and response["Location"] == f"/app/walks/{walk.pk}/?offline=1"
    assert client.get(response["Location"])[OFFLINE_HEADER] == "officer"


def test_an_action_queued_with_its_old_url_is_still_done_once(officer, walk, officer_a):
    """The phone's outbox keeps the URL it posts to (static/js/outbox.js, item.url): an entry queued
    before the move posts to /walks/<pk>/start/. It is sent on with its method and body (308), and
    done once by its action key, however often the phone sends it."""
    key = str(uuid.uuid4())
    old = f"/walks/{walk.pk}/start/"
    first = officer.post(old, {"action_key": key, "next": "/today/"}, **JSON)
    assert first.status_code == 308 and first["Location"] == f"/app/walks/{walk.pk}/start/"
    for _ in range(2):
        response = officer.post(old, {"action_key": key, "next": "/today/"}, follow=True, **JSON)
        assert response.status_code == 200 and response.json()["ok"], response.content
    walk.refresh_from_db()
    assert walk.status == Walk.Status.IN_PROGRESS
    assert WalkEvent.objects.filter(walk=walk, action_key=key).count() == 1
    # a follow-up queued with the old concern URL, too
    concern = concern_on(walk)
    update_key = str(uuid.uuid4())
    response = officer.post(
        f"/concerns/{concern.pk}/", {"note": "Chased", "action_key": update_key}, follow=True, **JSON
    )
    assert response.status_code == 200 and response.json()["ok"]
    assert ConcernUpdate.objects.filter(concern=concern, note="Chased").count() == 1


def test_the_old_worker_url_serves_a_worker_that_removes_itself(client):
    response = client.get("/service-worker.js")
    body = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache" and "Service-Worker-Allowed" not in response
    assert "self.registration.unregister()" in body and "importScripts" not in body
    assert 'addEventListener("fetch"' not in body  # it serves nothing
