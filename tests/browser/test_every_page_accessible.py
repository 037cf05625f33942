"""Every page, every role, through axe-core (WCAG 2.2 AA): an accessibility sweep.

Each role signs in once through the real sign-in form (staff type their second-factor code), then opens
every page it may GET — the project's own pages (home, privacy, participants:*, patrols:*), its account
pages, and for the sergeant the admin dashboard, the monthly report and the list and change page of each
of the project's own models. Every page must answer 200 (not a redirect elsewhere) and pass axe.
Downloads (.ics, .json, .csv) are only checked to answer 200. Nothing is submitted but the sign-in, and
only GET pages are opened: state changes are POST only (tests/test_access_matrix.py proves it).

The ids in the URLs come from one scene (as in the access matrix): resident A's upcoming and completed
walks with officer A, a concern and a disclosure on the completed walk, her rating of it, officer A's
availability, someone on the waiting list and a message in the outbox, so every admin list has a record.

One test per role keeps each under a minute. Residents and officers use the site on their phones; the
sergeant's dashboard is a desktop page. Signed-out pages are checked on both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page

from participants.models import AuditEvent, Resident, User
from patrols import apikeys, referrals
from patrols import concerns as concern_service
from patrols.models import (
    AvailabilityException,
    ConcernCategory,
    SafetyRating,
    Walk,
)
from tests.browser.axe import violations
from tests.browser.steps import sign_in
from tests.factories import (
    PASSWORD,
    AvailabilityExceptionFactory,
    AvailabilityWindowFactory,
    OfficerFactory,
    PairingFactory,
    PartnerFactory,
    ResidentFactory,
    RoutingRuleFactory,
    WalkFactory,
    sergeant_user,
)
from walkandtalk.outbox.models import Notification, PushSubscription

# No network here: refuse map tiles at once rather than wait for them to fail.
TILES = re.compile(r"^https?://[^/]*tile\.openstreetmap\.org/")
OWN_APPS = ("participants", "patrols")


@dataclass
class Scene:
    resident: User
    officer: User
    sergeant: User
    walk: Walk  # resident A's upcoming walk with officer A
    done: Walk  # her completed walk, with officer A's concern and disclosure and her rating
    concern: object


def build_scene() -> Scene:
    officer = OfficerFactory(display_name="PC Alice Adeyemi", collar_number="1111AS")
    resident = ResidentFactory(
        preferred_name="Amira", access_needs="A pushchair", usual_walk_times="Weekday evenings"
    )
    PairingFactory(resident=resident, officer=officer)
    sergeant = sergeant_user(email="sergeant@example.org")
    now = timezone.now()
    walk = WalkFactory(
        resident=resident, officer=officer, starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=1), known_worries="The underpass",
    )  # fmt: skip
    done = WalkFactory(
        resident=resident, officer=officer, starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=2) + timedelta(hours=1), status=Walk.Status.COMPLETED,
        meeting_point="Peckham Library steps", route="Rye Lane",
    )  # fmt: skip
    concern, _ = concern_service.log_concern(
        walk=done, by=officer.user, category=ConcernCategory.objects.get(name="Badly lit"),
        severity="high", when_it_matters="after_dark", latitude=51.4701, longitude=-0.0690,
        location_text="A lamp post", resident_said="The lamp is out",
        action="Report to the council", now=done.starts_at + timedelta(minutes=20),
    )  # fmt: skip
    concern_service.record_disclosure(
        walk=done, by=officer.user, what_was_said="A disclosure", referral_made="MASH",
        referred_to="MASH", reference="REF-A",
    )  # fmt: skip
    SafetyRating.objects.create(walk=done, rating=4, comment="Felt safer")
    AvailabilityWindowFactory(officer=officer)
    AvailabilityExceptionFactory(
        officer=officer, kind=AvailabilityException.Kind.UNAVAILABLE,
        starts_at=now + timedelta(days=10), ends_at=now + timedelta(days=11), note="Leave",
    )  # fmt: skip
    ResidentFactory(preferred_name="Waiting Wren", waiting_since=now)
    # a partner with a rule, the concern referred to it and an Open311 key: their admin pages too
    partner = PartnerFactory(name="Southwark Council", contact_emails=["referrals@southwark.example.org"])
    RoutingRuleFactory(
        category=concern.category, borough=concern.ward.borough, partner=partner, team="lighting"
    )
    referrals.refer(concern=concern, partner=partner, by=officer.user)
    apikeys.issue_key(partner=partner, name="Southwark open data")
    Notification.objects.create(
        recipient=resident.user,
        kind="reminder",
        about_type="walk",
        about_id=walk.pk,
        data={"walk": walk.pk, "version": walk.version},
        idempotency_key="sweep-1",
    )
    # A phone of hers with notifications on, so her notifications page lists a device.
    PushSubscription.objects.create(
        user=officer.user, endpoint="https://fcm.googleapis.com/fcm/send/sweep", p256dh="B" * 87,
        auth="A" * 22, session_key="another-session", label="Chrome on Android",
    )  # fmt: skip
    return Scene(
        resident=resident.user, officer=officer.user, sergeant=sergeant, walk=walk, done=done, concern=concern
    )


def account_pages() -> list[str]:
    """Her own account: email addresses, password, two-step sign-in, signed-in sessions."""
    return [
        reverse(name)
        for name in ("account_email", "account_change_password", "mfa_index", "usersessions_list")
    ]


def admin_pages(sergeant: User) -> list[str]:
    """The changelist and the change page (of the first record) of each of our own models."""
    request = RequestFactory().get("/admin/")
    request.user = sergeant
    paths, empty = [], []
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        meta = model._meta
        if meta.app_label not in OWN_APPS:
            continue
        paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is None:
            empty.append(meta.label)
            continue
        paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))
    assert not empty, f"give the scene a record of these models, so their change pages are checked: {empty}"
    return paths


def sweep(page: Page, paths: list[str], downloads: Sequence[str] = ()) -> None:
    """Open each page and run axe on it (waiving nothing); check each download answers 200. Report every
    problem at once."""
    problems: list[str] = []
    for path in downloads:
        response = page.request.get(path, max_redirects=0)  # a sign-in page is not the file
        if response.status != 200:
            problems.append(f"{path}: download answered {response.status}")
    for path in paths:
        response = page.goto(path)
        if response is None or response.status != 200:
            problems.append(f"{path}: answered {response.status if response else 'nothing'}")
            continue
        if not page.url.endswith(path):
            problems.append(f"{path}: ended up at {page.url}")
            continue
        for violation in violations(page):
            targets = "; ".join(node["target"] for node in violation["nodes"])
            problems.append(
                f"{path}: {violation['id']} ({violation['impact']}) {violation['help']} — {targets}"
            )
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def sign_in_as(page: Page, user: User) -> None:
    page.route(TILES, lambda route: route.abort())
    sign_in(page, user.email, PASSWORD)  # the real form, and the second-factor code for staff


@pytest.mark.viewports("desktop", "phone")
def test_every_public_page_is_accessible(page: Page, viewport):
    page.route(TILES, lambda route: route.abort())
    # patrols:app_offline: the officer app's own "no signal" page (issue 17), also checked offline in
    # tests/browser/test_officer_app.py; its manifest and service worker are downloads.
    pages = [reverse(name) for name in ("home", "privacy", "accessibility", "patrols:app_offline")]
    pages += [
        reverse(name)
        for name in (
            "account_login",
            "account_signup",
            "account_reset_password",
            "account_reset_password_done",
        )
    ]
    workers = ("patrols:service_worker", "patrols:retired_service_worker")
    downloads = [reverse(name) for name in ("healthz", "patrols:app_manifest", *workers)]
    sweep(page, pages, downloads=downloads)


def resident_pages(scene: Scene) -> tuple[list[str], list[str]]:
    """The pages resident A may open, and her downloads."""
    walk, done = scene.walk.pk, scene.done.pk
    pages = [
        reverse("privacy"),
        reverse("accessibility"),
        reverse("participants:profile"),
        reverse("participants:my_data"),
        reverse("participants:erase"),  # the confirmation page: erasing is a POST
        reverse("patrols:my_walks"),
        reverse("patrols:book"),
        reverse("patrols:walk_detail", args=[walk]),
        reverse("patrols:walk_detail", args=[done]),
        reverse("patrols:walk_move", args=[walk]),
        reverse("patrols:walk_cancel", args=[walk]),
        reverse("patrols:walk_feedback", args=[done]),
        reverse("patrols:concern_fixed", args=[scene.concern.pk]),
        *account_pages(),
    ]
    downloads = [reverse("participants:my_data_json"), reverse("patrols:walk_invite", args=[walk])]
    return pages, downloads


def officer_pages(scene: Scene) -> tuple[list[str], list[str]]:
    """The pages officer A may open, and her downloads."""
    walk, done = scene.walk.pk, scene.done.pk
    pages = [
        reverse("privacy"),
        reverse("accessibility"),
        reverse("patrols:today"),
        reverse("patrols:schedule"),
        reverse("participants:my_residents"),
        reverse("patrols:officer_walk", args=[walk]),  # hers, in the app (/app/)
        reverse("patrols:officer_walk", args=[done]),
        reverse("patrols:walk_cancel", args=[walk]),
        reverse("patrols:walk_finish", args=[walk]),  # the question (this walk is not under way yet)
        reverse("patrols:concern_new", args=[done]),
        reverse("patrols:disclosure_new", args=[done]),
        reverse("patrols:concern_detail", args=[scene.concern.pk]),
        reverse("patrols:my_concerns"),
        reverse("patrols:area_concerns"),
        reverse("patrols:availability"),
        reverse("participants:push"),
        *account_pages(),
    ]
    return pages, [reverse("patrols:walk_invite", args=[walk])]


def sergeant_pages(scene: Scene) -> tuple[list[str], list[str]]:
    """The pages the sergeant may open (the admin's among them), and her downloads."""
    walk, done = scene.walk.pk, scene.done.pk
    month = timezone.localdate(scene.done.starts_at).strftime("%Y-%m")
    borough = scene.done.resident.ward.borough_id
    pages = [
        reverse("privacy"),
        reverse("accessibility"),
        reverse("admin:index"),
        f"{reverse('admin:monthly_report')}?borough={borough}&month={month}",
        reverse("patrols:walk_detail", args=[walk]),
        reverse("patrols:walk_cancel", args=[walk]),
        reverse("patrols:concern_new", args=[done]),
        reverse("patrols:disclosure_new", args=[done]),
        reverse("patrols:concern_detail", args=[scene.concern.pk]),
        *account_pages(),
        *admin_pages(scene.sergeant),
    ]
    downloads = [reverse("admin:export_concerns"), reverse("patrols:walk_invite", args=[walk])]
    return pages, downloads


@pytest.mark.viewports("phone")
def test_every_resident_page_is_accessible(page: Page, viewport):
    scene = build_scene()
    sign_in_as(page, scene.resident)
    sweep(page, *resident_pages(scene))


@pytest.mark.viewports("phone")
def test_every_officer_page_is_accessible(page: Page, viewport):
    scene = build_scene()
    sign_in_as(page, scene.officer)
    sweep(page, *officer_pages(scene))


@pytest.mark.viewports("desktop")
def test_every_sergeant_page_is_accessible(page: Page, viewport):
    scene = build_scene()
    sign_in_as(page, scene.sergeant)
    sweep(page, *sergeant_pages(scene))
    # the report itself was checked, not only its form (the report is logged when it is shown)
    assert AuditEvent.objects.filter(summary__contains="monthly report:").exists()


@pytest.mark.viewports("phone")
def test_every_resident_and_public_page_in_arabic_is_accessible(page: Page, viewport):
    """Issue 18: the same pages right to left (her profile says Arabic), and the public pages to a
    visitor who picked Arabic."""
    scene = build_scene()
    sign_in_as(page, scene.resident)  # the sign-in page is English: she has not picked a language yet
    Resident.objects.filter(user=scene.resident).update(language="ar")
    pages, downloads = resident_pages(scene)
    sweep(page, pages, downloads)
    page.goto(reverse("patrols:my_walks"))
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]

    page.context.clear_cookies()
    origin = re.match(r"https?://[^/]+", page.url).group(0)
    page.context.add_cookies([{"name": "wt_language", "value": "ar", "url": origin + "/"}])
    public = [reverse(name) for name in ("home", "privacy", "accessibility", "patrols:you_said_we_did")]
    public += [reverse(name) for name in ("account_login", "account_signup", "account_reset_password")]
    sweep(page, public)
    assert page.evaluate("document.documentElement.dir") == "rtl"
