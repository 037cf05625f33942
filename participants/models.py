"""People and areas: users, boroughs and wards, residents, officers and who is paired with whom."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from .inputs import limited_text


class UserManager(DjangoUserManager):
    """Email is the login; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


class Borough(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ward(models.Model):
    borough = models.ForeignKey(Borough, on_delete=models.PROTECT, related_name="wards")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["borough__name", "name"]
        constraints = [models.UniqueConstraint(fields=["borough", "name"], name="ward_unique_in_borough")]

    def __str__(self) -> str:
        return f"{self.name} ({self.borough.name})"


class Language(models.TextChoices):
    """Languages residents most often ask for in Southwark and Lambeth; more can be added."""

    ENGLISH = "en", _("English")
    ARABIC = "ar", _("Arabic")
    BENGALI = "bn", _("Bengali")
    FRENCH = "fr", _("French")
    PORTUGUESE = "pt", _("Portuguese")
    SOMALI = "so", _("Somali")
    SPANISH = "es", _("Spanish")
    TURKISH = "tr", _("Turkish")
    TWI = "tw", _("Twi")
    YORUBA = "yo", _("Yoruba")
    POLISH = "pl", _("Polish")


class Officer(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="officer")
    display_name = models.CharField(
        max_length=100, help_text="How residents see her, e.g. “PC Sarah Okafor”."
    )
    collar_number = models.CharField(
        "collar number",
        max_length=12,
        unique=True,
        help_text="The shoulder number she wears, which residents can check, e.g. 4821AS.",
    )
    wards = models.ManyToManyField(Ward, related_name="officers", blank=True)
    languages = ArrayField(
        models.CharField(max_length=5, choices=Language.choices),
        default=list,
        blank=True,
        help_text="Languages she can walk and talk in, besides English.",
    )
    capacity = models.PositiveSmallIntegerField(
        default=8, help_text="How many residents she can be paired with at once."
    )
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=0), name="officer_capacity_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.collar_number})"


class ContactChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message (SMS)")


class Resident(models.Model):
    """A woman who walks with the scheme. She gives a ward, never a home address."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resident")
    preferred_name = models.CharField("name to call you", max_length=60)
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="residents")
    contact_channel = models.CharField(
        "how to contact you", max_length=5, choices=ContactChannel.choices, default=ContactChannel.EMAIL
    )
    mobile = PhoneNumberField("UK mobile number", blank=True, region="GB")
    language = models.CharField(
        "preferred language", max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    access_needs = limited_text(1000, "access needs", blank=True)
    usual_walk_times = limited_text(1000, "when you usually walk", blank=True)
    baseline_safety = models.PositiveSmallIntegerField(
        "how safe you feel walking in your area now",
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    mention_police_in_messages = models.BooleanField(
        "messages may mention the police",
        default=False,
        help_text="Off by default: someone else may see her phone.",
    )
    privacy_consent_at = models.DateTimeField("privacy notice agreed at")
    waiting_since = models.DateTimeField(
        null=True, blank=True, help_text="Set while she is on the waiting list."
    )
    retention_warned_at = models.DateTimeField(
        "warned of removal at",
        null=True,
        blank=True,
        help_text="When she was told her details will be removed for inactivity; cleared when she returns.",
    )
    erased_at = models.DateTimeField(
        "erased at",
        null=True,
        blank=True,
        help_text="When her personal data was removed. Her walks and concerns stay, with nothing about her.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["preferred_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(baseline_safety__gte=1, baseline_safety__lte=5),
                name="resident_baseline_safety_1_to_5",
            ),
            models.CheckConstraint(
                condition=~Q(contact_channel="sms") | ~Q(mobile=""), name="resident_sms_needs_mobile"
            ),
        ]
        # The waiting list, oldest first, and how many wait: the dashboard reads them on every request;
        # at London scale that was two scans of 60,000 residents for ~1,000 waiting (issue 16).
        indexes = [
            models.Index(
                fields=["waiting_since", "id"],
                # with her ward: a borough's or a ward's waiting list from the index alone
                include=["ward"],
                condition=Q(waiting_since__isnull=False),
                name="resident_waiting_ward_idx",
            )
        ]

    def __str__(self) -> str:
        return self.preferred_name

    @property
    def is_waiting(self) -> bool:
        return self.waiting_since is not None


class PairingQuerySet(models.QuerySet):
    def active(self) -> PairingQuerySet:
        return self.filter(ended_at__isnull=True)


class Pairing(models.Model):
    """A resident paired with an officer. Rows are never deleted: ended ones are the history."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="pairings")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="pairings")
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start_reason = models.CharField(max_length=200, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(max_length=200, blank=True)

    objects = PairingQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(ended_at__isnull=True),
                name="one_active_pairing_per_resident",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="pairing_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident} with {self.officer}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class WaitingResidentManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(waiting_since__isnull=False).order_by("waiting_since", "pk")


class WaitingResident(Resident):
    """The waiting list, oldest first: residents no officer has room for yet."""

    objects = WaitingResidentManager()

    class Meta:
        proxy = True
        verbose_name = "waiting resident"
        verbose_name_plural = "waiting list"


class AuditEventQuerySet(models.QuerySet):
    """The audit log is append-only: rows are never changed or removed (the database refuses too)."""

    def update(self, **kwargs):
        # The one change allowed: a deleted user's events lose the link to her (on_delete=SET_NULL);
        # `actor_label` still says who it was.
        if kwargs.keys() == {"actor"} and kwargs["actor"] is None:
            return super().update(**kwargs)
        raise AuditLogIsAppendOnly("Audit events are never changed.")

    def delete(self):
        raise AuditLogIsAppendOnly("Audit events are never deleted.")


class AuditLogIsAppendOnly(Exception):
    pass


class AuditEvent(models.Model):
    """Who did what to which record, when, and from where (participants/audit.py writes these).

    Append-only: ``save`` refuses to change an existing row and ``delete`` refuses outright; a
    PostgreSQL trigger (migration 0004) refuses UPDATE and DELETE for everyone else too. It holds no
    resident's personal data — records are named by type and id, residents who act by their resident
    id — so erasing a resident leaves the trail intact and meaningful.
    """

    class Action(models.TextChoices):
        VIEWED = "viewed", "Viewed"
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"
        EXPORTED = "exported", "Exported"
        ERASED = "erased", "Erased"
        RETENTION_WARNED = "retention_warned", "Warned of removal (inactive)"
        SIGNED_IN = "signed_in", "Signed in"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(
        "who",
        max_length=254,
        help_text="Staff by email address, residents by resident number, or “system” for scheduled jobs.",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField("record type", max_length=60, blank=True)
    object_id = models.CharField("record id", max_length=40, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    path = models.CharField("page", max_length=300, blank=True)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]
        verbose_name = "audit event"
        verbose_name_plural = "audit log"

    def __str__(self) -> str:
        return f"{self.actor_label} {self.get_action_display().lower()} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly("Audit events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit events are never deleted.")
