"""Who is paired with whom, and the waiting list (PRODUCT.md: Pairing).

Each resident gets one active officer who covers her ward and has room; one who speaks her language
first, then the least loaded (residents ÷ capacity), ties broken by fewer residents and then by the
officer's id so the choice is deterministic. With none free she waits, oldest first, and is paired
automatically when an officer gains room or a ward.

Capacity holds under concurrency: the candidate officers' rows are locked (in id order, so two
pairings can never deadlock) before their loads are counted, so two residents signing up at once
queue behind each other instead of both taking an officer's last place.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone

from . import notices
from .models import Language, Officer, Pairing, Resident, User

# Sent inside the transaction that ends a pairing (reassigned, ended, or she leaves), with `pairing`,
# `by` and `now`. The apps above act on it (patrols cancels her booked walks with that officer) and
# return how many things they changed, so the message to her can say so.
pairing_ending = Signal()


class PairingError(Exception):
    """A pairing change that cannot be made; the message is fit to show the sergeant."""


@dataclass(frozen=True)
class Candidate:
    officer: Officer
    load: int

    def speaks(self, language: str) -> bool:
        return language == Language.ENGLISH or language in self.officer.languages

    @property
    def has_room(self) -> bool:
        return self.load < self.officer.capacity


def _active_load(officers: QuerySet[Officer]) -> QuerySet[Officer]:
    return officers.annotate(active_load=Count("pairings", filter=Q(pairings__ended_at__isnull=True)))


def _lock_candidates(resident: Resident) -> list[Candidate]:
    """Lock the active officers who cover her ward, then count their active residents.

    An officer whose pairing with her was ended is never chosen for her again automatically (the
    sergeant can still choose her by reassigning).
    """
    officers = Officer.objects.filter(is_active=True, wards=resident.ward).exclude(
        pk__in=resident.pairings.filter(ended_at__isnull=False).values("officer")
    )
    locked_ids = list(officers.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
    loaded = _active_load(Officer.objects.filter(pk__in=locked_ids)).order_by("pk")
    return [Candidate(officer=officer, load=officer.active_load) for officer in loaded]


def choose_officer(resident: Resident, candidates: list[Candidate]) -> Officer | None:
    """The best fit among candidates with room, or None."""
    with_room = [c for c in candidates if c.has_room]
    if not with_room:
        return None
    best = min(
        with_room,
        key=lambda c: (
            not c.speaks(resident.language),
            Fraction(c.load, c.officer.capacity),
            c.load,
            c.officer.pk,
        ),
    )
    return best.officer


def active_pairing(resident: Resident) -> Pairing | None:
    return resident.pairings.active().select_related("officer__user").first()


def pair_resident(*, resident: Resident, by: User | None = None) -> Pairing | None:
    """Pair her automatically, or put her on the waiting list. Returns the pairing, or None if waiting.

    Calling it for a resident who is already paired changes nothing and returns her pairing.
    """
    with transaction.atomic():
        resident = Resident.objects.select_for_update().select_related("ward", "user").get(pk=resident.pk)
        current = active_pairing(resident)
        if current is not None:
            return current
        officer = choose_officer(resident, _lock_candidates(resident))
        now = timezone.now()
        if officer is None:
            if resident.waiting_since is None:
                resident.waiting_since = now
                resident.save(update_fields=["waiting_since", "updated_at"])
                notices.waiting_list_joined(resident)
            return None
        was_waiting = resident.waiting_since is not None
        pairing = _start(resident=resident, officer=officer, by=by, reason="Paired automatically", now=now)
        notices.paired(pairing, after_waiting=was_waiting)
        return pairing


def _start(*, resident: Resident, officer: Officer, by: User | None, reason: str, now) -> Pairing:
    pairing = Pairing(resident=resident, officer=officer, started_at=now, started_by=by, start_reason=reason)
    pairing.full_clean()
    pairing.save()
    if resident.waiting_since is not None:
        resident.waiting_since = None
        resident.save(update_fields=["waiting_since", "updated_at"])
    return pairing


def promote_waiting(*, by: User | None = None) -> list[Pairing]:
    """Pair whoever on the waiting list now fits, oldest first. Call when an officer gains room or a ward."""
    made = []
    waiting = Resident.objects.filter(waiting_since__isnull=False).order_by("waiting_since", "pk")
    for resident in waiting.only("pk"):
        pairing = pair_resident(resident=resident, by=by)
        if pairing is not None:
            made.append(pairing)
    return made


def reassign_resident(*, resident: Resident, officer: Officer, by: User, reason: str) -> Pairing:
    """The sergeant moves a resident to another officer, with a reason. The resident is told."""
    reason = reason.strip()
    if not reason:
        raise PairingError("Give a reason for the change: it is kept in the pairing history.")
    with transaction.atomic():
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        locked = Officer.objects.select_for_update().get(pk=officer.pk)
        if not locked.is_active:
            raise PairingError(f"{locked.display_name} is not active, so she cannot take residents.")
        current = active_pairing(resident)
        if current is not None and current.officer_id == locked.pk:
            raise PairingError(f"{resident.preferred_name} is already paired with {locked.display_name}.")
        load = Pairing.objects.active().filter(officer=locked).count()
        if load >= locked.capacity:
            raise PairingError(
                f"{locked.display_name} has no room ({load} of {locked.capacity} residents). "
                "Raise her capacity first, or choose another officer."
            )
        now = timezone.now()
        cancelled = _end(current, by=by, reason=reason, now=now) if current is not None else 0
        pairing = _start(resident=resident, officer=locked, by=by, reason=reason, now=now)
        notices.reassigned(pairing, previous=current, walks_cancelled=cancelled)
    if current is not None:
        promote_waiting(by=by)  # her old officer has a place free now
    return pairing


def _end(pairing: Pairing, *, by: User | None, reason: str, now) -> int:
    """End it; returns how many of her booked walks with that officer were cancelled."""
    pairing.ended_at = now
    pairing.ended_by = by
    pairing.end_reason = reason
    pairing.full_clean()
    pairing.save(update_fields=["ended_at", "ended_by", "end_reason"])
    answers = pairing_ending.send(sender=Pairing, pairing=pairing, by=by, now=now)
    return sum(answer for _, answer in answers if isinstance(answer, int))


def end_pairing(*, pairing: Pairing, by: User | None, reason: str) -> Pairing | None:
    """The sergeant ends a pairing, with a reason. The freed place goes first to whoever has waited
    longest; then she is paired with another officer if one fits (never the same one again) or joins
    the waiting list. Either way she is told. Returns her new pairing, if any."""
    reason = reason.strip()
    if not reason:
        raise PairingError("Give a reason for ending the pairing: it is kept in the pairing history.")
    with transaction.atomic():
        pairing = Pairing.objects.select_for_update().select_related("resident", "officer").get(pk=pairing.pk)
        if not pairing.is_active:
            raise PairingError("That pairing has already ended.")
        cancelled = _end(pairing, by=by, reason=reason, now=timezone.now())
        notices.pairing_ended(pairing, walks_cancelled=cancelled)
        promote_waiting(by=by)
        return pair_resident(resident=pairing.resident, by=by)


def release_resident(*, resident: Resident, by: User | None, reason: str) -> None:
    """She leaves the scheme (her account is erased): her pairing ends and she leaves the waiting list,
    without a message to her or a new officer. Her officer's freed place goes to whoever has waited
    longest."""
    with transaction.atomic():
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        current = active_pairing(resident)
        if current is not None:
            _end(current, by=by, reason=reason, now=timezone.now())
        if resident.waiting_since is not None:
            resident.waiting_since = None
            resident.save(update_fields=["waiting_since", "updated_at"])
        promote_waiting(by=by)


def officer_changed(*, officer: Officer, by: User | None = None) -> None:
    """After the sergeant edits an officer: if she is no longer active her residents are paired
    elsewhere (or wait); if she gained room or wards, the waiting list moves."""
    if not officer.is_active:
        for pairing in Pairing.objects.active().filter(officer=officer):
            end_pairing(pairing=pairing, by=by, reason=f"{officer.display_name} is no longer on the scheme")
    promote_waiting(by=by)
