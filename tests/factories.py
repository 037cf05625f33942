"""factory-boy factories for every model the tests need."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from participants.models import Borough, Officer, Pairing, Resident, User, Ward
from participants.roles import OFFICERS, RESIDENTS, SERGEANTS

PASSWORD = "correct-horse-battery-staple"
# Staff accounts get a TOTP authenticator with this secret: officers and sergeants must have a second
# factor (walkandtalk.middleware), and browser journeys type a code computed from it (totp_code()).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The current 6-digit code for a secret, as an authenticator app would show it. A code is good for
    its 30-second step only (allauth's MFA_TOTP_TOLERANCE is 0): in a step's last 3 s this waits for the
    next one, as a person would wait for the next code, so it is not refused on reaching the server."""
    import time

    if (left := 30 - time.time() % 30) < 3:
        time.sleep(left + 0.1)

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """A verified primary email, as allauth needs to let her sign in."""
        if create and extracted is not False:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)
        if create:
            self.save()

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))

    @factory.post_generation
    def totp(self, create, extracted, **kwargs):
        """``totp=True``: a TOTP second factor with TOTP_SECRET (staff must have one)."""
        if create and extracted:
            from allauth.mfa.totp.internal.auth import TOTP

            TOTP.activate(self, TOTP_SECRET)


def ward(name: str = "Peckham") -> Ward:
    return Ward.objects.get(name=name)


class OfficerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Officer
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, group=OFFICERS, totp=True)
    display_name = factory.Sequence(lambda n: f"PC Officer {n}")
    collar_number = factory.Sequence(lambda n: f"{1000 + n}AS")
    capacity = 8

    @factory.post_generation
    def wards(self, create, extracted, **kwargs):
        if create:
            self.wards.set(extracted if extracted is not None else [ward()])


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    user = factory.SubFactory(UserFactory, group=RESIDENTS)
    preferred_name = factory.Sequence(lambda n: f"Resident {n}")
    ward = factory.LazyFunction(ward)
    baseline_safety = 2
    privacy_consent_at = factory.LazyFunction(timezone.now)


class PairingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pairing

    resident = factory.SubFactory(ResidentFactory)
    officer = factory.SubFactory(OfficerFactory)
    started_at = factory.LazyFunction(timezone.now)


def sergeant_user(**kwargs) -> User:
    kwargs.setdefault("totp", True)
    return UserFactory(group=SERGEANTS, is_staff=True, **kwargs)


class AvailabilityWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "patrols.AvailabilityWindow"

    officer = factory.SubFactory(OfficerFactory)
    weekday = 1  # Tuesday
    start_time = "18:00"
    end_time = "22:00"


class AvailabilityExceptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "patrols.AvailabilityException"

    officer = factory.SubFactory(OfficerFactory)
    kind = "unavailable"


class WalkFactory(factory.django.DjangoModelFactory):
    """A walk written straight to the database (bypassing the booking rules), for setting scenes."""

    class Meta:
        model = "patrols.Walk"

    resident = factory.SubFactory(ResidentFactory)
    officer = factory.SubFactory(OfficerFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    ends_at = factory.LazyAttribute(lambda walk: walk.starts_at + timedelta(hours=1))
    meeting_point = "Outside Peckham Rye station"
    route = "Rye Lane to the common and back"
    booked_by = factory.LazyAttribute(lambda walk: walk.resident.user)  # she booked it herself


class PartnerFactory(factory.django.DjangoModelFactory):
    """An organisation that takes referrals (invented names, example.org contacts)."""

    class Meta:
        model = "patrols.Partner"
        django_get_or_create = ("name",)
        skip_postgeneration_save = True  # the boroughs hook saves what it sets

    name = factory.Sequence(lambda n: f"Partner {n} Council")
    kind = "council"
    contact_emails = factory.LazyAttribute(
        lambda partner: [f"referrals@{partner.name.lower().replace(' ', '-')}.example.org"]
    )

    @factory.post_generation
    def boroughs(self, create, extracted, **kwargs):
        if create and extracted:
            self.boroughs.set(extracted)


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "patrols.RoutingRule"

    partner = factory.SubFactory(PartnerFactory)


__all__ = [
    "PASSWORD",
    "TOTP_SECRET",
    "AvailabilityExceptionFactory",
    "AvailabilityWindowFactory",
    "Borough",
    "OfficerFactory",
    "PairingFactory",
    "PartnerFactory",
    "ResidentFactory",
    "RoutingRuleFactory",
    "UserFactory",
    "WalkFactory",
    "sergeant_user",
    "totp_code",
    "ward",
]
