"""Message kinds: one class per kind, declared by the app whose domain it belongs to.

The shape of ephios' notification types: a kind knows who it goes to and on which channel, its
templates and their context, whether it is still wanted when it is due, and which unsent messages it
replaces. The outbox only knows the registry; it never knows what a walk or a resident is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from django.utils import timezone

from .models import Notification


class Gone(Exception):
    """What the message is about no longer exists; the message is cancelled with this reason."""


@dataclass
class Attachment:
    filename: str
    content: bytes
    mimetype: str  # may carry parameters: "text/calendar; method=REQUEST"


class MessageKind:
    """Subclass once per kind and `register` it. Instances wrap one row at send time."""

    slug: ClassVar[str]
    title: ClassVar[str]
    # Unsent messages of these kinds to the same person about the same thing become "replaced" when a
    # message of this kind is recorded (a newer message tells the current state).
    supersedes: ClassVar[tuple[str, ...]] = ()
    about_type: ClassVar[str] = ""
    # Also pushed to each device the recipient turned push on for (push.py), beside her email.
    push: ClassVar[bool] = False

    def __init__(self, notification: Notification) -> None:
        self.notification = notification
        self.data = notification.data
        self.recipient = notification.recipient

    # --- recording ---------------------------------------------------------------------------

    @classmethod
    def recipients(cls, subject) -> list:
        """Who this kind goes to, for the thing it is about (a walk, a pairing, a day)."""
        raise NotImplementedError(f"{cls.__name__} does not say who it goes to.")

    @classmethod
    def channel_for(cls, recipient) -> str:
        return Notification.Channel.EMAIL

    @classmethod
    def build(
        cls,
        *,
        recipient,
        about_id: int | None = None,
        data: dict | None = None,
        due_at: datetime | None = None,
        once: str = "",
        channel: str | None = None,
        to_label: str = "",
    ) -> Notification:
        """An unsaved row for `outbox.record`. `once` tells apart messages of this kind about the same
        thing to the same person (a walk's version, a reminder's hours): same `once`, same message.
        With no `recipient` (an organisation's addresses), `addresses()` says where it goes and
        `to_label` names it in the sergeant's list."""
        key = cls.key(recipient_id=recipient.pk if recipient else "", about_id=about_id, once=once)
        return Notification(
            kind=cls.slug,
            recipient=recipient,
            to_label=to_label,
            channel=channel or cls.channel_for(recipient),
            about_type=cls.about_type,
            about_id=about_id,
            data=data or {},
            due_at=due_at or timezone.now(),
            idempotency_key=key,
        )

    @classmethod
    def pushed(cls, row: Notification) -> bool:
        """Whether this message also goes by push to the recipient's devices (a kind may look at the
        row's data: a partner's answer is pushed only when it is a question)."""
        return cls.push

    @classmethod
    def key(cls, *, recipient_id: int | str, about_id: int | None, once: str = "") -> str:
        """The row's unique key: only a key, compared whole and never taken apart."""
        return ":".join(str(part) for part in (cls.slug, cls.about_type, about_id or "", once, recipient_id))

    # --- sending -----------------------------------------------------------------------------

    def load(self) -> None:
        """Fetch what the message is about; raise Gone if it is no longer there."""

    def why_not(self, *, now: datetime) -> str:
        """Why this message is no longer wanted ("" when it is). Asked just before sending."""
        return ""

    def address(self) -> str:
        if self.notification.channel == Notification.Channel.EMAIL:
            return self.recipient.email
        raise NotImplementedError(f"{self.slug}: no address for {self.notification.channel}")

    def addresses(self) -> list[str]:
        """Where an email goes: the recipient's address, or an organisation's (override)."""
        return [self.address()]

    def template_names(self) -> dict[str, str]:
        return {
            "subject": f"email/{self.slug}_subject.txt",
            "text": f"email/{self.slug}.txt",
            "html": f"email/{self.slug}.html",
            "sms": f"sms/{self.slug}.txt",
        }

    def language(self) -> str:
        """The language the message is written in (a code of settings.LANGUAGES): the recipient's, which
        the app that knows her says (issue 18). Asked at send time, so a message recorded long before
        is in the language she has chosen since. "" is the site's language (English)."""
        return ""

    def context(self) -> dict:
        return {"notification": self.notification}

    def attachments(self, context: dict) -> list[Attachment]:
        return []

    def push_content(self, context: dict):
        """A push.PushContent for the lock screen: discreet (no resident's name), with a link."""
        raise NotImplementedError(f"{self.slug} is not sent by push.")


_registry: dict[str, type[MessageKind]] = {}
_recipient_related: set[str] = set()


def read_with_recipient(*lookups: str) -> None:
    """An app says which of the recipient's related rows its kinds read ("recipient__resident"), so
    the dispatcher loads them with the batch."""
    _recipient_related.update(lookups)


def recipient_related() -> list[str]:
    return sorted(_recipient_related)


def register(kind: type[MessageKind]) -> type[MessageKind]:
    """Class decorator: make a kind known to the dispatcher and the admin."""
    existing = _registry.get(kind.slug)
    if existing is not None and existing.__qualname__ != kind.__qualname__:
        raise ValueError(f"Two message kinds are called {kind.slug!r}: {existing} and {kind}.")
    _registry[kind.slug] = kind
    return kind


def get(slug: str) -> type[MessageKind] | None:
    return _registry.get(slug)


def all_kinds() -> dict[str, type[MessageKind]]:
    return dict(sorted(_registry.items(), key=lambda item: item[1].title))


def title_of(slug: str) -> str:
    kind = _registry.get(slug)
    return kind.title if kind is not None else slug
