"""The outbox: one row per message, written in the same transaction as the change that causes it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class NotificationQuerySet(models.QuerySet):
    def about(self, about_type: str, about_id: int) -> NotificationQuerySet:
        return self.filter(about_type=about_type, about_id=about_id)

    def unsent(self) -> NotificationQuerySet:
        """Not yet handed to a provider: still replaceable."""
        return self.filter(status=Notification.Status.PENDING)


class Notification(models.Model):
    """One message to one person. The dispatcher (beat, every minute) claims due rows, asks the row's
    kind whether it is still wanted, sends it and marks it sent; the unique key makes each message
    exist once, whatever retries happen."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        PUSH = "push", "Push"  # to one device of hers (PushSubscription), beside her email

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        REPLACED = "replaced", "Replaced"  # by a newer message that tells the current state

    # A person with an account; none for a message to an organisation's addresses (a partner's
    # referral), which its kind gives at send time.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # Who it is to, in words, for the sergeant's list when there is no recipient ("Lambeth Council").
    # (A default in the database too: the data migration that moved patrols' rows here inserts by SQL.)
    to_label = models.CharField("to", max_length=200, blank=True, default="", db_default="")
    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.EMAIL)
    # The slug of a registered kind (kinds.py); labels come from the registry, so no choices here and
    # no migration for a new kind.
    kind = models.CharField(max_length=40)
    # What the message is about ("walk" 12, "resident" 7, "officer" 3): replacing and cancelling a
    # thing's unsent messages filters on these columns.
    about_type = models.CharField(max_length=20, blank=True)
    about_id = models.BigIntegerField(null=True, blank=True)
    # Whatever else the kind needs to know at send time (the walk's version it was written for, the
    # day of a day plan, ...).
    data = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    due_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when a claim lapsed mid-send (a worker died): the provider may already have it.
    reclaimed = models.BooleanField(default=False)
    note = models.TextField(blank=True, help_text="Why it was cancelled, replaced or failed.")
    provider_reference = models.CharField(max_length=100, blank=True, help_text="The provider's id.")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="outbox_due"),
            models.Index(fields=["about_type", "about_id"], name="outbox_about"),
            models.Index(fields=["recipient", "status"], name="outbox_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.kind_title} to {self.to_label or self.recipient_id} ({self.get_status_display()})"

    @property
    def kind_title(self) -> str:
        from .kinds import title_of

        return title_of(self.kind)


class PushSubscription(models.Model):
    """One device (a browser on her phone) that has turned push on: where its push service takes
    messages for it, and the keys its messages are encrypted with (RFC 8291). It belongs to the
    session it was made in: signing out there, or the session ending, removes it (push.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    # One browser has one endpoint: subscribing again (or someone else signing in on that phone)
    # takes the row over rather than adding a second one that would push twice.
    endpoint = models.URLField(max_length=1024, unique=True)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=50)
    session_key = models.CharField(max_length=40, db_index=True)
    label = models.CharField(max_length=100, blank=True, help_text="Which device, from its browser.")
    created_at = models.DateTimeField(default=timezone.now)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]

    def __str__(self) -> str:
        return self.label or f"Device {self.pk}"

    def info(self) -> dict:
        """What pywebpush takes."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}
