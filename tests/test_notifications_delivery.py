"""Exactly once (issue 7, point 4), with real Celery workers, the real broker (Redis when REDIS_URL is
set, else kombu's filesystem transport) and PostgreSQL. The outbox row is the truth, not the broker:

(a) a worker killed with SIGKILL in the middle of a send → after a restart the message goes once;
(b) two dispatchers at once → each message goes once;
(c) the broker down while a walk is booked → nothing is lost, the messages go when it is back;
(d) a cancelled walk's pending reminders are never sent.

Worker subprocesses write emails to files (tests/backends.py); each message carries its idempotency
key in an X-Walkandtalk-Key header, so the files can be counted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from participants import notices
from patrols import booking, notifications
from patrols.models import LONDON, Walk
from tests.factories import (
    AvailabilityWindowFactory,
    OfficerFactory,
    PairingFactory,
    ResidentFactory,
    WalkFactory,
)
from tests.helpers import database_url, sent_keys, wait_for
from walkandtalk.celery import app as celery_app
from walkandtalk.outbox import dispatch
from walkandtalk.outbox.models import Notification
from walkandtalk.outbox.tasks import dispatch_notifications

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture
def queue() -> str:
    # A queue of its own, so no other worker on the same broker takes this test's tasks.
    return f"test-delivery-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def mail_dir(tmp_path) -> Path:
    path = tmp_path / "mail"
    path.mkdir()
    return path


class Worker:
    """A real `celery worker` process (solo pool) on the test's queue, writing emails to files."""

    def __init__(self, *, queue: str, mail_dir: Path, send_delay: float = 0, reclaim_after: int = 2):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url(),
            "TEST_MAIL_DIR": str(mail_dir),
            "TEST_SEND_DELAY": str(send_delay),
            "NOTIFICATION_RECLAIM_AFTER_SECONDS": str(reclaim_after),
        }
        command = [sys.executable, "-m", "celery", "-A", "walkandtalk", "worker", "--pool", "solo"]
        command += [
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ]
        self.process = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def workers():
    started: list[Worker] = []

    def start(**kwargs) -> Worker:
        worker = Worker(**kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def dispatch_on(queue: str, **kwargs) -> None:
    """What beat does every minute: enqueue the dispatcher."""
    dispatch_notifications.apply_async(kwargs=kwargs, queue=queue)


def statuses(*, walk=None, **filters) -> Counter:
    rows = Notification.objects.filter(**filters)
    if walk is not None:
        rows = rows.filter(about_type="walk", about_id=walk.pk)
    return Counter(rows.values_list("status", flat=True))


def test_a_worker_killed_mid_send_sends_the_message_once_after_a_restart(queue, mail_dir, workers):
    walk = WalkFactory()
    notifications.walk_booked(walk, now=timezone.now())
    due = Notification.objects.filter(kind="booking_confirmation")
    keys = set(due.values_list("idempotency_key", flat=True))
    assert len(keys) == 2

    first = workers(queue=queue, mail_dir=mail_dir, send_delay=30)
    dispatch_on(queue)
    wait_for(lambda: due.filter(status="sending").count() == 2, what="the worker to claim the messages")
    time.sleep(1)  # it is now waiting on the (slow) provider for the first message
    first.kill()  # SIGKILL: no clean-up, no ack, the rows stay "sending"
    assert sent_keys(mail_dir) == Counter()
    assert statuses(kind="booking_confirmation") == {"sending": 2}

    workers(queue=queue, mail_dir=mail_dir)  # restarted; the lapsed claims (2 s here) are taken again
    time.sleep(2.5)
    dispatch_on(queue)  # beat's next minute
    wait_for(lambda: due.filter(status="sent").count() == 2, what="the messages to be sent")

    assert sent_keys(mail_dir) == Counter(dict.fromkeys(keys, 1))
    assert set(due.values_list("attempts", flat=True)) == {2}


def test_two_dispatchers_at_once_send_each_message_once(queue, mail_dir, workers):
    for _ in range(60):
        resident = ResidentFactory(waiting_since=timezone.now())
        notices.waiting_list_joined(resident)
    keys = set(Notification.objects.values_list("idempotency_key", flat=True))

    workers(queue=queue, mail_dir=mail_dir, send_delay=0.02)
    workers(queue=queue, mail_dir=mail_dir, send_delay=0.02)
    for _ in range(6):
        dispatch_on(queue, limit=5)
    wait_for(lambda: statuses() == {"sent": 60}, what="every message to be sent")

    assert sent_keys(mail_dir) == Counter(dict.fromkeys(keys, 1))


def test_two_dispatchers_in_threads_claim_different_rows():
    for _ in range(40):
        notices.waiting_list_joined(ResidentFactory(waiting_since=timezone.now()))
    barrier = threading.Barrier(2)
    claimed: list[list[int]] = []

    def dispatcher():
        try:
            barrier.wait()
            while ids := dispatch.claim_due(limit=3, now=timezone.now()):
                claimed.append(ids)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [pk for ids in claimed for pk in ids]
    assert len(every) == len(set(every)) == 40


@contextmanager
def worker_in_this_process(queue: str):
    """A real worker thread (celery.contrib.testing) on the test's queue; emails land in mail.outbox.
    Selecting a queue changes the app's own list of queues to consume: put it back afterwards."""
    saved = celery_app.amqp.queues._consume_from
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[queue]
        ):
            yield
    finally:
        celery_app.amqp.queues._consume_from = saved


