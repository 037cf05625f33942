"""factory-boy factories for every model the tests need."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from participants.models import Borough, Officer, Pairing, Resident, User, Ward
from participants.roles import OFFICERS, RESIDENTS, SERGEANTS

PASSWORD = "correct-horse-battery-staple"


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


def ward(name: str = "Peckham") -> Ward:
    return Ward.objects.get(name=name)


class OfficerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Officer
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, group=OFFICERS)
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
    return UserFactory(group=SERGEANTS, is_staff=True, **kwargs)


__all__ = [
    "PASSWORD",
    "Borough",
    "OfficerFactory",
    "PairingFactory",
    "ResidentFactory",
    "UserFactory",
    "sergeant_user",
    "ward",
]
