"""Sending SMS: a small backend interface, like Django's email backends.

`get_backend()` returns the backend named by the `SMS_BACKEND` setting. Each backend's `send()` takes
the message's idempotency key as `reference`; a provider that keeps references (GOV.UK Notify) lets a
duplicate be spotted, and the file backend writes it beside the text so a bench can count duplicates.
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

# SMS are sent as single messages: GSM 03.38 allows 160 characters.
SMS_MAX_LENGTH = 160


class BaseBackend:
    def send(self, *, to: str, body: str, reference: str) -> str:
        """Send one text message; return the provider's id for it (or "")."""
        raise NotImplementedError

    def already_sent(self, *, reference: str) -> str:
        """The provider's id of a message already sent with this reference, or "" (unknown, or the
        provider cannot say). Asked before re-sending a message whose last try was interrupted."""
        return ""


class ConsoleBackend(BaseBackend):
    """Development: prints each message."""

    def send(self, *, to: str, body: str, reference: str) -> str:
        sys.stdout.write(f"SMS to {to} (ref {reference}):\n{body}\n{'-' * 40}\n")
        sys.stdout.flush()
        return ""


class FileBackend(BaseBackend):
    """Writes each message as one JSON file in SMS_FILE_PATH (tests, the bench, local runs)."""

    def __init__(self, path: str | None = None) -> None:
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send(self, *, to: str, body: str, reference: str) -> str:
        self.path.mkdir(parents=True, exist_ok=True)
        message_id = uuid.uuid4().hex
        record = {"id": message_id, "to": to, "body": body, "reference": reference}
        record["at"] = timezone.now().isoformat()
        # Written under a temporary name and renamed, so a reader never sees half a message.
        temporary = self.path / f".{message_id}.tmp"
        temporary.write_text(json.dumps(record))
        temporary.rename(self.path / f"{message_id}.json")
        return message_id


class MemoryBackend(BaseBackend):
    """Tests: keeps messages in `MemoryBackend.outbox`, like Django's locmem email backend."""

    outbox: list[dict] = []
    _lock = threading.Lock()

    def send(self, *, to: str, body: str, reference: str) -> str:
        message_id = uuid.uuid4().hex
        with self._lock:
            self.outbox.append({"id": message_id, "to": to, "body": body, "reference": reference})
        return message_id


class NotifyBackend(BaseBackend):
    """GOV.UK Notify (production). Configure NOTIFY_API_KEY and NOTIFY_SMS_TEMPLATE_ID: a template whose
    whole text is ((body)). The outbox row's idempotency key goes as Notify's `reference`."""

    def __init__(self) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        self.client = NotificationsAPIClient(settings.NOTIFY_API_KEY)
        self.template_id = settings.NOTIFY_SMS_TEMPLATE_ID

    def send(self, *, to: str, body: str, reference: str) -> str:
        response = self.client.send_sms_notification(
            phone_number=to,
            template_id=self.template_id,
            personalisation={"body": body},
            reference=reference,
        )
        return str(response.get("id", ""))

    def already_sent(self, *, reference: str) -> str:
        # Notify keeps our reference on every notification: a hit means the last try got through.
        found = self.client.get_all_notifications(template_type="sms", reference=reference)
        notifications = found.get("notifications", [])
        return str(notifications[0].get("id", "")) if notifications else ""


def get_backend(path: str | None = None) -> BaseBackend:
    return import_string(path or settings.SMS_BACKEND)()
