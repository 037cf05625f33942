"""Book, move and cancel walks (PRODUCT.md: Availability, a walk's life).

An officer is never booked twice for overlapping time. Two things keep that true:
- each change locks the officer's row first, so her bookings queue one behind another and the
  buffer between walks (which the database cannot see) is checked against settled data;
- the database's exclusion constraint on (officer, time range) for active walks is the last word:
  if anything ever gets past the lock, the insert fails and the resident gets the same message.
The IntegrityError is caught outside the atomic block (after PostgreSQL has rolled the transaction
back), never inside it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from participants.audit import Action, record_event
from participants.models import Officer, Pairing, Resident, User
from participants.pairing import active_pairing
from participants.roles import OFFICER, RESIDENT, SERGEANT, role_of

from . import notifications
from .models import Walk, WalkEvent
from .prepared import Prepared
from .slots import booking_period, find_slot

TAKEN = "That time has just been taken — please choose another."
PASSED = _("That time has passed — please choose another.")


class BookingError(Exception):
    """A booking change that cannot be made; the message is fit to show the person who tried."""


def _check_bookable_time(starts_at: datetime, now: datetime) -> None:
    """Say why a time outside the booking period can't be had, rather than that it was taken."""
    earliest, latest = booking_period(now)
    if starts_at <= now:
        raise BookingError(PASSED)
    if starts_at < earliest:
        raise BookingError(
            gettext(
                "That time is too soon: walks are booked at least %(hours)s hours ahead. "
                "Please choose a later time."
            )
            % {"hours": settings.BOOKING_MIN_NOTICE_HOURS}
        )
    if starts_at > latest:
        raise BookingError(
            gettext(
                "That time is too far ahead: walks can be booked up to %(days)s days ahead. "
                "Please choose an earlier time."
            )
            % {"days": settings.BOOKING_HORIZON_DAYS}
        )


_CAN_BE_CANCELLED = [
    status for status, following in Walk.TRANSITIONS.items() if Walk.Status.CANCELLED in following
]


def _cutoff() -> timedelta:
    return timedelta(hours=settings.RESIDENT_CHANGE_CUTOFF_HOURS)


def _lock_officer(
    officer: Officer, *, counting_for: Resident | None = None, now: datetime | None = None
) -> int:
    """A sort of queue: every booking change for one officer waits here for the one before it.
    With `counting_for`, the same statement also returns how many walks that resident has coming up
    (a scalar subquery); otherwise 0."""
    # Written once, not compiled on every booking (issue 16). Her upcoming walks are
    # `Walk.objects.upcoming(now)`'s: booked, and not yet over.
    with connection.cursor() as cursor:
        if counting_for is None:
            _LOCK.execute(cursor, [officer.pk])
        else:
            booked, now = Walk.Status.BOOKED.value, now or timezone.now()
            _COUNT_AND_LOCK.execute(cursor, [counting_for.pk, booked, now, officer.pk])
        row = cursor.fetchone()
    if row is None:
        raise Officer.DoesNotExist
    return row[0]


_OFFICER_LOCKED = f"FROM {Officer._meta.db_table} WHERE id = %s FOR UPDATE"
_COUNT_UPCOMING = f"""SELECT (SELECT count(*) FROM {Walk._meta.db_table} w
    WHERE w.resident_id = %s AND w.status = %s AND w.ends_at > %s)"""  # noqa: S608 — the models' tables; values are parameters
_LOCK = Prepared(f"SELECT 0 {_OFFICER_LOCKED}", name="officer_lock")
_COUNT_AND_LOCK = Prepared(f"{_COUNT_UPCOMING} {_OFFICER_LOCKED}", name="officer_lock_and_count")


def _save(walk: Walk) -> None:
    """Validate what only Python can, then save. The relations were just locked or loaded, and the
    end-after-start and no-overlap rules are the database's constraints (an IntegrityError, caught
    outside the atomic block): checking them here too would cost five statements and still race."""
    try:
        walk.full_clean(
            exclude=["resident", "officer", "booked_by", "cancelled_by"], validate_constraints=False
        )
    except ValidationError as error:
        raise BookingError(" ".join(error.messages)) from None
    walk.save()


