"""Celery: the real app's configuration, and a real task through a real worker and broker."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from walkandtalk.celery import app as celery_app
from walkandtalk.tasks import HEARTBEAT_KEY, heartbeat


def test_worker_settings_keep_tasks_safe_when_a_worker_dies():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit


def test_beat_schedules_the_heartbeat_every_minute():
    entry = celery_app.conf.beat_schedule["heartbeat"]
    assert entry["task"] == "walkandtalk.tasks.heartbeat"
    assert entry["task"] in celery_app.tasks  # autodiscovered


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_a_task_sent_through_the_broker():
    cache.delete(HEARTBEAT_KEY)
    # The project's own app and broker (Redis in CI, the filesystem transport without REDIS_URL).
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        heartbeat.delay()
        deadline = time.monotonic() + 20
        while cache.get(HEARTBEAT_KEY) is None and time.monotonic() < deadline:
            time.sleep(0.1)
    assert cache.get(HEARTBEAT_KEY) is not None


def test_the_worker_reconnects_to_the_broker_forever():
    conf = celery_app.conf
    assert conf.broker_connection_retry is True
    assert conf.broker_connection_max_retries is None  # never gives up (tests/test_broker_outage.py)
    assert conf.worker_cancel_long_running_tasks_on_connection_loss is False  # a send is let finish


def test_a_redis_channel_whose_transport_was_detached_raises_a_connection_error():
    # The Celery/kombu 5.7.0 crash worked around in walkandtalk/celery.py: a connection error, which
    # the worker handles by reconnecting, instead of AttributeError, which made it exit.
    from types import SimpleNamespace

    import redis.exceptions
    from kombu.transport.redis import Channel

    channel = Channel.__new__(Channel)  # no connection is made
    channel.connection = SimpleNamespace(client=None)  # the transport once collect() detached it
    with pytest.raises(redis.exceptions.ConnectionError):
        channel._connparams()
