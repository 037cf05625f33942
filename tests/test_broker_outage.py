"""Survives the broker (issue 13 point 5). Redis, the broker and the cache, goes away for a few seconds:
a Redis server of the test's own (a subprocess on a free port, nothing kept on disk) is stopped and
started again,

(a) while a real Celery worker process is in the middle of a dispatch: the worker rides it out and
    reconnects by itself, and every due message is sent exactly once when Redis is back;
(b) during a sign-in: sign-in, sign-up and password reset answer 503 "try again in a minute" (never
    500, never skipping the rate limit) while it is down, and sign-in works again after.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from participants import notices
from tests.factories import PASSWORD, ResidentFactory, UserFactory
from tests.helpers import RedisServer, database_url, sent_keys, wait_for
from walkandtalk.celery import app as celery_app
from walkandtalk.outbox.models import Notification
from walkandtalk.outbox.tasks import dispatch_notifications

BASE_DIR = Path(settings.BASE_DIR)

pytestmark = pytest.mark.skipif(
    not shutil.which("redis-server") and not os.environ.get("CI"),
    reason="redis-server is not installed (CI always has it)",
)


# --- The outbox --------------------------------------------------------------------------------


def make_due_messages(count: int) -> set[str]:
    """`count` messages due now (each a new resident told she is on the waiting list); their keys."""
    before = set(Notification.objects.values_list("idempotency_key", flat=True))
    for _ in range(count):
        notices.waiting_list_joined(ResidentFactory(waiting_since=timezone.now()))
    return set(Notification.objects.values_list("idempotency_key", flat=True)) - before


def outbox_statuses() -> Counter:
    return Counter(Notification.objects.values_list("status", flat=True))


def run_the_dispatcher() -> None:
    """What beat does every minute: enqueue the dispatcher task."""
    dispatch_notifications.apply_async()


# --- Redis and a worker of the test's own ---------------------------------------------------------


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


class Worker:
    """A real `celery worker` process as `make run` starts it (prefork pool, two processes), on the
    test's own Redis (broker and cache), writing its emails to files, each send taking `send_delay`
    seconds. Two processes matter: with one busy and one free, the worker is waiting on BRPOP when
    Redis goes away, the path on which Celery 5.7.0 crashed (walkandtalk/celery.py)."""

    def __init__(self, *, redis_url: str, mail_dir: Path, log_path: Path, send_delay: float):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "TEST_MAIL_DIR": str(mail_dir),
            "TEST_SEND_DELAY": str(send_delay),
        }
        command = [sys.executable, "-m", "celery", "-A", "walkandtalk", "worker", "--pool", "prefork"]
        command += ["--concurrency", "2", "--without-gossip", "--without-mingle", "-l", "INFO"]
        self.log_path = log_path
        with log_path.open("w") as log:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def worker_on(tmp_path):
    started: list[Worker] = []

    def start(redis_url: str, **kwargs) -> Worker:
        worker = Worker(redis_url=redis_url, log_path=tmp_path / f"worker-{len(started)}.log", **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@contextmanager
def publishing_to(url: str):
    """This process's tasks go to the test's own Redis (a fresh connection pool, put back afterwards)."""
    saved = celery_app._pool, celery_app.amqp._producer_pool
    saved_url = celery_app.conf.broker_write_url
    celery_app._pool = celery_app.amqp._producer_pool = None
    # Set and restore by hand: mock.patch.dict's clear() on exit trips over Celery's settings mapping.
    celery_app.conf.broker_write_url = url
    try:
        yield
    finally:
        celery_app.conf.broker_write_url = saved_url
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app._pool, celery_app.amqp._producer_pool = saved


# --- (a) the worker -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_rides_out_a_broker_outage_in_the_middle_of_a_dispatch(redis_server, worker_on, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    keys = make_due_messages(4)
    worker = worker_on(redis_server.url, mail_dir=mail_dir, send_delay=1)
    # One pool for the whole test: kombu keeps producer pools per broker address, process-wide.
    with publishing_to(redis_server.url):
        run_the_dispatcher()
        wait_for(lambda: outbox_statuses()["sending"] > 0, timeout=30, what="the worker to claim messages")

        # Redis goes away while the dispatcher task (acks_late: not yet acknowledged) is sending.
        redis_server.stop()
        keys |= make_due_messages(2)  # the app goes on (a walk booked, say): these wait in PostgreSQL
        time.sleep(4)
        assert worker.alive(), worker.log()

        redis_server.start()  # back, and empty: nothing was kept on disk
        run_the_dispatcher()  # beat's next minute
        wait_for(
            lambda: outbox_statuses() == {"sent": 6} or not worker.alive(),
            timeout=45,
            what="every message to be sent",
        )

    assert worker.alive(), worker.log()  # the very same process: nobody restarted it
    assert outbox_statuses() == {"sent": 6}
    assert sent_keys(mail_dir) == Counter(dict.fromkeys(keys, 1))
    log = worker.log()
    assert "Unrecoverable error" not in log
    assert log.count("Connected to redis://") >= 2, log  # it reconnected by itself


# --- (b) signing in -------------------------------------------------------------------------------


def use_the_cache_on(settings, redis_server: RedisServer) -> None:
    """This process's cache is the test's own Redis, as production's is (walkandtalk/settings.py); the
    pages' fragments stay in this process's memory, as there."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": "test-outage",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        },
    }


@pytest.mark.django_db
def test_sign_in_answers_503_while_the_cache_is_down_and_works_after(redis_server, settings, client, caplog):
    use_the_cache_on(settings, redis_server)
    user = UserFactory(email="amira@example.org")
    assert client.get(reverse("account_login")).status_code == 200

    redis_server.stop()  # she has the sign-in page open; Redis goes away before she sends it
    caplog.set_level(logging.WARNING)
    attempts = [
        ("account_login", {"login": "amira@example.org", "password": PASSWORD}),
        (
            "account_signup",
            {"email": "bola@example.org", "password1": "a-new-pass-phrase", "password2": "a-new-pass-phrase"},
        ),
        ("account_reset_password", {"email": "amira@example.org"}),
    ]
    for name, data in attempts:
        response = client.post(reverse(name), data)
        assert response.status_code == 503, name
        assert "try again in a minute" in response.content.decode(), name
        assert response.headers["Retry-After"] == "60"
    # Failing closed: no one signed in, no account made, no email sent, with the rate limits unknown.
    assert "_auth_user_id" not in client.session
    assert not type(user).objects.filter(email="bola@example.org").exists()
    assert mail.outbox == []
    unavailable = [r for r in caplog.records if r.name == "walkandtalk.availability"]
    assert len(unavailable) == 3 and {r.levelno for r in unavailable} == {logging.WARNING}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # a warning, not a server error

    redis_server.start()
    response = client.post(reverse("account_login"), {"login": "amira@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
