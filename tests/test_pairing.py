"""Pairing rules one by one (participants/pairing.py), and capacity under concurrency."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection

from participants import pairing
from participants.models import Language, Pairing, Resident
from tests.factories import OfficerFactory, ResidentFactory, sergeant_user, ward
from tests.outbox import send_due
from walkandtalk.outbox.models import Notification

pytestmark = pytest.mark.django_db


def paired_officer(resident: Resident):
    current = pairing.active_pairing(resident)
    return current.officer if current else None


def test_pairs_with_an_officer_who_covers_her_ward():
    OfficerFactory(wards=[ward("Brixton North")])
    local = OfficerFactory(wards=[ward("Peckham")])
    resident = ResidentFactory(ward=ward("Peckham"))

    made = pairing.pair_resident(resident=resident)
    # the message is an outbox row of the pairing's transaction; the dispatcher sends it
    assert Notification.objects.get(recipient=resident.user).kind == "paired"
    send_due()

    assert made.officer == local
    assert made.start_reason == "Paired automatically"
    assert "walking partner" in mail.outbox[-1].subject


def test_never_pairs_with_an_inactive_officer():
    OfficerFactory(is_active=False)
    resident = ResidentFactory()
    assert pairing.pair_resident(resident=resident) is None
    resident.refresh_from_db()
    assert resident.is_waiting


def test_prefers_an_officer_who_speaks_her_language_over_a_less_loaded_one():
    busy_somali_speaker = OfficerFactory(languages=[Language.SOMALI], capacity=4)
    OfficerFactory(capacity=4)  # empty, English only
    for _ in range(2):
        pairing.pair_resident(resident=ResidentFactory(language=Language.ENGLISH))
    # the two English speakers spread out: one each
    assert Pairing.objects.active().filter(officer=busy_somali_speaker).count() == 1

    resident = ResidentFactory(language=Language.SOMALI)
    pairing.pair_resident(resident=resident)
    assert paired_officer(resident) == busy_somali_speaker


def test_least_loaded_by_share_of_capacity_then_by_id():
    small = OfficerFactory(capacity=2)
    large = OfficerFactory(capacity=10)
    first = ResidentFactory()
    pairing.pair_resident(resident=first)
    # both empty: tie on share and count, broken by the lower id
    assert paired_officer(first) == min(small, large, key=lambda o: o.pk)

    second = ResidentFactory()
    pairing.pair_resident(resident=second)
    third = ResidentFactory()
    pairing.pair_resident(resident=third)
    loads = {o: Pairing.objects.active().filter(officer=o).count() for o in (small, large)}
    # 1/2 = 50 % is fuller than 2/10 = 20 %, so the large one took the later residents
    assert loads[small] == 1
    assert loads[large] == 2


def test_full_officers_send_her_to_the_waiting_list_and_she_is_told():
    officer = OfficerFactory(capacity=1)
    pairing.pair_resident(resident=ResidentFactory())
    resident = ResidentFactory()

    assert pairing.pair_resident(resident=resident) is None
    send_due()

    resident.refresh_from_db()
    assert resident.waiting_since is not None
    assert Pairing.objects.active().filter(officer=officer).count() == 1
    assert mail.outbox[-1].subject == "You're on the Walk and Talk waiting list"
    assert mail.outbox[-1].to == [resident.user.email]


def test_pairing_twice_changes_nothing():
    OfficerFactory()
    resident = ResidentFactory()
    first = pairing.pair_resident(resident=resident)
    assert pairing.pair_resident(resident=resident) == first
    assert resident.pairings.count() == 1


def test_waiting_list_moves_oldest_first_when_an_officer_gains_room():
    officer = OfficerFactory(capacity=0)
    older, newer = ResidentFactory(), ResidentFactory()
    pairing.pair_resident(resident=older)
    pairing.pair_resident(resident=newer)
    send_due()  # both are told they are waiting
    mail.outbox.clear()

    officer.capacity = 1
    officer.save()
    pairing.officer_changed(officer=officer)
    send_due()

    assert paired_officer(older) == officer
    assert paired_officer(newer) is None
    older.refresh_from_db()
    assert older.waiting_since is None
    assert "free for you" in mail.outbox[-1].body
    assert mail.outbox[-1].to == [older.user.email]


def test_waiting_list_moves_when_an_officer_gains_a_ward():
    officer = OfficerFactory(wards=[ward("Brixton North")])
    resident = ResidentFactory(ward=ward("Oval"))
    pairing.pair_resident(resident=resident)
    assert paired_officer(resident) is None

    officer.wards.add(ward("Oval"))
    pairing.officer_changed(officer=officer)

    assert paired_officer(resident) == officer


def test_sergeant_reassigns_with_a_reason_and_history_is_kept():
    sergeant = sergeant_user()
    first, second = OfficerFactory(), OfficerFactory()
    resident = ResidentFactory()
    pairing.pair_resident(resident=resident)
    old = pairing.active_pairing(resident)
    target = second if old.officer == first else first

    new = pairing.reassign_resident(resident=resident, officer=target, by=sergeant, reason="Shift change")
    send_due()

    old.refresh_from_db()
    assert old.ended_at is not None and old.ended_by == sergeant and old.end_reason == "Shift change"
    assert new.officer == target and new.started_by == sergeant and new.start_reason == "Shift change"
    assert list(resident.pairings.order_by("started_at", "pk")) == [old, new]
    assert mail.outbox[-1].subject == "A change to your Walk and Talk walking partner"
    assert target.display_name in mail.outbox[-1].body


@pytest.mark.parametrize("reason", ["", "   "])
def test_reassignment_needs_a_reason(reason):
    resident = ResidentFactory()
    with pytest.raises(pairing.PairingError, match="reason"):
        pairing.reassign_resident(
            resident=resident, officer=OfficerFactory(), by=sergeant_user(), reason=reason
        )


def test_reassignment_respects_capacity():
    full = OfficerFactory(capacity=1)
    pairing.pair_resident(resident=ResidentFactory())
    resident = ResidentFactory()
    with pytest.raises(pairing.PairingError, match="has no room"):
        pairing.reassign_resident(resident=resident, officer=full, by=sergeant_user(), reason="Asked for her")
    assert resident.pairings.count() == 0


def test_ending_a_pairing_never_pairs_her_with_the_same_officer_again():
    sergeant = sergeant_user()
    officer = OfficerFactory(capacity=5)
    resident = ResidentFactory()
    current = pairing.pair_resident(resident=resident)

    assert pairing.end_pairing(pairing=current, by=sergeant, reason="Resident asked") is None
    resident.refresh_from_db()
    assert resident.is_waiting
    assert paired_officer(resident) is None

    pairing.officer_changed(officer=officer)  # she has room, but not for this resident
    assert paired_officer(resident) is None
    other = OfficerFactory()
    pairing.officer_changed(officer=other)
    assert paired_officer(resident) == other


def test_the_freed_place_goes_to_whoever_waited_longest():
    sergeant = sergeant_user()
    officer = OfficerFactory(capacity=1)
    leaving = ResidentFactory()
    current = pairing.pair_resident(resident=leaving)
    waiting = ResidentFactory()
    pairing.pair_resident(resident=waiting)

    pairing.end_pairing(pairing=current, by=sergeant, reason="Moving away")

    assert paired_officer(waiting) == officer


def test_an_officer_leaving_the_scheme_hands_her_residents_on():
    leaving = OfficerFactory()
    resident = ResidentFactory()
    pairing.pair_resident(resident=resident)
    assert paired_officer(resident) == leaving
    colleague = OfficerFactory()

    leaving.is_active = False
    leaving.save()
    pairing.officer_changed(officer=leaving)

    assert paired_officer(resident) == colleague


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_residents_signing_up_at_once_never_overfill_an_officer():
    officer = OfficerFactory(capacity=1)
    residents = [ResidentFactory() for _ in range(6)]
    barrier = threading.Barrier(len(residents))
    errors = []

    def sign_up(resident):
        try:
            barrier.wait()
            pairing.pair_resident(resident=resident)
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(r,)) for r in residents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Pairing.objects.active().filter(officer=officer).count() == 1
    assert Resident.objects.filter(waiting_since__isnull=False).count() == 5
