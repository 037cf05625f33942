"""`manage.py seed_demo`: invented demo people, idempotent."""

import pytest
from django.core.management import CommandError, call_command

from participants.models import Officer, Pairing, Resident, User
from participants.roles import SERGEANTS
from patrols.models import AvailabilityWindow, Walk

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
