"""The Celery app: configuration from Django settings (CELERY_*), tasks found in every app."""

import os
import warnings

import redis.exceptions
from celery import Celery, signals
from celery.exceptions import CPendingDeprecationWarning
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "walkandtalk.settings")


def _refuse_a_detached_channel() -> None:
    """Work around a crash of Celery 5.7.0 / kombu 5.7.0 (the newest on PyPI here) when Redis goes away
    while a task is running (issue 13 point 5).

    On a lost connection the worker's consumer calls `connection.collect()` and then, new in Celery 5.7,
    `connection.close()` (celery/worker/consumer/consumer.py, `on_connection_error_after_connected`).
    collect() detaches the transport from the connection (`transport.client = None`) but leaves the
    channel, whose first close was cut short by the dead BRPOP socket. close() then closes that channel
    again; with an unacknowledged (acks_late) message in hand the channel restores it, asks for a new
    Redis pool, and `Channel._connparams` reads `self.connection.client.hostname` from None:
    `Unrecoverable error: AttributeError("'NoneType' object has no attribute 'hostname'")`, and the
    worker exits. The late ack of the task still running hits the same AttributeError.

    A channel whose transport is detached can reach no broker: say so with the connection error
    kombu and Celery already handle (the close is then ignored, the ack is logged as not made, and the
    consumer reconnects). The unacknowledged message stays in Redis and comes back after the visibility
    timeout; the outbox row, not the task, is what says a message was sent.
    Remove this once a kombu/Celery release fixes the double close.
    """
    original = kombu_redis.Channel._connparams
    if getattr(original, "walkandtalk_workaround", False):
        return

    def _connparams(self, asynchronous=False):
        if getattr(self.connection, "client", None) is None:
            raise redis.exceptions.ConnectionError("the broker connection has been closed")
        return original(self, asynchronous=asynchronous)

    _connparams.walkandtalk_workaround = True
    kombu_redis.Channel._connparams = _connparams


_refuse_a_detached_channel()


@signals.celeryd_after_setup.connect
def _quiet_the_warning_on_every_lost_connection(**kwargs) -> None:
    """Celery warns on every lost broker connection unless worker_cancel_long_running_tasks_on_
    connection_loss is True; settings.py sets it to False on purpose. (The worker's logging set-up
    turns Celery's pending-deprecation warnings to "always", so this filter goes in after it.)"""
    warnings.filterwarnings(
        "ignore",
        message=r"\s*In Celery 5.1 we introduced an optional breaking change",
        category=CPendingDeprecationWarning,
    )


app = Celery("walkandtalk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
