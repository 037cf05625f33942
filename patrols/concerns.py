"""Concerns logged on walks, their follow-ups, and safeguarding disclosures (PRODUCT.md: A concern,
A disclosure is not a concern, Closing the loop)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from participants.models import User
from participants.roles import OFFICER, SERGEANT, role_of

from . import acted_at as acted
from . import notifications
from .models import Concern, ConcernCategory, ConcernUpdate, Disclosure, Walk
from .walks import WalkError, check_runs_walk

LOGGABLE = (Walk.Status.IN_PROGRESS, Walk.Status.COMPLETED)
MICRODEGREE = Decimal("0.000001")


class ConcernError(Exception):
    """A concern change that cannot be made; the message is fit to show the officer."""


def _check_loggable(walk: Walk, by: User) -> None:
    try:
        check_runs_walk(walk, by)
    except WalkError as error:
        raise ConcernError(str(error)) from None
    if walk.status not in LOGGABLE:
        # Say which: a concern sent late from her phone may meet a walk cancelled in the meantime.
        raise ConcernError(
            f"This walk is {walk.get_status_display().lower()}: concerns are logged on a walk that "
            "has started or finished."
        )


def log_concern(
    *,
    walk: Walk,
    by: User,
    category: ConcernCategory,
    severity: str,
    when_it_matters: str,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    location_text: str = "",
    resident_said: str = "",
    action: str = "",
    resident_said_shared: bool = False,
    draft_key: uuid.UUID | None = None,
    now: datetime | None = None,
    acted_at: datetime | None = None,
) -> tuple[Concern, bool]:
    """Log a concern on a walk. Returns it and whether it is new.

    The same draft sent again (her phone retried after losing signal) returns the concern it made
    the first time: one draft, one concern. `acted_at`: when she saved it on a phone with no signal
    (patrols/acted_at.py), never before the walk started, less a margin for the two clocks.
    """
    _check_loggable(walk, by)
    now = now or timezone.now()
    started = min(walk.started_at or walk.starts_at, walk.starts_at)
    created_at = acted.moment(acted_at, now=now, not_before=started - acted.CONCERN_MARGIN)
    latitude, longitude = _coordinate(latitude), _coordinate(longitude)
    concern = Concern(
        walk=walk,
        officer=walk.officer,
        ward=walk.resident.ward,
        category=category,
        severity=severity,
        when_it_matters=when_it_matters,
        latitude=latitude,
        longitude=longitude,
        location_text=location_text.strip(),
        resident_said=resident_said.strip(),
        action=action.strip(),
        resident_said_shared=resident_said_shared,
        draft_key=draft_key,
        created_at=created_at,
    )
    try:
        # What only Python checks (choices, lengths). The walk, officer, ward and category were just
        # loaded, and the location rules are check constraints: checking those here would cost six
        # statements (issue 16) that the INSERT below makes anyway.
        concern.full_clean(
            exclude=["walk", "officer", "ward", "category", "partner"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        raise ConcernError(" ".join(error.messages)) from None
    try:
        with transaction.atomic():
            concern.save()
    except IntegrityError:
        # The same draft sent again (her phone retried), or two sends of it racing: the draft's unique
        # key refused the second, so the first one's concern is the answer. Otherwise a check
        # constraint refused it: say which, in the officer's words.
        existing = Concern.objects.filter(draft_key=draft_key).first() if draft_key is not None else None
        if existing is not None:
            return _same_draft(existing, walk)
        _raise_constraint_error(concern)
        raise
    return concern, True


def _raise_constraint_error(concern: Concern) -> None:
    """The message of the check constraint the concern breaks (validated in Python, now that the
    database has said one does); nothing if none does."""
    try:
        concern.validate_constraints()
    except ValidationError as error:
        raise ConcernError(" ".join(error.messages)) from None


def _coordinate(value: Decimal | float | None) -> Decimal | None:
    """Six decimal places (about 10 cm), whatever number type the caller had."""
    return None if value is None else Decimal(str(value)).quantize(MICRODEGREE)


def _same_draft(existing: Concern, walk: Walk) -> tuple[Concern, bool]:
    if existing.walk_id != walk.pk:
        raise ConcernError("This draft was already saved on another walk.")
    return existing, False


def check_follows_up(concern: Concern, by: User) -> None:
    """The officer who logged it, or the sergeant."""
    role = role_of(by)
    if not (role == SERGEANT or (role == OFFICER and concern.officer.user_id == by.pk)):
        raise ConcernError("Only the officer who logged this concern can update it.")


def add_update(
    *,
    concern: Concern,
    by: User,
    note: str,
    new_status: str = "",
    closed_reason: str = "",
    share_with_partner: bool = False,
    action_key: uuid.UUID | None = None,
    now: datetime | None = None,
    acted_at: datetime | None = None,
) -> ConcernUpdate:
    """A dated follow-up, optionally changing the status (open → referred → resolved, or closed).
    Shared with the partner (`share_with_partner`), the note is theirs to read on their page and is
    emailed to them with their link; unshared, it stays with the police (it may speak of her).
    `acted_at`: when she wrote it on a phone with no signal (patrols/acted_at.py), never before the
    concern was logged."""
    now = now or timezone.now()
    check_follows_up(concern, by)
    note = note.strip()
    if not note:
        raise ConcernError("Write what happened, e.g. “reported to Lambeth highways, ref 1234”.")
    try:
        return _add_update(
            concern, by, note, new_status, closed_reason, share_with_partner, action_key, now, acted_at
        )
    except IntegrityError:
        # The same follow-up sent twice at once from her phone: the key let one in; that one is the answer.
        if action_key is not None and (done := _same_update(concern, action_key)) is not None:
            return done
        raise


def _same_update(concern: Concern, action_key: uuid.UUID) -> ConcernUpdate | None:
    done = ConcernUpdate.objects.filter(action_key=action_key).first()
    if done is not None and done.concern_id != concern.pk:
        raise ConcernError("This follow-up was already saved on another concern.")
    return done


def _add_update(concern, by, note, new_status, closed_reason, share_with_partner, action_key, now, acted_at):
    with transaction.atomic():
        concern = (
            Concern.objects.select_for_update().select_related("walk__resident__user").get(pk=concern.pk)
        )
        # Under the concern's lock: a follow-up queued on her phone and sent again is added once.
        if action_key is not None and (done := _same_update(concern, action_key)) is not None:
            return done
        at = acted.moment(acted_at, now=now, not_before=concern.created_at)
        old_status = concern.status
        # Taken before any closing below ends it: the partner is told of the note that closes it too.
        referral = None
        if share_with_partner:
            referral = concern.referrals.current().select_related("partner").first()
            if referral is None:
                raise ConcernError("This concern is not with a partner, so there is nobody to share it with.")
        if new_status and new_status != old_status:
            if not concern.can_become(new_status):
                raise ConcernError(
                    f"A concern that is {concern.get_status_display().lower()} can’t become "
                    f"{Concern.Status(new_status).label.lower()}."
                )
            if new_status == Concern.Status.CLOSED and not closed_reason.strip():
                raise ConcernError("Give the reason for closing it without a fix.")
            if new_status == Concern.Status.CLOSED:
                # Closed by the police: no partner has it any more (their link says so).
                concern.referrals.current().update(ended_at=now)
            concern.status = new_status
            concern.closed_reason = closed_reason.strip() if new_status == Concern.Status.CLOSED else ""
            concern.resolved_at = at if new_status == Concern.Status.RESOLVED else None
            concern.save(update_fields=["status", "closed_reason", "resolved_at", "updated_at"])
        else:
            new_status = ""
        update = ConcernUpdate.objects.create(
            concern=concern,
            by=by,
            at=at,
            note=note,
            old_status=old_status if new_status else "",
            new_status=new_status,
            referral=referral,
            shared_with_partner=referral is not None,
            action_key=action_key,
        )
        if new_status == Concern.Status.RESOLVED:
            notifications.concern_resolved(concern, now=now)
        if referral is not None:
            notifications.partner_note(update, referral=referral)
    return update


def set_pin(
    *, concern: Concern, by: User, latitude: Decimal, longitude: Decimal, now: datetime | None = None
) -> Concern:
    """Put a concern logged by street or landmark on the map (or move its pin), with a dated update
    saying so. The officer who logged it, or the sergeant."""
    now = now or timezone.now()
    check_follows_up(concern, by)
    latitude, longitude = _coordinate(latitude), _coordinate(longitude)
    with transaction.atomic():
        concern = Concern.objects.select_for_update().get(pk=concern.pk)
        had_pin = concern.latitude is not None and concern.longitude is not None
        concern.latitude, concern.longitude = latitude, longitude
        # Only the pin changes, so only the pin is checked: its fields, and the one constraint on it
        # (concern_inside_greater_london) in Python. full_clean() would spend seven queries (existence
        # checks of the unchanged foreign keys, two constraints in savepoints) on what the database
        # enforces anyway, on a locked row (issue 16: at most 12 queries a POST).
        pin = ("latitude", "longitude")
        try:
            concern.clean_fields(exclude=[f.name for f in Concern._meta.fields if f.name not in pin])
        except ValidationError as error:
            raise ConcernError(" ".join(error.messages)) from None
        if latitude is None or longitude is None:
            raise ConcernError("Tap the map where the concern is.")
        if not _inside_greater_london(latitude, longitude):
            raise ConcernError("That location is outside Greater London.")
        concern.save(update_fields=["latitude", "longitude", "updated_at"])
        ConcernUpdate.objects.create(
            concern=concern, by=by, at=now, note="Map pin moved." if had_pin else "Map pin added."
        )
    return concern


def _inside_greater_london(latitude: Decimal, longitude: Decimal) -> bool:
    """As the `concern_inside_greater_london` constraint says (patrols/models.py)."""
    return Decimal("51.28") <= latitude <= Decimal("51.70") and Decimal("-0.52") <= longitude <= Decimal(
        "0.34"
    )


def record_disclosure(
    *, walk: Walk, by: User, what_was_said: str, referral_made: str, referred_to: str, reference: str = ""
) -> Disclosure:
    """A safeguarding disclosure on the walk: restricted to her officer and the sergeant."""
    try:
        check_runs_walk(walk, by)
    except WalkError as error:
        raise ConcernError(str(error)) from None
    disclosure = Disclosure(
        walk=walk,
        officer=walk.officer,
        what_was_said=what_was_said.strip(),
        referral_made=referral_made.strip(),
        referred_to=referred_to.strip(),
        reference=reference.strip(),
    )
    try:
        disclosure.full_clean()
    except ValidationError as error:
        raise ConcernError(" ".join(error.messages)) from None
    disclosure.save()
    return disclosure
