"""The error summary at the top of a form links every error to a real field on the page: a radio group
or a list of checkboxes links to its first option (issue 14 point 11), never to "#"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from participants.roles import RESIDENTS
from patrols.models import Walk
from tests.factories import UserFactory, WalkFactory

pytestmark = pytest.mark.django_db


def summary_links(html: str) -> list[str]:
    match = re.search(r'<div class="alert alert-danger error-summary".*?</div>', html, re.S)
    assert match, "no error summary on the page"
    return re.findall(r'<a href="([^"]*)"', match.group(0))


def assert_every_link_goes_to_a_field(html: str, *expected: str) -> None:
    links = summary_links(html)
    for target in expected:
        assert f"#{target}" in links, f"the summary should link to #{target}: {links}"
    for link in links:
        assert link.startswith("#") and len(link) > 1, f"a summary link goes nowhere: {link!r}"
        assert f'id="{link[1:]}"' in html, f"no element on the page has the id of {link!r}"


def test_the_profile_summary_links_radio_groups_and_the_consent_box_to_their_inputs(client):
    client.force_login(UserFactory(group=RESIDENTS))
    response = client.post(reverse("participants:profile_create"), {"preferred_name": "Nia"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="#"' not in html
    # "How safe do you feel…" and "How should we contact you?" are radio groups; consent is a checkbox
    assert_every_link_goes_to_a_field(
        html, "id_baseline_safety_0", "id_contact_channel_0", "id_privacy_consent"
    )


def test_the_feedback_summary_links_the_rating_to_its_first_radio(client, resident_a, officer_a):
    start = timezone.now() - timedelta(hours=3)
    walk = WalkFactory(resident=resident_a, officer=officer_a, starts_at=start, status="completed")
    client.force_login(resident_a.user)
    response = client.post(reverse("patrols:walk_feedback", args=[walk.pk]), {})
    assert_every_link_goes_to_a_field(response.content.decode(), "id_rating_0")


def test_the_availability_change_summary_links_its_kind_to_the_first_radio(client, officer_a):
    client.force_login(officer_a.user)
    response = client.post(reverse("patrols:availability"), {"add_exception": "1"})
    assert_every_link_goes_to_a_field(response.content.decode(), "id_kind_0")


def test_the_concern_summary_links_severity_to_its_first_radio(client, resident_a, officer_a):
    start = timezone.now() - timedelta(minutes=30)
    walk = WalkFactory(
        resident=resident_a, officer=officer_a, starts_at=start, ends_at=start + timedelta(hours=1),
        status=Walk.Status.IN_PROGRESS,
    )  # fmt: skip
    client.force_login(officer_a.user)
    response = client.post(reverse("patrols:concern_new", args=[walk.pk]), {"resident_said": "x"})
    assert_every_link_goes_to_a_field(response.content.decode(), "id_severity_0")
