"""Test-only backends for worker subprocesses (tests/test_notifications_delivery.py)."""

from __future__ import annotations

import os
import time

from django.core.mail.backends import filebased


class SlowFileEmailBackend(filebased.EmailBackend):
    """Django's file backend, waiting TEST_SEND_DELAY seconds before each message is written: a
    provider that is slow to answer, so a test can kill the worker in the middle of a send."""

    def send_messages(self, email_messages):
        delay = float(os.environ.get("TEST_SEND_DELAY") or 0)
        sent = 0
        for message in email_messages:
            time.sleep(delay)
            sent += super().send_messages([message])
        return sent
