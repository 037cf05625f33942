"""Who is told of what, when a walk or a concern changes (README: "Who is told of each change").

Every function is called inside the change's own transaction and writes outbox rows (the kinds are in
patrols/messages.py); the dispatcher sends them. The rules:
- The person a change affects is told of the walk's current state. A booking confirms it to her and
  to her officer; a move tells each of them the new time; a cancellation tells each who knew of it.
- A message that a later change makes wrong is replaced, never just dropped: booked and then moved
  before the confirmation went out → one confirmation, for the new time. Reminders for the old time
  are replaced with reminders for the new one.
- Nobody is told of a move or a cancellation of a walk she was never told of (an officer whose
  confirmation had not gone yet gets the confirmation for the new time, or nothing).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.conf import settings

from participants.models import User
from participants.roles import role_of
from walkandtalk.outbox import outbox

from . import messages
from .messages import TELL_WALK, UPCOMING_WALK
from .models import Walk


def _about(walk: Walk, kind, user: User, *, by: User | None = None, once: str = "", **fields):
    data = {"walk": walk.pk, "version": walk.version, **fields}
    if by is not None:
        data |= {"by": by.pk, "by_role": role_of(by)}
    # The walk knows who is who: no lookup of the officer's (missing) Resident row.
    channel = kind.resident_channel(walk.resident if user.pk == walk.resident.user_id else None)
    return kind.build(
        recipient=user, about_id=walk.pk, data=data, once=once or f"v{walk.version}", channel=channel
    )


def _reminders(walk: Walk, now: datetime) -> list:
    rows = []
    for hours in settings.REMINDER_HOURS_BEFORE:
        # In UTC: on an aware London time, Python subtracts wall-clock hours, which is an hour out
        # across a clock change. A reminder "24 h before" means 24 real hours.
        due = walk.starts_at.astimezone(UTC) - timedelta(hours=hours)
        if due <= now:
            continue  # too late for this one: the confirmation has just gone
        for user in messages.Reminder.recipients(walk):
            row = _about(walk, messages.Reminder, user, once=f"v{walk.version}:{hours}h", hours=hours)
            row.due_at = due
            rows.append(row)
    return rows


def walk_booked(walk: Walk, *, by: User | None = None, now: datetime) -> None:
    """Both are told, with the invite; the reminders wait for their time. One INSERT: a new walk has
    no earlier message to replace."""
    kind = messages.BookingConfirmation
    confirmations = [_about(walk, kind, user, by=by) for user in kind.recipients(walk)]
    outbox.record(*confirmations, *_reminders(walk, now), replace=False)


def walk_moved(walk: Walk, *, by: User | None, now: datetime) -> None:
    """Each party is told the new time, the one who moved it too (her calendar must follow). Whoever
    has not been sent the confirmation yet gets the confirmation for the new time instead."""
    told = outbox.told(about_type="walk", about_id=walk.pk, kinds=TELL_WALK)
    rows = [
        _about(walk, messages.WalkMoved if user.pk in told else messages.BookingConfirmation, user, by=by)
        for user in messages.WalkMoved.recipients(walk)
    ]
    outbox.record(*rows, *_reminders(walk, now))


def walk_cancelled(walk: Walk, *, by: User | None) -> None:
    """Each party who knew of the walk is told (the invite removes it from her calendar): whoever was
    sent a message about it, and whoever booked it unless she cancelled it herself. The others'
    unsent messages about it are cancelled."""
    knew = outbox.told(about_type="walk", about_id=walk.pk, kinds=TELL_WALK)
    if walk.booked_by_id is not None and (by is None or walk.booked_by_id != by.pk):
        knew.add(walk.booked_by_id)
    kind = messages.WalkCancelled
    rows = [_about(walk, kind, user, by=by) for user in kind.recipients(walk) if user.pk in knew]
    outbox.record(*rows, replace=False)
    # Her (and their) unsent notices and reminders: replaced by the cancellation for those told of
    # it, cancelled for the rest (WalkCancelled supersedes exactly UPCOMING_WALK).
    outbox.cancel(
        about_type="walk",
        about_id=walk.pk,
        kinds=UPCOMING_WALK,
        reason="The walk was cancelled before she had been told of it.",
        replaced_for={row.recipient_id for row in rows},
        replaced_by=kind.title,
    )


def cancel_pending(walk: Walk, *, reason: str) -> int:
    """The walk will not happen as booked (a no-show): its reminders and unsent notices go."""
    return outbox.cancel(about_type="walk", about_id=walk.pk, kinds=UPCOMING_WALK, reason=reason)


def walk_completed(walk: Walk, *, now: datetime) -> None:
    """After a walk: ask her how safe she feels (1 h later); nudge the officer if nothing is logged
    after 12 h (both are re-checked before sending)."""
    rows = []
    for kind, after in (
        (messages.FeedbackRequest, timedelta(hours=1)),
        (messages.ConcernNudge, timedelta(hours=12)),
    ):
        for user in kind.recipients(walk):
            row = _about(walk, kind, user)
            row.due_at = now + after
            rows.append(row)
    outbox.record(*rows, replace=False)


def _about_concern(kind, concern, user: User, *, once: str):
    walk = concern.walk
    data = {"walk": walk.pk, "version": walk.version, "concern": concern.pk}
    return kind.build(recipient=user, about_id=concern.pk, data=data, once=once)


def concern_resolved(concern, *, now: datetime) -> None:
    """Ask her "is it fixed?"; once every concern from the walk is resolved, offer a repeat walk."""
    walk = concern.walk
    # A concern can be resolved, reopened and resolved again: each resolution asks once.
    once = f"{concern.resolved_at:%Y%m%d%H%M%S}"
    kind = messages.ConcernResolved
    rows = [_about_concern(kind, concern, user, once=once) for user in kind.recipients(concern)]
    if not walk.concerns.unresolved().exists():
        offer = messages.RepeatWalkOffer
        rows += [_about(walk, offer, user, once="offer") for user in offer.recipients(walk)]
    outbox.record(*rows)


def concern_reopened(concern, *, now: datetime) -> None:
    """She says a place marked fixed is not: tell the officer who logged it (once per reopening)."""
    kind = messages.ConcernReopened
    outbox.record(
        *[
            _about_concern(kind, concern, user, once=f"{now:%Y%m%d%H%M%S}")
            for user in kind.recipients(concern)
        ]
    )


def day_plans(*, day: date, now: datetime) -> int:
    """The officers' day plans: one to each officer with booked walks on this London day."""
    officers = messages.DayPlan.recipients(day)
    outbox.record(
        *[
            messages.DayPlan.build(
                recipient=user,
                about_id=user.officer.pk,
                data={"day": f"{day:%Y-%m-%d}"},
                once=f"{day:%Y-%m-%d}",
                due_at=now,
            )
            for user in officers
        ]
    )
    return len(officers)


