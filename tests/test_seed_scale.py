"""seed_scale (issue 10) at its tiny size: the counts, the rules the database and the app rely on, and
re-running. The London and pilot sizes are built by `make bench`, not by the test suite."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F
from django.utils import timezone

from participants.models import Borough, Officer, Pairing, Resident, User, Ward
from participants.roles import OFFICER, RESIDENT, SERGEANT, role_of
from patrols import stats
from patrols.management.commands.seed_scale import BOROUGHS, DOMAIN, SCALES
from patrols.models import Concern, Referral, SafetyRating, Walk
from patrols.slots import bookable_slots
from walkandtalk.outbox.models import Notification

pytestmark = pytest.mark.django_db

TINY = SCALES["tiny"]


@pytest.fixture
def seeded():
    call_command("seed_scale", scale="tiny")


def test_counts(seeded):
    assert Borough.objects.count() == TINY.boroughs
    invented = Borough.objects.exclude(name__in=["Southwark", "Lambeth"]).get()
    assert invented.wards.count() == TINY.wards_per_borough
    assert User.objects.filter(email__endswith=f"@{DOMAIN}").count() == 1 + TINY.officers + TINY.residents
    assert Officer.objects.count() == TINY.officers
    assert Resident.objects.count() == TINY.residents
    assert Walk.objects.count() == TINY.walks
    assert Concern.objects.count() == TINY.concerns
    assert SafetyRating.objects.count() == TINY.ratings
    assert Notification.objects.count() > 3 * TINY.walks


def test_roles_and_second_factor(seeded):
    sergeant = User.objects.get(email=f"sergeant@{DOMAIN}")
    assert role_of(sergeant) == SERGEANT and sergeant.is_staff
    for officer in Officer.objects.select_related("user"):
        assert role_of(officer.user) == OFFICER
        assert officer.wards.exists() and officer.availability_windows.count() == 3
    staff = [sergeant, *(o.user for o in Officer.objects.select_related("user"))]
    assert all(is_mfa_enabled(user) for user in staff)
    assert Authenticator.objects.filter(type="totp").count() == len(staff)
    resident = Resident.objects.select_related("user").first()
    assert role_of(resident.user) == RESIDENT
    assert not is_mfa_enabled(resident.user)


def test_walks_keep_the_rules(seeded):
    now = timezone.now()
    # Paired with an officer covering her ward; the waiting list has no pairing.
    for pairing in Pairing.objects.select_related("resident", "officer"):
        assert pairing.officer.wards.filter(pk=pairing.resident.ward_id).exists()
    assert Resident.objects.filter(waiting_since__isnull=False, pairings__isnull=False).count() == 0
    # Past walks happened or not; booked ones are ahead, within four weeks; never overlapping.
    assert set(Walk.objects.filter(ends_at__lte=now).values_list("status", flat=True)) == {
        "completed",
        "cancelled",
        "no_show",
    }
    booked = Walk.objects.filter(status="booked")
    assert booked.exists()
    assert not booked.filter(starts_at__lte=now).exists()
    assert not booked.filter(starts_at__gt=now + timedelta(days=29)).exists()
    for officer in Officer.objects.all():
        walks = list(Walk.objects.active().filter(officer=officer).order_by("starts_at"))
        assert all(a.ends_at <= b.starts_at for a, b in pairwise(walks))
    assert not Walk.objects.exclude(resident__pairings__officer=F("officer")).exists()
    # Residents can still book: free slots remain in the booking period.
    assert bookable_slots(officer=Officer.objects.first())


def test_concerns_ratings_and_messages(seeded):
    assert not Concern.objects.exclude(walk__status="completed").exists()
    assert not Concern.objects.exclude(ward=F("walk__resident__ward")).exists()
    assert not Concern.objects.exclude(officer=F("walk__officer")).exists()
    for concern in Concern.objects.select_related("ward__borough")[:200]:
        lat, lng = BOROUGHS[concern.ward.borough.name]
        assert abs(float(concern.latitude) - lat) <= 0.025 and abs(float(concern.longitude) - lng) <= 0.035
    assert not Concern.objects.filter(status="resolved", resolved_at__isnull=True).exists()
    # Partners are organisations (each borough's council and the others), a referral per referred or
    # resolved concern, in step with it.
    referred = Concern.objects.filter(status__in=["referred", "resolved"])
    assert not referred.filter(partner__isnull=True).exists()
    assert not Concern.objects.filter(status__in=["open", "closed"], partner__isnull=False).exists()
    assert Referral.objects.count() == referred.count() > 0
    assert not Referral.objects.exclude(partner=F("concern__partner")).exists()
    assert not Referral.objects.filter(state="fixed").exclude(concern__status="resolved").exists()
    assert not Referral.objects.filter(state="fixed", fixed_at__isnull=True).exists()
    councils = Concern.objects.filter(partner__kind="council").exclude(partner__boroughs=F("ward__borough"))
    assert not councils.exists()
    assert Referral.objects.overdue(timezone.localdate()).exists()
    assert Referral.objects.unacknowledged_after(timezone.now()).exists()
    assert stats.partner_figures(stats.Scope.default())
    assert not SafetyRating.objects.exclude(walk__status="completed").exists()
    assert not SafetyRating.objects.exclude(resident=F("walk__resident")).exists()
    assert (
        Walk.objects.filter(status="completed", concerns__isnull=True, nothing_to_log_at__isnull=True).count()
        == 0
    )
    per_walk = (
        Notification.objects.filter(kind="booking_confirmation").values("about_id").annotate(n=Count("pk"))
    )
    assert {row["n"] for row in per_walk} == {2}
    assert Notification.objects.filter(status="pending", due_at__lte=timezone.now()).count() == 0


def test_a_second_run_reuses_and_fresh_rebuilds(seeded, capsys):
    first_walk = Walk.objects.order_by("pk").values_list("pk", "starts_at").first()
    call_command("seed_scale", scale="tiny")
    assert "Reusing the tiny data set" in capsys.readouterr().out
    assert Walk.objects.order_by("pk").values_list("pk", "starts_at").first() == first_walk
    call_command("seed_scale", scale="tiny", fresh=True)
    assert Walk.objects.count() == TINY.walks
    assert User.objects.filter(email__endswith=f"@{DOMAIN}").count() == 1 + TINY.officers + TINY.residents
    assert Borough.objects.count() == TINY.boroughs
    assert Ward.objects.filter(borough__name="Southwark").count() == 23  # the data migration's wards


def test_refuses_a_database_that_is_not_for_benchmarks(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "NAME", "walkandtalk")
    with pytest.raises(CommandError, match="Refusing to seed"):
        call_command("seed_scale", scale="tiny")