@contextmanager
def broker_down():
    """Publishing goes to a broker address where nothing listens (a fresh connection pool, so no
    connection made earlier in the run is reused)."""
    saved = celery_app._pool, celery_app.amqp._producer_pool
    saved_url = celery_app.conf.broker_write_url
    celery_app._pool = celery_app.amqp._producer_pool = None
    # Set and restore by hand: mock.patch.dict's clear() on exit trips over Celery's settings mapping.
    celery_app.conf.broker_write_url = "redis://127.0.0.1:9/0"
    try:
        yield
    finally:
        celery_app.conf.broker_write_url = saved_url
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app._pool, celery_app.amqp._producer_pool = saved


def test_a_broker_outage_while_a_walk_is_booked_loses_nothing(queue):
    officer = OfficerFactory()
    AvailabilityWindowFactory(officer=officer, weekday=1, start_time="18:00", end_time="22:00")
    resident = ResidentFactory()
    PairingFactory(resident=resident, officer=officer)
    monday = datetime(2031, 3, 3, 9, 0, tzinfo=LONDON)

    with broker_down():
        with pytest.raises(OperationalError):
            dispatch_notifications.apply_async(queue=queue, retry=False)  # beat cannot enqueue either
        walk = booking.book_walk(
            resident=resident,
            starts_at=datetime.combine(date(2031, 3, 4), clock(19, 0), tzinfo=LONDON),
            meeting_point="Peckham Library steps",
            route="Rye Lane and home",
            now=monday,
        )
    confirmations = Notification.objects.filter(
        about_type="walk", about_id=walk.pk, kind="booking_confirmation"
    )
    assert statuses(walk=walk, kind="booking_confirmation") == {"pending": 2}

    # The broker is back: beat's next run goes through a real worker and sends them.
    with worker_in_this_process(queue):
        dispatch_on(queue)
        wait_for(lambda: confirmations.filter(status="sent").count() == 2, what="the confirmations")
    assert sorted(m.to[0] for m in mail.outbox) == sorted([resident.user.email, officer.user.email])


def test_a_cancelled_walks_pending_reminders_are_never_sent(queue):
    now = timezone.now()
    cancelled = WalkFactory(starts_at=now + timedelta(hours=1))
    # Booked two days ago: both its reminders (24 h and 2 h before) are due by now.
    notifications.walk_booked(cancelled, now=now - timedelta(days=2))
    booking.cancel_walk(walk=cancelled, by=cancelled.officer.user, reason="Called to an incident")
    # Another, cancelled without its rows being touched (as if the cancel raced the dispatcher):
    # the dispatcher's own re-check stops its reminders.
    raced = WalkFactory(starts_at=now + timedelta(hours=1, minutes=30))
    notifications.walk_booked(raced, now=now - timedelta(days=2))
    Walk.objects.filter(pk=raced.pk).update(status=Walk.Status.CANCELLED)
    reminders = Notification.objects.filter(kind="reminder")
    assert reminders.count() == 8 and reminders.filter(due_at__lte=now).count() == 8

    with worker_in_this_process(queue):
        dispatch_on(queue)
        wait_for(
            lambda: (
                not Notification.objects.filter(
                    status__in=["pending", "sending"], due_at__lte=timezone.now()
                ).exists()
            ),
            what="the dispatcher",
        )

    # the resident booked it, so her reminders are replaced by the notice; the others are cancelled
    assert statuses(kind="reminder") == {"cancelled": 6, "replaced": 2}
    assert not [m for m in mail.outbox if "Reminder" in m.subject]
    [told] = mail.outbox  # the resident hears it is cancelled; the officer cancelled it herself
    assert told.to == [cancelled.resident.user.email] and "cancelled" in told.subject
