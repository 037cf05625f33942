"""Never double booked, under real concurrency: threads, real PostgreSQL, through the booking view."""

from __future__ import annotations

import random
import threading
import time as clock
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

from patrols import booking
from patrols.models import LONDON, Walk
from tests.factories import AvailabilityWindowFactory, OfficerFactory, PairingFactory, ResidentFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=LONDON)
TUESDAY = date(2026, 12, 8)
TAKEN = "That time has just been taken — please choose another."


def at(hhmm: str) -> datetime:
    return datetime.combine(TUESDAY, time.fromisoformat(hhmm), tzinfo=LONDON)


def run_together(workers: list) -> list:
    """Start every worker at the same moment; return what each returned (or raised)."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(index, work):
        try:
            barrier.wait()
            results[index] = work()
        except Exception as error:  # noqa: BLE001 — reported by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def officer():
    officer = OfficerFactory(capacity=60)
    AvailabilityWindowFactory(officer=officer, weekday=1, start_time="17:00", end_time="22:00")
    return officer


def test_fifty_residents_booking_overlapping_times_at_once_make_exactly_one_walk(officer):
    residents = [ResidentFactory() for _ in range(50)]
    for resident in residents:
        PairingFactory(resident=resident, officer=officer)
    # Every time chosen overlaps every other, walk plus buffer: 18:30, 19:00 and 19:30.
    choices = [at("18:30"), at("19:00"), at("19:30")]

    def booker(resident, starts_at):
        def work():
            client = Client()
            client.force_login(resident.user)
            data = {
                "starts_at": starts_at.astimezone(UTC).isoformat(),
                "meeting_point": "Brixton station",
                "route": "Coldharbour Lane",
            }
            response = client.post(reverse("patrols:book"), data)
            return response.status_code, response.content.decode()

        return work

    with time_machine.travel(NOW, tick=True):
        results = run_together([booker(r, choices[i % 3]) for i, r in enumerate(residents)])

    assert not [r for r in results if isinstance(r, Exception)]
    statuses = [status for status, _ in results]
    assert 500 not in statuses
    assert statuses.count(302) == 1  # the one that got it, redirected to her confirmation
    refused = [body for status, body in results if status == 200]
    assert len(refused) == 49
    assert all(TAKEN in body for body in refused)
    assert Walk.objects.count() == 1


def test_booking_and_cancelling_at_once_for_a_while_never_deadlocks(officer):
    residents = [ResidentFactory() for _ in range(8)]
    for resident in residents:
        PairingFactory(resident=resident, officer=officer)
    times = [at(f"{h}:{m}") for h in (17, 18, 19, 20) for m in ("00", "30")]
    deadline = clock.monotonic() + 5

    def churn(resident, seed):
        rng = random.Random(seed)

        def work():
            outcomes = {"booked": 0, "refused": 0, "cancelled": 0}
            while clock.monotonic() < deadline:
                try:
                    walk = booking.book_walk(
                        resident=resident,
                        starts_at=rng.choice(times),
                        meeting_point="Oval station",
                        route="Kennington Park Road",
                        now=NOW,
                    )
                    outcomes["booked"] += 1
                except booking.BookingError:
                    outcomes["refused"] += 1
                    continue
                booking.cancel_walk(walk=walk, by=resident.user, now=NOW)
                outcomes["cancelled"] += 1
            return outcomes

        return work

    results = run_together([churn(r, seed) for seed, r in enumerate(residents)])

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []  # a deadlock would surface here as an OperationalError
    assert sum(r["booked"] for r in results) > 8
    assert sum(r["booked"] for r in results) == sum(r["cancelled"] for r in results)
    # and at no point did two active walks overlap: the constraint would have refused the insert
    assert not Walk.objects.active().exists()


def test_the_constraint_holds_even_when_the_service_is_bypassed(officer):
    """Two raw inserts racing for one slot: the database itself lets exactly one through."""
    residents = [ResidentFactory() for _ in range(10)]

    def insert(resident):
        def work():
            Walk.objects.create(
                resident=resident,
                officer=officer,
                starts_at=at("19:00"),
                ends_at=at("19:00") + timedelta(hours=1),
                meeting_point="x",
                route="y",
            )
            return "inserted"

        return work

    results = run_together([insert(r) for r in residents])
    assert results.count("inserted") == 1
    assert Walk.objects.count() == 1
