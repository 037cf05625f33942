"""`manage.py seed_demo`: invented demo people, partners and referrals, idempotent."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from participants.models import Officer, Pairing, Resident, User
from participants.roles import SERGEANTS
from patrols import stats
from patrols.models import AvailabilityWindow, Concern, Partner, Referral, RoutingRule, Walk

pytestmark = pytest.mark.django_db


def counts():
    return (
        User.objects.count(),
        Officer.objects.count(),
        Resident.objects.count(),
        Pairing.objects.count(),
        User.objects.filter(groups__name=SERGEANTS).count(),
        Walk.objects.count(),
        AvailabilityWindow.objects.count(),
        Partner.objects.count(),
        RoutingRule.objects.count(),
        Referral.objects.count(),
        Concern.objects.count(),
    )


def test_seeds_the_scheme_and_running_it_twice_changes_nothing(capsys):
    call_command("seed_demo", force=True)
    first = counts()
    call_command("seed_demo", force=True)

    assert counts() == first
    assert first[1:3] == (25, 40)
    assert first[4] == 1
    # every resident is either paired or waiting, and no officer is over capacity
    for resident in Resident.objects.all():
        assert resident.pairings.active().exists() or resident.is_waiting
    for officer in Officer.objects.all():
        assert officer.pairings.active().count() <= officer.capacity
        assert officer.wards.exists()
    assert len(set(Officer.objects.values_list("collar_number", flat=True))) == 25
    # walks: some in the past, some booked ahead through the booking rules, none double-booked
    assert Walk.objects.filter(status=Walk.Status.BOOKED).count() >= 10
    assert Walk.objects.filter(status=Walk.Status.COMPLETED).exists()
    assert all(officer.availability_windows.exists() for officer in Officer.objects.all())
    out = capsys.readouterr().out
    assert "sergeant@demo.walkandtalk.example" in out
    assert "walk-and-talk-demo" in out


def test_refuses_to_run_with_debug_off():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert User.objects.count() == 0


def test_seeds_partners_rules_and_referrals_in_every_state(capsys):
    call_command("seed_demo", force=True)
    partners = {p.name: p for p in Partner.objects.prefetch_related("boroughs")}
    assert set(partners) == {
        "Southwark Council",
        "Lambeth Council",
        "Transport for London",
        "Thameside Homes",
    }
    for partner in partners.values():
        assert partner.is_active and partner.contact_emails
        assert all(email.endswith(".example.org") for email in partner.contact_emails)
    assert [b.name for b in partners["Lambeth Council"].boroughs.all()] == ["Lambeth"]
    assert not partners["Transport for London"].boroughs.exists()  # all of London
    rules = {
        (r.category.name if r.category else None, r.borough.name if r.borough else None): (
            r.partner.name,
            r.team,
        )
        for r in RoutingRule.objects.select_related("category", "borough", "partner")
    }
    assert rules[("Badly lit", "Lambeth")] == ("Lambeth Council", "street lighting")
    assert rules[("Unsafe transport stop", None)][0] == "Transport for London"
    assert rules[(None, "Southwark")][0] == "Southwark Council"
    assert rules[(None, "Lambeth")][0] == "Lambeth Council"
    # Referrals made through the service, one of each kind for the dashboard to show.
    states = set(Referral.objects.values_list("state", flat=True))
    assert {"fixed", "acknowledged", "sent", "not_ours", "partly_fixed"} <= states
    assert Referral.objects.overdue(timezone.localdate()).exists()
    assert Referral.objects.unacknowledged_after(timezone.now()).exists()
    for referral in Referral.objects.select_related("concern", "partner"):
        assert referral.concern.updates.filter(referral=referral).exists()  # each a dated update
    figures = stats.partner_figures(stats.Scope.default(), now=timezone.now())
    quarter = stats.Scope(first_day=stats.Scope.default().first_day - timedelta(days=62),
                          last_day=stats.Scope.default().last_day)  # fmt: skip
    assert sum(row["referred"] for row in stats.partner_figures(quarter)) == Referral.objects.count()
    assert figures  # the default 28 days show something too
    assert "new referrals" in capsys.readouterr().out
