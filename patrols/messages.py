"""The walk and concern message kinds (one class per kind; the outbox sends them).

Each is rendered when it is sent, so it carries the walk's current details, and is asked first
whether it is still wanted (the walk may have been cancelled, moved or walked since it was written).
The rules of who is told of what are in patrols/notifications.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from participants.messages import ToPerson, officer_first_name, officer_name, short_when, url, when
from participants.models import Pairing, User
from walkandtalk.outbox.kinds import Attachment, Gone, register

from .calendar import walk_invite
from .models import LONDON, Concern, SafetyRating, Walk

# Walk messages that tell her the walk is on at a time: having been sent one, she knows of the walk.
TELL_WALK = ("booking_confirmation", "walk_moved")
# Every message about an upcoming walk that a move or a cancellation makes wrong.
UPCOMING_WALK = (*TELL_WALK, "reminder")


class AboutWalk(ToPerson):
    about_type = "walk"

    @classmethod
    def recipients(cls, walk: Walk) -> list:
        """Both of them, unless the kind says otherwise."""
        return [walk.resident.user, walk.officer.user]

    def load(self) -> None:
        self.walk = (
            Walk.objects.select_related("resident__user", "officer__user")
            .filter(pk=self.data.get("walk"))
            .first()
        )
        if self.walk is None:
            raise Gone("The walk no longer exists.")

    @property
    def written_for_this_time(self) -> bool:
        return self.data.get("version") == self.walk.version

    def context(self) -> dict:
        walk, mention_police = self.walk, self.mention_police
        return {
            **super().context(),
            "walk": walk,
            "when": when(walk.starts_at),
            "short_when": short_when(walk.starts_at),
            "officer": walk.officer,
            "officer_name": officer_name(walk.officer, mention_police=mention_police),
            "officer_first_name": officer_first_name(walk.officer, mention_police=mention_police),
            # who made the change: "resident", "officer" or "sergeant" (or "" for the system)
            "by_role": self.data.get("by_role", ""),
            "by_self": self.data.get("by") == self.recipient.pk,
            "walk_url": url("patrols:walk_detail", walk.pk),
            "feedback_url": url("patrols:walk_feedback", walk.pk),
        }


class WithInvite(AboutWalk):
    """Carries the walk as a calendar invite: the same event (UID) in her calendar, a higher SEQUENCE
    for each change, so her calendar app moves or removes it (RFC 5546)."""

    method = "REQUEST"

    def attachments(self, context: dict) -> list[Attachment]:
        walk = self.walk
        invite = walk_invite(
            walk,
            method=self.method,
            attendee=self.recipient.email,
            mention_police=self.mention_police,
            for_officer=self.resident is None,
        )
        mimetype = f"text/calendar; method={self.method}"
        return [Attachment(f"walk-{walk.local_start:%Y-%m-%d-%H%M}.ics", invite, mimetype)]

    def why_not(self, *, now: datetime) -> str:
        if self.walk.status == Walk.Status.CANCELLED:
            return "The walk was cancelled."
        if not self.written_for_this_time:
            return "The walk was moved again: a newer message tells the current time."
        return ""


@register
class BookingConfirmation(WithInvite):
    slug = "booking_confirmation"
    title = "Booking confirmation"
    # Booked, then moved before this went: one confirmation, for the new time.
    supersedes = UPCOMING_WALK


@register
class WalkMoved(WithInvite):
    slug = "walk_moved"
    title = "Walk moved"
    supersedes = ("walk_moved", "reminder")


@register
class WalkCancelled(WithInvite):
    slug = "walk_cancelled"
    title = "Walk cancelled"
    supersedes = UPCOMING_WALK
    method = "CANCEL"

    def why_not(self, *, now: datetime) -> str:
        return "" if self.walk.status == Walk.Status.CANCELLED else "The walk is not cancelled."


@register
class Reminder(AboutWalk):
    slug = "reminder"
    title = "Reminder before a walk"

    def why_not(self, *, now: datetime) -> str:
        if self.walk.status == Walk.Status.CANCELLED:
            return "The walk was cancelled."
        if not self.written_for_this_time:
            return "The walk was moved: this reminder was for its old time."
        if self.walk.status != Walk.Status.BOOKED or self.walk.starts_at <= now:
            return "The walk has already started."
        return ""


@register
class FeedbackRequest(AboutWalk):
    slug = "feedback_request"
    title = "How safe do you feel now?"

    @classmethod
    def recipients(cls, walk: Walk) -> list:
        return [walk.resident.user]

    def why_not(self, *, now: datetime) -> str:
        if self.walk.status != Walk.Status.COMPLETED:
            return "The walk was not completed."
        if SafetyRating.objects.filter(walk=self.walk).exists():
            return "She has already said how safe she feels."
        return ""


@register
class ConcernNudge(AboutWalk):
    slug = "concern_nudge"
    title = "Nudge: log the walk’s concerns"

    @classmethod
    def recipients(cls, walk: Walk) -> list:
        return [walk.officer.user]

    def why_not(self, *, now: datetime) -> str:
        if self.walk.status != Walk.Status.COMPLETED:
            return "The walk was not completed."
        if self.walk.nothing_to_log_at is not None or self.walk.concerns.exists():
            return "The walk’s concerns are logged."
        return ""


@register
class RepeatWalkOffer(AboutWalk):
    slug = "repeat_walk_offer"
    title = "Offer of a repeat walk"

    @classmethod
    def recipients(cls, walk: Walk) -> list:
        return [walk.resident.user]

    def why_not(self, *, now: datetime) -> str:
        if self.walk.concerns.unresolved().exists():
            return "Not every concern from the walk is resolved any more."
        if (
            not Pairing.objects.active()
            .filter(resident=self.walk.resident, officer=self.walk.officer)
            .exists()
        ):
            return "She is no longer paired with that officer."
        return ""


class AboutConcern(AboutWalk):
    about_type = "concern"

    @classmethod
    def recipients(cls, concern: Concern) -> list:
        return [concern.walk.resident.user]

    def load(self) -> None:
        super().load()
        self.concern = Concern.objects.select_related("category").filter(pk=self.data.get("concern")).first()
        if self.concern is None:
            raise Gone("The concern no longer exists.")

    def context(self) -> dict:
        concern = self.concern
        return {
            **super().context(),
            "concern": concern,
            "fixed_url": url("patrols:concern_fixed", concern.pk),
            "concern_url": url("patrols:concern_detail", concern.pk),
        }


@register
class ConcernResolved(AboutConcern):
    slug = "concern_resolved"
    title = "Is it fixed?"

    def why_not(self, *, now: datetime) -> str:
        return "" if self.concern.status == Concern.Status.RESOLVED else "The concern is no longer resolved."


@register
class ConcernReopened(AboutConcern):
    slug = "concern_reopened"
    title = "Not fixed, says the resident"

    @classmethod
    def recipients(cls, concern: Concern) -> list:
        return [concern.officer.user]  # the officer who logged it

    def why_not(self, *, now: datetime) -> str:
        if self.concern.status not in (Concern.Status.OPEN, Concern.Status.REFERRED):
            return "The concern has been resolved or closed again since."
        return ""


@register
class DayPlan(ToPerson):
    slug = "day_plan"
    title = "Officer’s day plan"
    about_type = "officer"

    @classmethod
    def recipients(cls, day: date) -> list:
        """Each officer with booked walks on that London day."""
        start = datetime.combine(day, datetime.min.time(), tzinfo=LONDON)
        return list(
            User.objects.filter(
                officer__walks__status=Walk.Status.BOOKED,
                officer__walks__starts_at__gte=start,
                officer__walks__starts_at__lt=start + timedelta(days=1),
            )
            .select_related("officer")
            .distinct()
        )

    def load(self) -> None:
        self.officer = getattr(self.recipient, "officer", None)
        if self.officer is None:
            raise Gone("She is no longer an officer.")
        self.day = date.fromisoformat(self.data["day"])
        self.day_walks = list(
            Walk.objects.filter(officer=self.officer, status=Walk.Status.BOOKED)
            .filter(starts_at__date=self.day)
            .select_related("resident")
            .order_by("starts_at")
        )

    def why_not(self, *, now: datetime) -> str:
        return "" if self.day_walks else "She has no walks that day any more."

    def context(self) -> dict:
        return {**super().context(), "day": self.day, "day_walks": self.day_walks}