def book_walk(
    *,
    resident: Resident,
    starts_at: datetime,
    meeting_point: str,
    route: str,
    known_worries: str = "",
    meeting_latitude: Decimal | None = None,
    meeting_longitude: Decimal | None = None,
    by: User | None = None,
    now: datetime | None = None,
    pairing: Pairing | None = None,
) -> Walk:
    """Book a walk with her own officer at one of the officer's bookable slots. (`pairing`: her active
    pairing, if the caller has just looked it up.)"""
    now = now or timezone.now()
    pairing = pairing or active_pairing(resident)
    if pairing is None:
        raise BookingError(_("You can book a walk once you are paired with an officer."))
    officer = pairing.officer
    try:
        with transaction.atomic():
            # One statement for two things (issue 16): the lock on her officer, and how many walks she
            # has coming up (a fair-use limit, counted as before from the statement's snapshot).
            upcoming = _lock_officer(officer, counting_for=resident, now=now)
            if upcoming >= settings.MAX_UPCOMING_WALKS_PER_RESIDENT:
                raise BookingError(
                    gettext(
                        "You already have %(count)s walks booked. Once one has happened, or if you cancel "
                        "one, you can book another."
                    )
                    % {"count": upcoming}
                )
            _check_bookable_time(starts_at, now)
            slot = find_slot(officer=officer, starts_at=starts_at, now=now)
            if slot is None:
                raise BookingError(TAKEN)
            walk = Walk(
                resident=resident,
                officer=officer,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                meeting_point=meeting_point.strip(),
                meeting_latitude=meeting_latitude,
                meeting_longitude=meeting_longitude,
                route=route.strip(),
                known_worries=known_worries.strip(),
                booked_by=by or resident.user,
            )
            _save(walk)
            WalkEvent.objects.create(walk=walk, kind=WalkEvent.Kind.BOOKED, by=walk.booked_by, at=now)
            notifications.walk_booked(walk, by=walk.booked_by, now=now)
    except IntegrityError:
        raise BookingError(TAKEN) from None
    return walk


def _check_resident_may_change(walk: Walk, by: User, now: datetime, verb: str) -> None:
    if role_of(by) == RESIDENT and walk.starts_at - now < _cutoff():
        hours = settings.RESIDENT_CHANGE_CUTOFF_HOURS
        words = {"hours": hours, "phone": settings.STATION_PHONE}
        if verb == "moved":
            message = gettext(
                "It’s less than %(hours)s hours until this walk, so it can’t be moved online. "
                "Please call the station on %(phone)s."
            )
        else:
            message = gettext(
                "It’s less than %(hours)s hours until this walk, so it can’t be cancelled online. "
                "Please call the station on %(phone)s."
            )
        raise BookingError(message % words)


def _check_actor(walk: Walk, by: User) -> None:
    """Only her, her walk's officer, or the sergeant may change a walk."""
    role = role_of(by)
    allowed = (
        role == SERGEANT
        or (role == RESIDENT and walk.resident.user_id == by.pk)
        or (role == OFFICER and walk.officer.user_id == by.pk)
    )
    if not allowed:
        raise BookingError(_("You can’t change this walk."))


