"""Availability, walks, and the outbox of messages they cause."""

from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone

from participants.models import Officer, Pairing, Resident, User
from participants.roles import OFFICER, RESIDENT, SERGEANT, role_of

LONDON = ZoneInfo("Europe/London")


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class AvailabilityWindow(models.Model):
    """A weekly window when the officer can walk, in London local time (e.g. Tue 18:00–22:00)."""

    officer = models.ForeignKey(Officer, on_delete=models.CASCADE, related_name="availability_windows")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField("from")
    end_time = models.TimeField("until")

    class Meta:
        ordering = ["officer", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="window_ends_after_start",
                violation_error_message="The window must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class AvailabilityException(models.Model):
    """A change to the weekly pattern: time off (leave, a changed shift) or an extra one-off window."""

    class Kind(models.TextChoices):
        UNAVAILABLE = "unavailable", "Not available (leave, a changed shift)"
        EXTRA = "extra", "Extra time available"

    officer = models.ForeignKey(Officer, on_delete=models.CASCADE, related_name="availability_exceptions")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.UNAVAILABLE)
    starts_at = models.DateTimeField("from")
    ends_at = models.DateTimeField("until")
    note = models.CharField(max_length=120, blank=True, help_text="Only you and the sergeant see this.")

    class Meta:
        ordering = ["officer", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="exception_ends_after_start",
                violation_error_message="The end must be after the start.",
            ),
        ]

    def __str__(self) -> str:
        start = timezone.localtime(self.starts_at, LONDON)
        end = timezone.localtime(self.ends_at, LONDON)
        return f"{self.get_kind_display()}: {start:%a %d %b %H:%M} – {end:%a %d %b %H:%M}"


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def new_walk_code() -> str:
    """Six digits, said aloud by the officer on meeting ("four eight two, nine one five")."""
    return f"{secrets.randbelow(10**6):06d}"


class WalkQuerySet(models.QuerySet):
    def active(self) -> WalkQuerySet:
        return self.filter(status__in=Walk.ACTIVE_STATUSES)

    def upcoming(self, now: datetime | None = None) -> WalkQuerySet:
        return self.filter(status=Walk.Status.BOOKED, ends_at__gt=now or timezone.now())

    def past(self, now: datetime | None = None) -> WalkQuerySet:
        return self.exclude(status=Walk.Status.BOOKED, ends_at__gt=now or timezone.now())

    def visible_to(self, user: User) -> WalkQuerySet:
        """Her own walks for a resident, an officer's own walks, all walks for the sergeant."""
        role = role_of(user)
        if role == SERGEANT:
            return self
        if role == OFFICER:
            return self.filter(officer__user=user)
        if role == RESIDENT:
            return self.filter(resident__user=user)
        return self.none()


class Walk(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "Resident didn’t come"

    # Walks that hold the officer's time: the database never lets two of these overlap.
    ACTIVE_STATUSES = (Status.BOOKED, Status.IN_PROGRESS, Status.COMPLETED)
    # Which status may follow which; everything else is refused.
    TRANSITIONS = {
        Status.BOOKED: {Status.IN_PROGRESS, Status.CANCELLED, Status.NO_SHOW},
        Status.IN_PROGRESS: {Status.COMPLETED},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
        Status.NO_SHOW: set(),
    }

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="walks")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="walks")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    meeting_point = models.CharField(
        max_length=200, help_text="A public place, e.g. “outside Peckham Rye station, main entrance”."
    )
    meeting_latitude = models.DecimalField(max_digits=8, decimal_places=6, null=True, blank=True)
    meeting_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    route = models.TextField("the route she usually takes")
    known_worries = models.TextField("places that already worry her", blank=True)
    walk_code = models.CharField(max_length=6, default=new_walk_code, editable=False)
    # Raised on every move, so a reminder written for an old time is never sent for the new one.
    version = models.PositiveIntegerField(default=1)
    booked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cancel_reason = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WalkQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["officer", "starts_at"]),
            models.Index(fields=["resident", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="walk_ends_after_start"),
            ExclusionConstraint(
                name="walk_officer_never_double_booked",
                expressions=[
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("officer", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=["booked", "in_progress", "completed"]),
                violation_error_message="That time has just been taken — please choose another.",
            ),
        ]

    def __str__(self) -> str:
        return f"Walk on {self.local_start:%a %d %b %Y %H:%M} with {self.officer.display_name}"

    @property
    def local_start(self) -> datetime:
        return timezone.localtime(self.starts_at, LONDON)

    @property
    def local_end(self) -> datetime:
        return timezone.localtime(self.ends_at, LONDON)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_after_dark(self) -> bool:
        from .sun import sunset_on

        return self.local_start >= sunset_on(self.local_start.date())

    @property
    def sunset(self) -> datetime:
        from .sun import sunset_on

        return sunset_on(self.local_start.date())

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.Status(self.status)]


class WalkEvent(models.Model):
    """The walk's history: who changed what, and when. Never edited."""

    class Kind(models.TextChoices):
        BOOKED = "booked", "Booked"
        MOVED = "moved", "Moved"
        CANCELLED = "cancelled", "Cancelled"
        STARTED = "started", "Started"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "Marked as no-show"

    walk = models.ForeignKey(Walk, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    old_starts_at = models.DateTimeField(null=True, blank=True)
    new_starts_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {timezone.localtime(self.at, LONDON):%d %b %H:%M}"


class Notification(models.Model):
    """The outbox: one row per message, written in the same transaction as the change that causes it.

    The dispatcher (beat, every minute) claims due rows, re-checks they still apply, sends them and
    marks them sent. The unique key makes each message exist once, whatever retries happen.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Kind(models.TextChoices):
        BOOKING_CONFIRMATION = "booking_confirmation", "Booking confirmation"
        REMINDER = "reminder", "Reminder before a walk"
        WALK_MOVED = "walk_moved", "Walk moved"
        WALK_CANCELLED = "walk_cancelled", "Walk cancelled"

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.EMAIL)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    walk = models.ForeignKey(
        Walk, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    pairing = models.ForeignKey(
        Pairing, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    due_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.get_status_display()})"
