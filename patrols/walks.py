"""A walk's life on the day: start, finish, no-show, "nothing to log" (PRODUCT.md: a walk's life).

Only the walk's officer or the sergeant may do these, and only the allowed transitions happen
(Walk.TRANSITIONS): a completed walk cannot be started again, a cancelled one cannot be finished.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from participants.audit import record_event
from participants.models import AuditEvent, User
from participants.roles import OFFICER, SERGEANT, role_of

from . import acted_at as acted
from . import notifications
from .models import LONDON, Walk, WalkEvent

# She may start a walk a little before its time (they met early), never days before.
START_EARLY = timedelta(minutes=60)


class WalkError(Exception):
    """A change to a walk that cannot be made; the message is fit to show the officer."""


def check_runs_walk(walk: Walk, by: User) -> None:
    """Only the walk's own officer, or the sergeant, runs a walk and logs against it."""
    role = role_of(by)
    if not (role == SERGEANT or (role == OFFICER and walk.officer.user_id == by.pk)):
        raise WalkError("Only the walk’s officer can do that.")


def _change(
    walk: Walk,
    *,
    by: User,
    to: str,
    event: str,
    at: Callable[[Walk], datetime],
    action_key: uuid.UUID | None,
    stamp: str = "",
) -> Walk:
    """`at(walk)`: when it was done, given the walk as it is under the lock (a queued finish is bounded
    by the start the server has); `stamp`, the walk's field that records it (started_at…)."""
    check_runs_walk(walk, by)
    try:
        with transaction.atomic():
            walk = (
                Walk.objects.select_for_update()
                .select_related("resident__user", "officer__user")
                .get(pk=walk.pk)
            )
            # Under the walk's lock: a second send of the same action waits for the first, then
            # finds its event here and is answered as done (the unique key is the guarantee).
            if action_key is not None and _already_done(walk, action_key, event):
                return walk
            if not walk.can_become(to):
                raise WalkError(
                    f"This walk is {walk.get_status_display().lower()}, so it can’t be "
                    f"{Walk.Status(to).label.lower()} now."
                )
            when = at(walk)
            walk.status = to
            if stamp:
                setattr(walk, stamp, when)
            # What only Python checks (choices, lengths). The people were just loaded with the walk, and
            # a change of status never moves its time: the database's own constraints (overlap, times in
            # order) refuse anything else at the UPDATE, so checking them here would cost nine statements
            # a POST cannot afford (issue 16's budget).
            walk.full_clean(
                exclude=["resident", "officer", "booked_by", "cancelled_by"],
                validate_unique=False,
                validate_constraints=False,
            )
            walk.save()
            WalkEvent.objects.create(walk=walk, kind=event, by=by, at=when, action_key=action_key)
            if to == Walk.Status.COMPLETED:
                # Her "how safe do you feel?" comes an hour after the walk ended, not after the phone
                # found signal.
                notifications.walk_completed(walk, now=when)
            if to == Walk.Status.NO_SHOW:
                notifications.cancel_pending(walk, reason="She did not come: the walk is over.")
    except IntegrityError:
        # Only the action key is unique on an event: this key was used on another walk meanwhile.
        if action_key is not None and _already_done(walk, action_key, event):
            return Walk.objects.select_related("resident__user", "officer__user").get(pk=walk.pk)
        raise
    return walk


def _already_done(walk: Walk, action_key: uuid.UUID, event: str) -> bool:
    """Whether the phone's action with this key has already happened on this walk (then it is not done
    again); a key used for something else is refused, never silently taken as done."""
    done = WalkEvent.objects.filter(action_key=action_key).values_list("walk_id", "kind").first()
    if done is None:
        return False
    if done != (walk.pk, event):
        raise WalkError("This action was already sent for something else: it was not done again.")
    return True


def start_walk(
    *,
    walk: Walk,
    by: User,
    now: datetime | None = None,
    action_key: uuid.UUID | None = None,
    acted_at: datetime | None = None,
) -> Walk:
    """`acted_at`: when she tapped "Start", by her phone's clock, for a start it queued with no signal
    (patrols/acted_at.py: taken within bounds); otherwise it starts now."""
    now = now or timezone.now()
    # Not before the walk was booked: no one started it before it existed.
    at = acted.moment(acted_at, now=now, not_before=walk.created_at)
    if at < walk.starts_at - START_EARLY:
        opens = timezone.localtime(walk.starts_at - START_EARLY, LONDON)
        raise WalkError(f"You can start this walk from {opens:%H:%M} on {opens:%A %-d %B}.")
    return _change(
        walk,
        by=by,
        to=Walk.Status.IN_PROGRESS,
        event=WalkEvent.Kind.STARTED,
        at=lambda _: at,
        action_key=action_key,
        stamp="started_at",
    )


def finish_walk(
    *,
    walk: Walk,
    by: User,
    now: datetime | None = None,
    action_key: uuid.UUID | None = None,
    acted_at: datetime | None = None,
) -> Walk:
    now = now or timezone.now()
    return _change(
        walk,
        by=by,
        to=Walk.Status.COMPLETED,
        event=WalkEvent.Kind.COMPLETED,
        # A finish is never before its start (the phone's clock may disagree with the server's).
        at=lambda locked: acted.moment(acted_at, now=now, not_before=locked.started_at),
        action_key=action_key,
        stamp="finished_at",
    )


def mark_no_show(
    *,
    walk: Walk,
    by: User,
    now: datetime | None = None,
    action_key: uuid.UUID | None = None,
    acted_at: datetime | None = None,
) -> Walk:
    now = now or timezone.now()
    at = acted.moment(acted_at, now=now, not_before=walk.created_at)
    if at < walk.starts_at:
        raise WalkError("You can mark a no-show once the walk’s start time has passed.")
    return _change(
        walk,
        by=by,
        to=Walk.Status.NO_SHOW,
        event=WalkEvent.Kind.NO_SHOW,
        at=lambda _: at,
        action_key=action_key,
    )


def mark_nothing_to_log(
    *,
    walk: Walk,
    by: User,
    now: datetime | None = None,
    action_key: uuid.UUID | None = None,
    acted_at: datetime | None = None,
) -> Walk:
    """The officer says the walk raised no concerns, so she is not nudged to log them."""
    now = now or timezone.now()
    check_runs_walk(walk, by)
    try:
        with transaction.atomic():
            walk = Walk.objects.select_for_update().get(pk=walk.pk)
            if action_key is not None and _already_done(walk, action_key, WalkEvent.Kind.NOTHING_TO_LOG):
                return walk
            if walk.status != Walk.Status.COMPLETED:
                raise WalkError("You can say there is nothing to log once the walk is finished.")
            if walk.concerns.exists():
                raise WalkError("This walk already has concerns logged.")
            # Said once the walk was finished, so never before its finish.
            at = acted.moment(acted_at, now=now, not_before=walk.finished_at)
            if Walk.objects.filter(pk=walk.pk, nothing_to_log_at__isnull=True).update(nothing_to_log_at=at):
                # An update() sends no post_save signal: log the change here.
                record_event(
                    actor=by, action=AuditEvent.Action.CHANGED, obj=walk, detail="fields: nothing_to_log_at"
                )
                WalkEvent.objects.create(
                    walk=walk, kind=WalkEvent.Kind.NOTHING_TO_LOG, by=by, at=at, action_key=action_key
                )
            walk.refresh_from_db()
    except IntegrityError:
        if action_key is not None and _already_done(walk, action_key, WalkEvent.Kind.NOTHING_TO_LOG):
            return Walk.objects.get(pk=walk.pk)
        raise
    return walk