def move_walk(*, walk: Walk, starts_at: datetime, by: User, now: datetime | None = None) -> Walk:
    """Move a booked walk to another of the officer's bookable slots."""
    now = now or timezone.now()
    _check_actor(walk, by)
    try:
        with transaction.atomic():
            _lock_officer(walk.officer)
            walk = (
                Walk.objects.select_for_update()
                .select_related("resident__user", "officer__user")
                .get(pk=walk.pk)
            )
            if walk.status != Walk.Status.BOOKED:
                raise BookingError(
                    gettext("This walk is %(status)s, so it can’t be moved.")
                    % {"status": walk.get_status_display().lower()}
                )
            _check_resident_may_change(walk, by, now, "moved")
            if starts_at == walk.starts_at:
                raise BookingError(_("That is the time it is booked for already. Choose another time."))
            _check_bookable_time(starts_at, now)
            slot = find_slot(officer=walk.officer, starts_at=starts_at, now=now, ignore_walk=walk)
            if slot is None:
                raise BookingError(TAKEN)
            old_starts_at = walk.starts_at
            walk.starts_at, walk.ends_at = slot.starts_at, slot.ends_at
            walk.version += 1
            _save(walk)
            WalkEvent.objects.create(
                walk=walk,
                kind=WalkEvent.Kind.MOVED,
                by=by,
                at=now,
                old_starts_at=old_starts_at,
                new_starts_at=walk.starts_at,
            )
            notifications.walk_moved(walk, by=by, now=now)
    except IntegrityError:
        raise BookingError(TAKEN) from None
    return walk


def cancel_walk(
    *, walk: Walk, by: User | None, reason: str = "", now: datetime | None = None, check_rules: bool = True
) -> Walk:
    """Cancel a booked walk. She may until the cut-off; her officer and the sergeant give a reason.

    `check_rules=False` is for erasing her account (patrols/privacy.py): the walk is cancelled
    however close it is and whoever asks (the retention job has no user), and her officer is told."""
    now = now or timezone.now()
    if check_rules:
        _check_actor(walk, by)
    reason = reason.strip()
    if check_rules and role_of(by) != RESIDENT and not reason:
        raise BookingError(_("Give a reason: the resident is told the walk is cancelled, and why."))
    with transaction.atomic():
        # A claim by conditional update (the house's way): the walk becomes cancelled only if it still
        # may — still booked, and for her, still before the cut-off — in the one statement that also
        # locks it. A move or a start of the same walk waits here and re-reads it after. Only when
        # nothing was claimed is the walk read again, to say why.
        fields = {
            "status": Walk.Status.CANCELLED,
            "cancelled_at": now,
            "cancelled_by": by,
            "cancel_reason": reason,
            "updated_at": now,
        }
        claim = Walk.objects.filter(pk=walk.pk, status__in=_CAN_BE_CANCELLED)
        if check_rules and role_of(by) == RESIDENT:
            claim = claim.filter(starts_at__gte=now + _cutoff())
        if not claim.update(**fields):
            current = Walk.objects.get(pk=walk.pk)
            if not current.can_become(Walk.Status.CANCELLED):
                raise BookingError(
                    gettext("This walk is %(status)s, so it can’t be cancelled.")
                    % {"status": current.get_status_display().lower()}
                )
            _check_resident_may_change(current, by, now, "cancelled")
            raise BookingError(gettext("This walk has just changed: please look at it again."))
        for name, value in fields.items():
            setattr(walk, name, value)
        # what walk.save() would have logged (an update() sends no post_save)
        record_event(
            actor=None, action=Action.CHANGED, obj=walk, detail="fields: " + ", ".join(sorted(fields))
        )
        WalkEvent.objects.create(walk=walk, kind=WalkEvent.Kind.CANCELLED, by=by, at=now, note=reason)
        notifications.walk_cancelled(walk, by=by)
    return walk


CHANGE_OF_OFFICER = "Change of officer"


def cancel_walks_with_former_officer(sender, *, pairing, by: User | None, now: datetime, **kwargs) -> int:
    """Her pairing with an officer ends (reassigned, ended, she left): her booked walks with that
    officer are cancelled, each with its notice to whoever knew of it, so nobody is left expecting a
    walk that will not happen. Connected in PatrolsConfig.ready() to participants' `pairing_ending`."""
    walks = Walk.objects.filter(
        resident=pairing.resident_id, officer=pairing.officer_id, status=Walk.Status.BOOKED, ends_at__gt=now
    )
    cancelled = 0
    for walk in walks.select_related("officer"):
        cancel_walk(walk=walk, by=by, reason=CHANGE_OF_OFFICER, now=now, check_rules=False)
        cancelled += 1
    return cancelled
