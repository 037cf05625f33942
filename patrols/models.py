"""Availability, walks, concerns and what follows from them."""

from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeBoundary, RangeOperators
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.inputs import limited_text
from participants.models import Officer, Resident, User
from participants.roles import OFFICER, RESIDENT, SERGEANT, role_of

LONDON = ZoneInfo("Europe/London")


class Weekday(models.IntegerChoices):
    # Not marked for translation: only officers' and the sergeant's screens (English) show these, and
    # a msgid "Monday" in our catalogues would replace Django's own day names in every date we format
    # for a resident ("el Lunes 5 de julio" where Django writes "el lunes 5 de julio").
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
        BOOKED = "booked", _("Booked")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("Resident didn’t come")

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
    route = limited_text(1000, "the route she usually takes")
    known_worries = limited_text(1000, "places that already worry her", blank=True)
    walk_code = models.CharField(max_length=6, default=new_walk_code, editable=False)
    # Raised on every move, so a reminder written for an old time is never sent for the new one.
    version = models.PositiveIntegerField(default=1)
    booked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cancel_reason = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    nothing_to_log_at = models.DateTimeField(
        null=True, blank=True, help_text="When the officer marked that the walk raised no concerns."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WalkQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["officer", "starts_at"]),
            models.Index(fields=["resident", "starts_at"]),
            # Walks in a period (the dashboard's headline, weekly trend and per-officer counts): the
            # index alone answers them, without visiting 500,000 rows.
            models.Index(
                fields=["starts_at"], include=["status", "officer", "resident"], name="walk_period_idx"
            ),
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

    @property
    def rating(self) -> SafetyRating | None:
        """How safe she said she felt after this walk, if she has said."""
        try:
            return self.safety_rating
        except ObjectDoesNotExist:
            return None


