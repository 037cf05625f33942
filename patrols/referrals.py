"""Partners close the loop: routing, referring, the partner's link, their answers and chasing
(PRODUCT.md: Partners; issue 15).

- `suggest` finds the routing rule for a concern (category × borough; the most specific wins). The
  officer confirms it or picks another partner; the sergeant can re-route later (`refer` again).
- `refer` hands a concern to one partner: a `Referral` row (its earlier ones stay, ended), a dated
  update, and the referral email to the partner's contacts through the outbox (exactly once).
- The partner's link is made with Django's signing, not django-sesame: sesame signs in a *user*, and
  partners have no accounts. `signing.dumps` over (referral id, link version) with the site's secret
  and a salt of its own is unguessable and cannot be altered; the row holds what a signature cannot:
  the expiry (pushed on 90 days by each use) and revocation (the sergeant raises the version, so
  every earlier link stops at once). Each use is written to the audit log.
- `answer` takes the partner's answer from the link's page and makes it a dated update that the
  officer and the sergeant see at once, and the resident sees in plain words.
- `chase_unacknowledged` (beat) reminds a partner once after 5 working days with no acknowledgement
  (England and Wales bank holidays, from the `holidays` package).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

import holidays
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from participants.audit import record_event
from participants.messages import url
from participants.models import AuditEvent, User

from . import notifications
from .concerns import ConcernError, check_follows_up
from .models import LONDON, Concern, ConcernUpdate, Partner, Referral, RoutingRule
from .reads import Joined

LINK_SALT = "patrols.referral-link"
LINK_LIFETIME = timedelta(days=90)
WORKING_DAYS_TO_ACKNOWLEDGE = 5
# An answer becomes one update, whose note has a limit; room is left for "<Partner> fixed it. Reason: ".
ANSWER_TEXT_LIMIT = ConcernUpdate._meta.get_field("note").max_length - 300


class ReferralError(ConcernError):
    """A referral or an answer that cannot be made; the message is fit for whoever tried."""


# --- Working days -------------------------------------------------------------------------------


@cache
def _bank_holidays(year: int) -> holidays.HolidayBase:
    # England and Wales share their bank holidays; "ENG" is the package's name for that list.
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days_after(start: datetime, days: int) -> datetime:
    """The same London time of day, `days` working days later (weekends and bank holidays skipped)."""
    local = timezone.localtime(start, LONDON)
    day, left = local.date(), days
    while left:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return datetime.combine(day, local.time(), tzinfo=LONDON)


# --- Routing ------------------------------------------------------------------------------------


def suggest(concern: Concern) -> RoutingRule | None:
    """The routing rule for this concern, or None: this category in its borough, then this category
    anywhere, then anything in its borough. Inactive partners are never suggested."""
    borough_id = concern.ward.borough_id
    rules = {
        (rule.category_id, rule.borough_id): rule
        for rule in RoutingRule.objects.filter(partner__is_active=True)
        .filter(Q(category_id=concern.category_id) | Q(category__isnull=True))
        .filter(Q(borough_id=borough_id) | Q(borough__isnull=True))
        .select_related("partner", "category", "borough")
    }
    for key in ((concern.category_id, borough_id), (concern.category_id, None), (None, borough_id)):
        if key in rules:
            return rules[key]
    return None


# --- Referring ----------------------------------------------------------------------------------


def refer(
    *, concern: Concern, partner: Partner, by: User, team: str = "", now: datetime | None = None
) -> Referral:
    """Send the concern to `partner` (the officer who logged it, or the sergeant). A concern already
    with another partner is re-routed: that referral ends, the new one starts."""
    now = now or timezone.now()
    check_follows_up(concern, by)
    if not partner.is_active:
        raise ReferralError(f"{partner} is not taking referrals. Choose another partner.")
    if not partner.contact_emails:
        raise ReferralError(
            f"{partner} has no contact email yet, so nobody would receive it. The sergeant can add one "
            "under Partners."
        )
    try:
        with transaction.atomic():
            # Only the concern's row is locked: its partner is a nullable (outer) join, which PostgreSQL
            # cannot lock, and the partner row needs no lock.
            concern = Concern.objects.select_for_update().get(pk=concern.pk)
            if concern.status not in (Concern.Status.OPEN, Concern.Status.REFERRED):
                raise ReferralError(
                    f"This concern is {concern.get_status_display().lower()}: reopen it before referring it."
                )
            current = concern.referrals.current().select_related("partner").first()
            if current is not None and current.partner_id == partner.pk:
                raise ReferralError(f"This concern is already with {partner}.")
            if current is not None:
                current.state, current.ended_at = Referral.State.REROUTED, now
                current.save(update_fields=["state", "ended_at"])
            referral = Referral.objects.create(
                concern=concern,
                partner=partner,
                team=team.strip(),
                referred_by=by,
                referred_at=now,
                ack_due_at=working_days_after(now, WORKING_DAYS_TO_ACKNOWLEDGE),
                link_expires_at=now + LINK_LIFETIME,
            )
            old_status = concern.status
            concern.status, concern.partner = Concern.Status.REFERRED, partner
            concern.save(update_fields=["status", "partner", "updated_at"])
            to = f"{partner}" + (f" ({referral.team})" if referral.team else "")
            ConcernUpdate.objects.create(
                concern=concern,
                by=by,
                at=now,
                referral=referral,
                note=f"Re-routed from {current.partner} to {to}." if current else f"Referred to {to}.",
                old_status=old_status if old_status != concern.status else "",
                new_status=concern.status if old_status != concern.status else "",
                shared_with_partner=True,
            )
            notifications.referral_sent(referral)
    except IntegrityError:
        # Another referral of this concern committed between our lock and insert (the partial unique
        # constraint keeps one partner at a time).
        raise ReferralError(
            "This concern has just been referred by someone else. Reload to see it."
        ) from None
    return referral


# --- The partner's link -------------------------------------------------------------------------


def link_token(referral: Referral) -> str:
    return signing.dumps({"r": referral.pk, "v": referral.link_version}, salt=LINK_SALT, compress=True)


def link_url(referral: Referral) -> str:
    return url("patrols:partner_referral", link_token(referral))


@dataclass
class LinkRefused(Exception):
    """The link cannot be used. `reason` is one of altered, revoked, expired; `message` is the page's."""

    reason: str
    message: str
    referral: Referral | None = None