# --- Partners (patrols/referrals.py) --------------------------------------------------------------


def referral_sent(referral, *, once: str = "") -> None:
    """The referral email to the partner's contacts: once per referral (and once per new link)."""
    outbox.record(messages.PartnerReferral.build_for(referral, once=once), replace=False)


def referrals_chased(referrals) -> None:
    """One reminder each, to partners who have not acknowledged in 5 working days."""
    outbox.record(*[messages.PartnerChase.build_for(referral) for referral in referrals], replace=False)


def referral_reopened(referral, *, now: datetime) -> None:
    """She says it is not fixed: the partner is told, with the link (once per reopening)."""
    outbox.record(messages.PartnerReopened.build_for(referral, once=f"{now:%Y%m%d%H%M%S}"), replace=False)


def partner_note(update, *, referral) -> None:
    """A police note the officer chose to share: emailed to the partner's contacts, with the link."""
    row = messages.PartnerNote.build_for(referral, once=f"u{update.pk}")
    row.data["update"] = update.pk
    outbox.record(row, replace=False)


# Answers the officer is emailed about; the others she sees on the concern's page.
TELL_OFFICER = ("fixed", "partly_fixed", "not_ours", "wont_fix", "question")


def partner_answered(update, *, referral, concern, now: datetime) -> None:
    """A partner's answer: "fixed" asks her "is it fixed?" (concern_resolved); the officer is told of
    answers that need her (the sergeants too when it comes back to be re-routed or refused)."""
    if update.answer == "fixed":
        concern_resolved(concern, now=now)
    if update.answer not in TELL_OFFICER:
        return
    kind = messages.PartnerAnswered
    rows = []
    for user in kind.recipients(concern, answer=update.answer):
        row = _about_concern(kind, concern, user, once=f"u{update.pk}")
        row.data |= {"update": update.pk, "answer": update.answer}  # a question is also pushed
        rows.append(row)
    outbox.record(*rows, replace=False)
