"""After a walk: how safe she feels now (SafetyRating), and "is it fixed?" for a resolved concern."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from patrols.models import Concern, ConcernCategory, SafetyRating, Walk
from tests.factories import WalkFactory, ward
from tests.outbox import send_due
from walkandtalk.outbox.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed_walk(resident_a, officer_a):
    return WalkFactory(
        resident=resident_a,
        officer=officer_a,
        starts_at=timezone.now() - timedelta(hours=3),
        status="completed",
    )


@pytest.fixture
def resolved_concern(completed_walk):
    return Concern.objects.create(
        walk=completed_walk,
        officer=completed_walk.officer,
        ward=ward(),
        category=ConcernCategory.objects.first(),
        location_text="The alley by the car park",
        status=Concern.Status.RESOLVED,
        resolved_at=timezone.now(),
    )


def test_she_rates_how_safe_she_feels_after_her_walk(client, resident_a, completed_walk):
    client.force_login(resident_a.user)
    url = reverse("patrols:walk_feedback", args=[completed_walk.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'type="radio"' in page.content.decode()

    response = client.post(url, {"rating": "4", "comment": "Better with the new lights"}, follow=True)
    assert "Thank you for telling us" in response.content.decode()
    rating = SafetyRating.objects.get(walk=completed_walk)
    assert (rating.rating, rating.comment, rating.resident) == (4, "Better with the new lights", resident_a)

    response = client.post(url, {"rating": "5"}, follow=True)  # a second answer updates the first
    assert "already told us" in response.content.decode()
    assert SafetyRating.objects.get(walk=completed_walk).rating == 5
    assert SafetyRating.objects.count() == 1


def test_the_rating_must_be_1_to_5(client, resident_a, completed_walk):
    client.force_login(resident_a.user)
    response = client.post(reverse("patrols:walk_feedback", args=[completed_walk.pk]), {"rating": "9"})
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    assert not SafetyRating.objects.exists()


def test_feedback_is_only_for_her_own_completed_walks(
    client, resident_a, resident_b, completed_walk, officer_a
):
    client.force_login(resident_b.user)
    assert client.get(reverse("patrols:walk_feedback", args=[completed_walk.pk])).status_code == 404
    client.force_login(resident_a.user)
    booked = WalkFactory(resident=resident_a, officer=officer_a, status=Walk.Status.BOOKED)
    assert client.get(reverse("patrols:walk_feedback", args=[booked.pk])).status_code == 404
    client.force_login(officer_a.user)
    assert client.get(reverse("patrols:walk_feedback", args=[completed_walk.pk])).status_code == 403
    client.force_login(resident_a.user)
    assert client.put(reverse("patrols:walk_feedback", args=[completed_walk.pk])).status_code == 405


def test_she_says_it_is_not_fixed_and_it_opens_again_for_the_officer(client, resident_a, resolved_concern):
    client.force_login(resident_a.user)
    url = reverse("patrols:concern_fixed", args=[resolved_concern.pk])
    page = client.get(url)
    assert page.status_code == 200 and "The alley by the car park" in page.content.decode()

    response = client.post(url, {"note": "Still dark at night"}, follow=True)
    assert "look at this place again" in response.content.decode()
    resolved_concern.refresh_from_db()
    assert resolved_concern.status == Concern.Status.OPEN and resolved_concern.resolved_at is None
    update = resolved_concern.updates.get()
    assert (update.old_status, update.new_status, update.by) == ("resolved", "open", resident_a.user)
    assert "not fixed" in update.note and "Still dark at night" in update.note

    response = client.post(url, {}, follow=True)  # again: nothing changes, she is thanked
    assert "already being looked at again" in response.content.decode()
    assert resolved_concern.updates.count() == 1


def test_the_officer_is_told_when_she_says_it_is_not_fixed(client, resident_a, officer_a, resolved_concern):
    client.force_login(resident_a.user)
    client.post(reverse("patrols:concern_fixed", args=[resolved_concern.pk]), {"note": "Still dark"})
    told = Notification.objects.get(kind="concern_reopened")
    assert told.recipient == officer_a.user and told.data["concern"] == resolved_concern.pk
    mail.outbox.clear()
    send_due()
    message = mail.outbox[-1]
    assert message.to == [officer_a.user.email]
    assert message.subject.startswith("Not fixed yet: ")
    assert reverse("patrols:concern_detail", args=[resolved_concern.pk]) in message.body


def test_is_it_fixed_is_only_for_concerns_from_her_own_walks(client, resident_b, officer_a, resolved_concern):
    url = reverse("patrols:concern_fixed", args=[resolved_concern.pk])
    client.force_login(resident_b.user)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(officer_a.user)
    assert client.get(url).status_code == 403
    resolved_concern.refresh_from_db()
    assert resolved_concern.status == Concern.Status.RESOLVED