# What a link's page shows: the referral's partner, and its concern's category and place.
_PAGE_PATHS = ("partner", "concern", "concern__category", "concern__ward", "concern__ward__borough")
# What an answer reads besides: the concern's walk and resident (who is asked "is it fixed?").
_ANSWER_PATHS = ("concern__walk", "concern__walk__resident", "concern__walk__resident__user")

# The referral a link names, with what its page shows.
_LINKED = Joined(Referral, *_PAGE_PATHS, where="root.id = %s")

# The referral being answered and its concern, both locked until the answer is written, with what the
# answer reads. `select_for_update(of=…)` on two querysets was two statements and two fifths of the
# answer's time.
_ANSWERED = Joined(
    Referral, "partner", "concern", *_ANSWER_PATHS, where="root.id = %s", lock=("root", "concern")
)

# A link opened to answer (a POST): what its page shows and what the answer reads, locked as the answer
# locks it, in one statement: the answer then takes this read instead of making its own (issue 16).
_LINKED_TO_ANSWER = Joined(
    Referral, *_PAGE_PATHS, *_ANSWER_PATHS, where="root.id = %s", lock=("root", "concern")
)


def open_link(token: str, *, now: datetime | None = None, request=None, answering: bool = False) -> Referral:
    """The referral a partner's link names, if it may still be used; each use renews it for 90 days
    and is written to the audit log. Raises LinkRefused (never says more than that to outsiders).

    `answering`: the link is opened to answer, inside the transaction the answer is written in. The
    referral and its concern are then read locked, with what the answer reads, so that
    `answer(…, locked=True)` takes this read."""
    if answering and not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("open a link to answer inside transaction.atomic()")
    now = now or timezone.now()
    try:
        payload = signing.loads(token, salt=LINK_SALT)
        pk, version = int(payload["r"]), int(payload["v"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused(
            "altered", "This link is not complete or has been changed. Open it again from the email."
        ) from None
    referral = (_LINKED_TO_ANSWER if answering else _LINKED).first([pk])
    if referral is None or referral.link_version != version or referral.link_revoked_at is not None:
        raise LinkRefused(
            "revoked",
            "This link has been withdrawn. If you still need it, ask the police team who sent it for a "
            "new one.",
            referral,
        )
    if referral.link_expires_at <= now:
        raise LinkRefused(
            "expired",
            "This link has expired (links last 90 days from their last use). Ask the police team who sent "
            "it for a new one.",
            referral,
        )
    Referral.objects.filter(pk=referral.pk).update(link_last_used_at=now, link_expires_at=now + LINK_LIFETIME)
    referral.link_last_used_at, referral.link_expires_at = now, now + LINK_LIFETIME
    record_event(
        actor=None,
        action=AuditEvent.Action.CHANGED if answering else AuditEvent.Action.VIEWED,
        obj=referral,
        request=request,
        label=f"partner link: {referral.partner.name}",
        detail=f"partner link {'answered' if answering else 'opened'}: referral {referral.pk}",
    )
    return referral


def revoke_link(*, referral: Referral, by: User, now: datetime | None = None) -> None:
    """The sergeant withdraws a referral's link: every link sent for it stops working at once."""
    now = now or timezone.now()
    Referral.objects.filter(pk=referral.pk).update(link_version=F("link_version") + 1, link_revoked_at=now)
    record_event(actor=by, action=AuditEvent.Action.CHANGED, obj=referral, detail="partner link revoked")


def send_new_link(*, referral: Referral, by: User, now: datetime | None = None) -> Referral:
    """A fresh link for the partner (after a revocation or an expiry), sent to its contacts."""
    now = now or timezone.now()
    if not referral.is_current:
        raise ReferralError("This referral has ended: refer the concern again instead.")
    with transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(
            link_version=F("link_version") + 1, link_revoked_at=None, link_expires_at=now + LINK_LIFETIME
        )
        referral.refresh_from_db()
        notifications.referral_sent(referral, once=f"link{referral.link_version}")
        record_event(actor=by, action=AuditEvent.Action.CHANGED, obj=referral, detail="partner link re-sent")
    return referral


# --- The partner's answers ----------------------------------------------------------------------


class Answer:
    ACKNOWLEDGE = "acknowledge"
    TARGET_DATE = "target_date"
    FIXED = "fixed"
    PARTLY_FIXED = "partly_fixed"
    NOT_OURS = "not_ours"
    WONT_FIX = "wont_fix"
    QUESTION = "question"
    NOTE = "note"

    choices = [
        (ACKNOWLEDGE, "We have it and will look at it (acknowledge)"),
        (TARGET_DATE, "We aim to fix it by a date"),
        (FIXED, "Fixed"),
        (PARTLY_FIXED, "Partly fixed"),
        (NOT_OURS, "Not ours"),
        (WONT_FIX, "We won’t fix it"),
        (QUESTION, "Ask the officer a question"),
        (NOTE, "Add a note"),
    ]
    labels = dict(choices)


# How each answer reads in the concern's history (the resident's plain words come from these too).
PLAIN = {
    Answer.ACKNOWLEDGE: "acknowledged it",
    Answer.TARGET_DATE: "aims to fix it by {target:%-d %B %Y}",
    Answer.FIXED: "fixed it",
    Answer.PARTLY_FIXED: "partly fixed it",
    Answer.NOT_OURS: "says it is not theirs",
    Answer.WONT_FIX: "won’t fix it",
    Answer.QUESTION: "asked a question",
    Answer.NOTE: "added a note",
}

# Its heading in the officer's history: "Lambeth Council: fixed".
ANSWER_HEADINGS = {
    Answer.ACKNOWLEDGE: "acknowledged",
    Answer.TARGET_DATE: "target date",
    Answer.FIXED: "fixed",
    Answer.PARTLY_FIXED: "partly fixed",
    Answer.NOT_OURS: "not ours",
    Answer.WONT_FIX: "won’t fix",
    Answer.QUESTION: "question",
    Answer.NOTE: "note",
}


def _check_answerable(referral: Referral, kind: str) -> None:
    if not referral.is_current:
        raise ReferralError("This concern is no longer with you: the police have passed it on or closed it.")
    if kind == Answer.FIXED and referral.state == Referral.State.FIXED:
        raise ReferralError("You have already marked this fixed.")


def answer(
    *,
    referral: Referral,
    kind: str,
    note: str = "",
    target_date: date | None = None,
    reason: str = "",
    suggested: str = "",
    now: datetime | None = None,
    locked: bool = False,
) -> ConcernUpdate:
    """The partner answers through its link. One answer, one dated update; what it changes:
    fixed → the concern is resolved and she is asked "is it fixed?"; not ours → back to the officer and
    the sergeant to re-route; won't fix → closed with the reason; a question → the officer is told.

    `locked`: `referral` was read by `open_link(…, answering=True)` in the transaction still open, so it
    and its concern are locked and current, and are not read again."""
    now = now or timezone.now()
    note, reason, suggested = note.strip(), reason.strip(), suggested.strip()
    if kind not in Answer.labels:
        raise ReferralError("Choose an answer.")
    if len(note) + len(reason) + len(suggested) > ANSWER_TEXT_LIMIT:
        # The answer becomes one update's note: refused whole, never cut.
        raise ReferralError(
            f"Your answer is too long: please keep the note, reason and suggestion to {ANSWER_TEXT_LIMIT:,} "
            "characters together."
        )
    today = timezone.localtime(now, LONDON).date()
    if kind == Answer.TARGET_DATE:
        if target_date is None:
            raise ReferralError("Give the date you aim to fix it by.")
        if target_date < today:
            raise ReferralError("The target date is in the past. Give today or a later date.")
    if kind == Answer.WONT_FIX and not reason:
        raise ReferralError("Say why you won’t fix it: the officer and the resident will read it.")
    if kind in (Answer.QUESTION, Answer.NOTE) and not note:
        raise ReferralError("Write your question." if kind == Answer.QUESTION else "Write your note.")
    if locked:
        if not transaction.get_connection().in_atomic_block:
            raise transaction.TransactionManagementError("a locked referral is answered in its transaction")
        _check_answerable(referral, kind)  # before the block: an error inside one would spoil the caller's
    # Inside the caller's transaction (locked) no savepoint: two round trips fewer, and nothing below
    # refuses the answer, so there is nothing to roll back to.
    with transaction.atomic(savepoint=not locked):
        if not locked:
            referral = _ANSWERED.first([referral.pk])
            _check_answerable(referral, kind)
        concern = referral.concern
        old_status = concern.status
        if referral.acknowledged_at is None and kind not in (Answer.QUESTION, Answer.NOTE):
            referral.acknowledged_at = now  # any real answer acknowledges it
        if kind in (Answer.ACKNOWLEDGE, Answer.TARGET_DATE) and referral.state in (
            Referral.State.SENT,
            Referral.State.REOPENED,
        ):
            referral.state = Referral.State.ACKNOWLEDGED
        if kind == Answer.TARGET_DATE:
            referral.target_date = target_date
        if kind == Answer.PARTLY_FIXED:
            referral.state = Referral.State.PARTLY_FIXED
        if kind == Answer.FIXED:
            referral.state, referral.fixed_at = Referral.State.FIXED, now
            concern.status, concern.resolved_at = Concern.Status.RESOLVED, now
        if kind == Answer.NOT_OURS:
            referral.state, referral.ended_at = Referral.State.NOT_OURS, now
            concern.status, concern.partner = Concern.Status.OPEN, None
        if kind == Answer.WONT_FIX:
            referral.state, referral.ended_at = Referral.State.WONT_FIX, now
            concern.status = Concern.Status.CLOSED
            concern.closed_reason = f"{referral.partner}: won’t fix — {reason}"[:300]
        referral.save(update_fields=["acknowledged_at", "state", "target_date", "fixed_at", "ended_at"])
        if concern.status != old_status or kind == Answer.NOT_OURS:
            concern.save(update_fields=["status", "resolved_at", "closed_reason", "partner", "updated_at"])
        text = f"{referral.partner} " + PLAIN[kind].format(target=target_date) + "."
        if kind == Answer.NOT_OURS and suggested:
            text += f" They suggest: {suggested}."
        if kind == Answer.WONT_FIX:
            text += f" Reason: {reason}"
        if note:
            text += f"\n{note}"
        update = ConcernUpdate.objects.create(
            concern=concern,
            at=now,
            by=None,
            referral=referral,
            answer=kind,
            note=text,
            old_status=old_status if concern.status != old_status else "",
            new_status=concern.status if concern.status != old_status else "",
            shared_with_partner=True,
        )
        notifications.partner_answered(update, referral=referral, concern=concern, now=now)
    return update


# --- Chasing and reopening ----------------------------------------------------------------------


def chase_unacknowledged(*, now: datetime | None = None) -> int:
    """Beat: remind each partner once about a referral left unacknowledged for 5 working days."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Referral.objects.unacknowledged_after(now)
            .filter(chased_at__isnull=True)
            .select_for_update(skip_locked=True)
            .select_related("partner")
        )
        for referral in due:
            referral.chased_at = now
        Referral.objects.bulk_update(due, ["chased_at"])
        notifications.referrals_chased(due)
    return len(due)


def not_fixed(concern: Concern, *, now: datetime) -> Referral | None:
    """The resident says it is not fixed (patrols/feedback.py, inside its transaction): a referral
    the partner had marked fixed is back with them, and they are told, with the link."""
    referral = concern.referrals.current().select_related("partner").select_for_update().first()
    if referral is None:
        return None
    referral.state, referral.fixed_at = Referral.State.REOPENED, None
    referral.save(update_fields=["state", "fixed_at"])
    notifications.referral_reopened(referral, now=now)
    return referral
