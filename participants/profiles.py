"""A resident's own profile: created at sign-up (which pairs her), changed whenever she likes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from . import pairing as pairing_service
from .models import Pairing, Resident, User
from .roles import RESIDENTS


def create_resident_profile(*, user: User, details: dict[str, Any]) -> tuple[Resident, Pairing | None]:
    """Save her profile with the time she agreed to the privacy notice, then pair her (or she waits)."""
    with transaction.atomic():
        resident = Resident(user=user, privacy_consent_at=timezone.now(), **details)
        resident.full_clean()
        resident.save()
        user.groups.add(Group.objects.get(name=RESIDENTS))
        pairing = pairing_service.pair_resident(resident=resident, by=user)
    return resident, pairing


def update_resident_profile(*, resident: Resident, details: dict[str, Any]) -> Resident:
    """Save her changes. If she moves to a ward her officer does not cover, she is paired afresh."""
    with transaction.atomic():
        # Read the ward from the database: a ModelForm has already changed the instance in memory.
        old_ward_id = (
            Resident.objects.select_for_update().values_list("ward_id", flat=True).get(pk=resident.pk)
        )
        for name, value in details.items():
            setattr(resident, name, value)
        resident.full_clean()
        resident.save()
        current = pairing_service.active_pairing(resident)
        moved_away = (
            resident.ward_id != old_ward_id
            and current is not None
            and not current.officer.wards.filter(pk=resident.ward_id).exists()
        )
        if moved_away:
            pairing_service.end_pairing(
                pairing=current, by=resident.user, reason=f"She moved to {resident.ward.name} ward"
            )
        elif current is None and resident.ward_id != old_ward_id:
            pairing_service.pair_resident(resident=resident, by=resident.user)
    return resident