class WalkEvent(models.Model):
    """The walk's history: who changed what, and when. Never edited."""

    class Kind(models.TextChoices):
        BOOKED = "booked", _("Booked")
        MOVED = "moved", _("Moved")
        CANCELLED = "cancelled", _("Cancelled")
        STARTED = "started", _("Started")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("Marked as no-show")
        NOTHING_TO_LOG = "nothing_to_log", _("Nothing to log")

    walk = models.ForeignKey(Walk, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    # The phone's key for the action that made this event (issue 17): a start, finish, no-show or
    # "nothing to log" queued with no signal and sent twice (a retry, two tabs) happens once.
    action_key = models.UUIDField(unique=True, null=True, blank=True, editable=False)
    old_starts_at = models.DateTimeField(null=True, blank=True)
    new_starts_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {timezone.localtime(self.at, LONDON):%d %b %H:%M}"


class ConcernCategory(models.Model):
    """What kind of place or behaviour: police.uk StreetSafe's categories, so the data compares with it.
    The sergeant can edit the list in the admin."""

    class Group(models.TextChoices):
        PLACE = "place", "About the place"
        PEOPLE = "people", "About people"
        OTHER = "other", "Other"

    name = models.CharField(max_length=120, unique=True)
    # Its Open311 service_code: stable when the name is reworded.
    code = models.SlugField(
        max_length=60, unique=True, help_text="Its code in open data (Open311), e.g. badly-lit."
    )
    group = models.CharField(max_length=10, choices=Group.choices, default=Group.PLACE)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in the list.")
    is_active = models.BooleanField("offered on the form", default=True)
    colour = models.CharField(max_length=7, default="#3a2a6b", help_text="Map marker colour, e.g. #d63384.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "concern categories"

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """An organisation that fixes places: a council team, Transport for London, a housing provider.
    Partners have no accounts: a referral reaches their contacts by email, with a link to answer it."""

    class Kind(models.TextChoices):
        COUNCIL = "council", "Council"
        TRANSPORT = "transport", "Transport"
        HOUSING = "housing", "Housing"
        BUSINESS = "business", "Business"
        OTHER = "other", "Other"

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COUNCIL)
    boroughs = models.ManyToManyField(
        "participants.Borough",
        blank=True,
        related_name="partners",
        help_text="The boroughs it covers. Leave empty for one that covers all of London (TfL).",
    )
    contact_emails = ArrayField(
        models.EmailField(max_length=254),
        size=10,
        verbose_name="contact emails for referrals",
        help_text="One or more addresses, separated by commas. Each referral goes to all of them.",
    )
    is_active = models.BooleanField("takes referrals", default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Category × borough → partner: who a concern is suggested to (the officer confirms). The most
    specific rule wins: this category in this borough, then this category anywhere, then anything in
    this borough."""

    category = models.ForeignKey(
        ConcernCategory,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
        help_text="Leave empty for any category.",
    )
    borough = models.ForeignKey(
        "participants.Borough",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
        help_text="Leave empty for anywhere.",
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="routing_rules")
    team = models.CharField(
        max_length=120, blank=True, help_text="Which part of the partner, e.g. “street lighting”."
    )

    class Meta:
        ordering = ["category__position", "category__name", "borough__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "borough"],
                nulls_distinct=False,
                name="routing_rule_one_per_category_and_borough",
                violation_error_message="There is already a rule for this category and borough.",
            ),
            models.CheckConstraint(
                condition=Q(category__isnull=False) | Q(borough__isnull=False),
                name="routing_rule_says_what_or_where",
                violation_error_message="Choose a category, a borough or both.",
            ),
        ]

    def __str__(self) -> str:
        what = self.category.name if self.category_id else "Anything"
        where = self.borough.name if self.borough_id else "anywhere"
        return f"{what} in {where} → {self.partner}" + (f" ({self.team})" if self.team else "")


class ConcernQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ConcernQuerySet:
        """Her walks' concerns for a resident, the ones she logged for an officer, all for the sergeant.
        (An officer's anonymised area view is a separate, narrower query: `in_wards_of`.)"""
        role = role_of(user)
        if role == SERGEANT:
            return self
        if role == OFFICER:
            return self.filter(officer__user=user)
        if role == RESIDENT:
            return self.filter(walk__resident__user=user)
        return self.none()

    def in_wards_of(self, officer: Officer) -> ConcernQuerySet:
        return self.filter(ward__in=officer.wards.all())

    def unresolved(self) -> ConcernQuerySet:
        return self.filter(status__in=[Concern.Status.OPEN, Concern.Status.REFERRED])


class Concern(models.Model):
    """A place where she feels unsafe, logged by the officer on or after the walk."""

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    class When(models.TextChoices):
        AFTER_DARK = "after_dark", "After dark"
        WEEKDAY_EVENINGS = "weekday_evenings", "Weekday evenings"
        WEEKENDS = "weekends", "Weekends"
        LATE_NIGHT = "late_night", "Late at night"
        SCHOOL_RUN = "school_run", "School run times"
        ALWAYS = "always", "Always"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        REFERRED = "referred", "Referred"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    # Allowed next statuses; anything else is refused.
    TRANSITIONS = {
        Status.OPEN: {Status.REFERRED, Status.RESOLVED, Status.CLOSED},
        Status.REFERRED: {Status.OPEN, Status.RESOLVED, Status.CLOSED},  # open: the partner says not theirs
        Status.RESOLVED: {
            Status.OPEN
        },  # "it's not fixed": she says so, it reopens (or goes back to the partner)
        Status.CLOSED: {Status.OPEN},
    }

    walk = models.ForeignKey(Walk, on_delete=models.PROTECT, related_name="concerns")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="concerns")
    # The ward at the time of logging, so area views and exports never need the resident.
    ward = models.ForeignKey("participants.Ward", on_delete=models.PROTECT, related_name="concerns")
    category = models.ForeignKey(ConcernCategory, on_delete=models.PROTECT, related_name="concerns")
    latitude = models.DecimalField(max_digits=8, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    location_text = models.CharField("street or landmark", max_length=200, blank=True)
    severity = models.CharField(max_length=6, choices=Severity.choices, default=Severity.MEDIUM)
    when_it_matters = models.CharField(
        "when it matters", max_length=20, choices=When.choices, default=When.AFTER_DARK
    )
    resident_said = limited_text(2000, "what she said", blank=True)
    action = limited_text(2000, "what you will do", blank=True)
    # Her words stay with the police unless the officer says a partner may read them.
    resident_said_shared = models.BooleanField(
        "partners may read her words",
        default=False,
        help_text="Partners see the place, the category and your action; her words only if you tick this.",
    )
    # The partner it is with now (patrols/referrals.py keeps it in step with the current referral).
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="concerns",
        verbose_name="referred to",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_reason = models.CharField(max_length=300, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # One per draft on the officer's phone: a draft sent twice (lost signal, a retry) makes one concern.
    draft_key = models.UUIDField(unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConcernQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["ward", "created_at"]),
            # The dashboard at London scale (issue 10): a period of all London, the oldest open ones,
            # each officer's open ones.
            models.Index(fields=["created_at"], name="concern_created_idx"),
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status__in=["open", "referred"]),
                name="concern_unresolved_age_idx",
            ),
            # Her open concerns, oldest first (Today's offline pages read the first 25 from the index).
            models.Index(
                fields=["officer", "created_at", "id"],
                condition=Q(status__in=["open", "referred"]),
                name="concern_officer_open_age_idx",
            ),
            # Concerns resolved in a period (headline figures, median days to resolve).
            models.Index(
                fields=["resolved_at"], condition=Q(resolved_at__isnull=False), name="concern_resolved_idx"
            ),
            # Unresolved concerns by age in an area: the recent ones, read from the index alone.
            models.Index(
                fields=["created_at"],
                include=["ward"],
                condition=Q(status__in=["open", "referred"]),
                name="concern_unresolved_ward_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(location_text="") | Q(latitude__isnull=False, longitude__isnull=False),
                name="concern_has_a_location",
                violation_error_message="Give a location: use your location, tap the map, or type a street.",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=51.28, latitude__lte=51.70, longitude__gte=-0.52, longitude__lte=0.34),
                name="concern_inside_greater_london",
                violation_error_message="That location is outside Greater London.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.place}"

    @property
    def place(self) -> str:
        if self.location_text:
            return self.location_text
        return f"{self.latitude}, {self.longitude}"

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.Status(self.status)]

    @property
    def current_referral(self) -> Referral | None:
        """With `current_referrals` prefetched (the resident's walk page), no query."""
        if hasattr(self, "current_referrals"):
            return self.current_referrals[0] if self.current_referrals else None
        return self.referrals.current().first()

    @property
    def plain_status(self) -> str:
        """Her status in words a resident understands ("Lambeth Council: fixed on 12 March 2027")."""

        def day(moment) -> str:
            return f"{timezone.localtime(moment, LONDON):%-d %B %Y}"

        partner = self.partner.name if self.partner_id else ""
        if self.status == self.Status.RESOLVED:
            fixed = f"fixed on {day(self.resolved_at)}" if self.resolved_at else "fixed"
            return f"{partner}: {fixed}" if partner else fixed.capitalize()
        if self.status == self.Status.REFERRED and partner:
            referral = self.current_referral
            state = referral.state if referral is not None else ""
            if state == Referral.State.PARTLY_FIXED:
                return f"{partner}: partly fixed — they are still working on it"
            if state == Referral.State.REOPENED:
                return f"{partner}: looking at it again, as you said it is not fixed"
            if referral is not None and referral.target_date and state == Referral.State.ACKNOWLEDGED:
                return f"{partner}: aims to fix it by {referral.target_date:%-d %B %Y}"
            if state == Referral.State.ACKNOWLEDGED:
                return f"{partner}: looking into it"
            return f"Reported to {partner}"
        if self.status == self.Status.REFERRED:
            return "Reported to the people who can fix it"
        if self.status == self.Status.CLOSED:
            return "Closed" + (f": {self.closed_reason}" if self.closed_reason else "")
        return "Recorded — the officer is looking into it"


class ConcernUpdate(models.Model):
    """A dated follow-up: "reported to Lambeth highways, ref 1234". Never edited."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="updates")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    note = limited_text(2000)
    old_status = models.CharField(max_length=10, choices=Concern.Status.choices, blank=True)
    new_status = models.CharField(max_length=10, choices=Concern.Status.choices, blank=True)
    # A partner's answer (by the referral's link), or a police update about a referral.
    referral = models.ForeignKey(
        "Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="updates"
    )
    answer = models.CharField(max_length=12, blank=True, help_text="The partner's answer, when it is one.")
    # The phone's key for a follow-up queued with no signal (issue 17): sent twice, added once.
    action_key = models.UUIDField(unique=True, null=True, blank=True, editable=False)
    # Partners see their own answers, referral events and the notes officers share with them; never
    # the police's other notes (which may speak of her).
    shared_with_partner = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at, LONDON):%d %b %Y}: {self.note[:60]}"


class ReferralQuerySet(models.QuerySet):
    """Each condition is written once, as a Q, so the dashboard can count them as FILTERs in a single
    aggregate (patrols/stats.py) and the admin filter on them, meaning exactly what these methods mean."""

    CURRENT = Q(ended_at__isnull=True)
    # Acknowledged by its due time: five working days after referral, bank holidays skipped (ack_due_at
    # is set by patrols.referrals.working_days_after when the referral is made).
    ACKNOWLEDGED_ON_TIME = Q(acknowledged_at__isnull=False, acknowledged_at__lte=F("ack_due_at"))

    @staticmethod
    def unacknowledged_q(now: datetime) -> Q:
        return ReferralQuerySet.CURRENT & Q(state=Referral.State.SENT, ack_due_at__lte=now)

    @staticmethod
    def overdue_q(today) -> Q:
        return ReferralQuerySet.CURRENT & ~Q(state=Referral.State.FIXED) & Q(target_date__lt=today)

    def current(self) -> ReferralQuerySet:
        """Still with the partner (not passed back as not theirs, refused, or re-routed)."""
        return self.filter(self.CURRENT)

    def open(self) -> ReferralQuerySet:
        """Current and not fixed: the partner still has something to do."""
        return self.current().exclude(state=Referral.State.FIXED)

    def unacknowledged_after(self, now: datetime) -> ReferralQuerySet:
        """Past its five working days with no answer: chased once, shown on the dashboard."""
        return self.filter(self.unacknowledged_q(now))

    def overdue(self, today) -> ReferralQuerySet:
        """Past the target date the partner gave, and not fixed."""
        return self.filter(self.overdue_q(today))


class Referral(models.Model):
    """A concern sent to one partner. A concern is with one partner at a time (a partial unique
    constraint); its earlier referrals stay, ended, as its history.

    The partner's link is signed with the site's secret (patrols/referrals.py) and names this row and
    its `link_version`: the sergeant revokes it by raising the version. It lapses at `link_expires_at`,
    which each use pushes on (90 days)."""

    class State(models.TextChoices):
        SENT = "sent", "Sent, not yet acknowledged"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        PARTLY_FIXED = "partly_fixed", "Partly fixed"
        FIXED = "fixed", "Fixed"
        NOT_OURS = "not_ours", "Not theirs"
        WONT_FIX = "wont_fix", "Won’t fix"
        REROUTED = "rerouted", "Re-routed to another partner"
        REOPENED = "reopened", "Reopened: not fixed, says the resident"

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="referrals")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals")
    team = models.CharField(max_length=120, blank=True)
    referred_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    referred_at = models.DateTimeField(default=timezone.now)
    # Five working days (England and Wales bank holidays) after referral: acknowledged by then or chased.
    ack_due_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.SENT)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    fixed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    chased_at = models.DateTimeField(null=True, blank=True)
    link_version = models.PositiveIntegerField(default=1)
    link_expires_at = models.DateTimeField()
    link_revoked_at = models.DateTimeField(null=True, blank=True)
    link_last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-referred_at", "-pk"]
        indexes = [
            models.Index(fields=["partner", "referred_at"], name="referral_partner_period_idx"),
            models.Index(
                fields=["ack_due_at"],
                condition=Q(state="sent", ended_at__isnull=True),
                name="referral_awaiting_ack_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["concern"],
                condition=Q(ended_at__isnull=True),
                name="referral_one_partner_at_a_time",
                violation_error_message="This concern is already with a partner.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.concern.category} → {self.partner} ({self.get_state_display()})"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None

    @property
    def is_overdue(self) -> bool:
        """Past the target date the partner gave, and not fixed: ReferralQuerySet.overdue, for one row."""
        return bool(
            self.is_current
            and self.state != self.State.FIXED
            and self.target_date
            and self.target_date < timezone.localdate(timezone.now(), LONDON)
        )

    @property
    def acknowledged_on_time(self) -> bool:
        return self.acknowledged_at is not None and self.acknowledged_at <= self.ack_due_at


class PartnerApiKey(models.Model):
    """A partner's key to its own referrals as Open311 open data. Stored as a SHA-256 hash: shown once,
    when made; the sergeant can revoke it."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(
        max_length=120, help_text="What it is for, e.g. “Lambeth street lighting’s system”."
    )
    prefix = models.CharField(
        max_length=12, editable=False, help_text="Its first characters, to tell keys apart."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["partner__name", "-created_at"]
        verbose_name = "partner API key"

    def __str__(self) -> str:
        return f"{self.partner}: {self.name} ({self.prefix}…)"


class DisclosureQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> DisclosureQuerySet:
        """Restricted: only the officer who recorded it and sergeants. Never residents, never others."""
        role = role_of(user)
        if role == SERGEANT:
            return self
        if role == OFFICER:
            return self.filter(officer__user=user)
        return self.none()


class Disclosure(models.Model):
    """A safeguarding disclosure: a crime or abuse she told the officer about. Not a concern: never in
    area views, maps, exports, partner reports, notifications or the resident's own pages."""

    walk = models.ForeignKey(Walk, on_delete=models.PROTECT, related_name="disclosures")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="disclosures")
    what_was_said = limited_text(5000, "what she told you")
    referral_made = limited_text(2000, "the referral you made")
    referred_to = models.CharField("referred to", max_length=200)
    reference = models.CharField("crime or referral reference", max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = DisclosureQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Disclosure on walk {self.walk_id} ({timezone.localtime(self.created_at, LONDON):%d %b %Y})"


class SafetyRating(models.Model):
    """How safe she feels walking in her area, 1–5, after a walk (the baseline is on her profile)."""

    resident = models.ForeignKey(
        Resident, null=True, on_delete=models.SET_NULL, related_name="safety_ratings"
    )
    walk = models.OneToOneField(
        Walk, null=True, blank=True, on_delete=models.SET_NULL, related_name="safety_rating"
    )
    rating = models.PositiveSmallIntegerField()
    comment = limited_text(2000, "anything else", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        # Her latest rating (the dashboard's "share who feel safer"): one index step per resident.
        indexes = [
            models.Index(fields=["resident", "-created_at", "-id"], name="rating_resident_latest_idx"),
            # Ratings in a period (the dashboard's "after walks" and weekly mean), from the index alone.
            models.Index(fields=["created_at"], include=["rating", "resident"], name="rating_period_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="safety_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 on {timezone.localtime(self.created_at, LONDON):%d %b %Y}"


# Current-state counters for the sergeant's dashboard (issue 16). PostgreSQL triggers (migration 0011,
# SQL in patrols/counters.py) keep them in the same transaction as every insert, update and delete of
# the rows they count, so no code path — a service, the admin, a data migration, a `.update()` — can
# leave them behind. Nothing in Django writes them; `counters.rebuild()` recomputes them all from
# scratch (the migration's backfill, and seed_scale after its COPY).
class OfficerWorkload(models.Model):
    """Per officer: residents paired now, concerns she logged still open or referred, her last
    completed walk. Reading these replaces four subqueries per officer over millions of rows."""

    officer = models.OneToOneField(
        Officer, primary_key=True, on_delete=models.CASCADE, related_name="workload", editable=False
    )
    residents = models.IntegerField(default=0, editable=False)
    open_concerns = models.IntegerField(default=0, editable=False)
    last_walk_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        verbose_name = "officer workload (counter)"

    def __str__(self) -> str:
        return f"{self.officer}: {self.residents} residents, {self.open_concerns} open"


class OpenConcernCount(models.Model):
    """Unresolved (open or referred) concerns per ward and partner (none: not referred yet). A few
    hundred rows instead of reading every unresolved concern for "actions still open by partner"."""

    ward = models.ForeignKey("participants.Ward", on_delete=models.CASCADE, related_name="+", editable=False)
    partner = models.ForeignKey(
        Partner, null=True, on_delete=models.CASCADE, related_name="+", editable=False
    )
    count = models.IntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            # One row per (ward, partner), "no partner" included: the triggers upsert on it.
            models.UniqueConstraint(
                fields=["ward", "partner"], name="open_concern_count_unique", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ward_id}/{self.partner_id}: {self.count}"


class OpenConcernDay(models.Model):
    """Unresolved (open or referred) concerns per ward and the London day they were logged: "actions
    still open by age" (0–7 days, 8–28 days, over 28) from at most 29 days × the area's wards, instead
    of reading every recent unresolved concern (37,000 in London's last four weeks)."""

    ward = models.ForeignKey("participants.Ward", on_delete=models.CASCADE, related_name="+", editable=False)
    day = models.DateField(editable=False)
    count = models.IntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            # One row per (ward, day): the trigger upserts on it.
            models.UniqueConstraint(fields=["ward", "day"], name="open_concern_day_unique"),
        ]
        indexes = [
            # All of London or a borough: the last 29 days' rows, read from the index alone.
            models.Index(fields=["day"], include=["ward", "count"], name="open_concern_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ward_id}/{self.day}: {self.count}"


class ResidentSafety(models.Model):
    """Each rated resident's latest safety rating (newest created_at, then id), for "share who feel
    safer than at sign-up" without reading every rating. No row: she has not rated a walk."""

    resident = models.OneToOneField(
        Resident, primary_key=True, on_delete=models.CASCADE, related_name="latest_safety", editable=False
    )
    latest_rating = models.PositiveSmallIntegerField(editable=False)

    def __str__(self) -> str:
        return f"{self.resident_id}: {self.latest_rating}/5"
