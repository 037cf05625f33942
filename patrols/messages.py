"""The walk and concern message kinds (one class per kind; the outbox sends them).

Each is rendered when it is sent, so it carries the walk's current details, and is asked first
whether it is still wanted (the walk may have been cancelled, moved or walked since it was written).
The rules of who is told of what are in patrols/notifications.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings

from participants.messages import ToPerson, officer_first_name, officer_name, short_when, url, when
from participants.models import Pairing, User
from participants.roles import SERGEANTS
from walkandtalk.outbox.kinds import Attachment, Gone, MessageKind, register
from walkandtalk.outbox.push import PushContent

from .calendar import walk_invite
from .models import LONDON, Concern, ConcernUpdate, Referral, SafetyRating, Walk

# Walk messages that tell her the walk is on at a time: having been sent one, she knows of the walk.
TELL_WALK = ("booking_confirmation", "walk_moved")
# Every message about an upcoming walk that a move or a cancellation makes wrong.
UPCOMING_WALK = (*TELL_WALK, "reminder")


class AboutWalk(ToPerson):
    about_type = "walk"
    # On an officer's lock screen: what happened and when, never who (push_content).
    push_title = ""
    push_body = "Open to see the walk."

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
            # hers at /walks/<pk>/; her officer's in the officer's app (/app/walks/<pk>/)
            "walk_url": url(
                "patrols:walk_detail" if self.resident is not None else "patrols:officer_walk", walk.pk
            ),
            "feedback_url": url("patrols:walk_feedback", walk.pk),
        }

    def push_content(self, context: dict) -> PushContent:
        if self.resident is not None:
            # Only officers turn push on (participants' push page); a resident is told on her channel.
            raise Gone("Push goes to officers' phones only.")
        return PushContent(
            title=f"{self.push_title}: {context['short_when']}",
            body=self.push_body,
            url=context["walk_url"],
            tag=f"walk-{self.walk.pk}",
        )


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
    push = True
    push_title = "Walk booked"
    # Booked, then moved before this went: one confirmation, for the new time.
    supersedes = UPCOMING_WALK


@register
class WalkMoved(WithInvite):
    slug = "walk_moved"
    title = "Walk moved"
    push = True
    push_title = "Walk moved"
    push_body = "Open to see the new time."
    supersedes = ("walk_moved", "reminder")


@register
class WalkCancelled(WithInvite):
    slug = "walk_cancelled"
    title = "Walk cancelled"
    push = True
    push_title = "Walk cancelled"
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
    push = True

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
        return {
            **super().context(),
            "day": self.day,
            "day_walks": self.day_walks,
            "today_url": url("patrols:today"),
        }

    def push_content(self, context: dict) -> PushContent:
        count = len(self.day_walks)
        return PushContent(
            title=f"Your day: {count} walk{'s' if count != 1 else ''} on {self.day:%a %-d %b}",
            body="Open Today for the times and meeting points.",
            url=url("patrols:today"),
            tag=f"day-plan-{self.day:%Y-%m-%d}",
        )


# --- Partners: referrals by email, with the link to answer (patrols/referrals.py) -----------------


class ToPartner(MessageKind):
    """To a partner's contact addresses (no account): what and where, never who. Its addresses are
    the partner's when it is sent, so a contact the sergeant corrects gets the next message."""

    about_type = "referral"

    @classmethod
    def build_for(cls, referral: Referral, *, once: str = "", due_at: datetime | None = None):
        return cls.build(
            recipient=None,
            about_id=referral.pk,
            data={"referral": referral.pk},
            once=once,
            due_at=due_at,
            to_label=referral.partner.name,
        )

    def load(self) -> None:
        self.referral = (
            Referral.objects.select_related("partner", "concern__category", "concern__ward__borough")
            .filter(pk=self.data.get("referral"))
            .first()
        )
        if self.referral is None:
            raise Gone("The referral no longer exists.")

    def why_not(self, *, now: datetime) -> str:
        if not self.referral.is_current:
            return "The concern is no longer with this partner."
        if not self.referral.partner.contact_emails:
            return "The partner has no contact email."
        return ""

    def addresses(self) -> list[str]:
        return list(self.referral.partner.contact_emails)

    def context(self) -> dict:
        from .referrals import link_url

        referral = self.referral
        return {
            **super().context(),
            **partner_view(referral.concern),
            "referral": referral,
            "partner": referral.partner,
            "link_url": link_url(referral),
            "station_phone": settings.STATION_PHONE,
        }


def partner_view(concern: Concern) -> dict:
    """What a partner may know of a concern: what and where, the officer's action, her words only if
    the officer shared them. Never her name, her contact details, her walk or any disclosure."""
    pin = concern.latitude is not None and concern.longitude is not None
    return {
        "concern": concern,
        "category": concern.category.name,
        "severity": concern.get_severity_display(),
        "when_it_matters": concern.get_when_it_matters_display(),
        "place": concern.location_text,
        "ward": concern.ward.name,
        "borough": concern.ward.borough.name,
        "latitude": concern.latitude if pin else None,
        "longitude": concern.longitude if pin else None,
        "map_url": (
            f"https://www.openstreetmap.org/?mlat={concern.latitude}&mlon={concern.longitude}"
            f"#map=18/{concern.latitude}/{concern.longitude}"
            if pin
            else ""
        ),
        "action": concern.action,
        "resident_said": concern.resident_said if concern.resident_said_shared else "",
    }


@register
class PartnerReferral(ToPartner):
    slug = "partner_referral"
    title = "Referral to a partner"


@register
class PartnerChase(ToPartner):
    slug = "partner_chase"
    title = "Referral reminder to a partner"

    def why_not(self, *, now: datetime) -> str:
        if self.referral.acknowledged_at is not None:
            return "The partner has acknowledged it since."
        return super().why_not(now=now)


@register
class PartnerReopened(ToPartner):
    slug = "partner_reopened"
    title = "Not fixed: back to the partner"

    def why_not(self, *, now: datetime) -> str:
        if self.referral.state != Referral.State.REOPENED:
            return "The partner has answered since."
        return super().why_not(now=now)


@register
class PartnerNote(ToPartner):
    """A note the police shared with the partner (the officer ticked "Share this note with …")."""

    slug = "partner_note"
    title = "A note shared with a partner"

    def load(self) -> None:
        super().load()
        self.update = ConcernUpdate.objects.filter(
            pk=self.data.get("update"), shared_with_partner=True
        ).first()
        if self.update is None:
            raise Gone("The note no longer exists.")

    def why_not(self, *, now: datetime) -> str:
        # Sent even when the note ends the referral ("closed: thank you"): the page then says so.
        if not self.referral.partner.contact_emails:
            return "The partner has no contact email."
        return ""

    def context(self) -> dict:
        return {**super().context(), "update": self.update, "shared_note": self.update.note}


@register
class PartnerAnswered(AboutConcern):
    """To the officer who logged it (and, for "not ours" and "won't fix", the sergeants): a partner
    answered in a way that needs her."""

    slug = "partner_answered"
    title = "A partner answered"

    @classmethod
    def pushed(cls, row) -> bool:
        # A question waits for her; the other answers can wait for her email.
        return row.data.get("answer") == "question"

    def push_content(self, context: dict) -> PushContent:
        return PushContent(
            title="A partner has a question",
            body="About a concern you logged. Open to answer.",
            url=context["concern_url"],
            tag=f"concern-{self.concern.pk}",
        )

    @classmethod
    def recipients(cls, concern: Concern, *, answer: str = "") -> list:
        people = [concern.officer.user]
        if answer in ("not_ours", "wont_fix"):
            people += list(
                User.objects.filter(groups__name=SERGEANTS, is_active=True).exclude(pk=people[0].pk)
            )
        return people

    def load(self) -> None:
        super().load()
        self.update = (
            ConcernUpdate.objects.select_related("referral__partner")
            .filter(pk=self.data.get("update"))
            .first()
        )
        if self.update is None:
            raise Gone("The answer no longer exists.")

    def context(self) -> dict:
        from .referrals import ANSWER_HEADINGS

        return {
            **super().context(),
            "update": self.update,
            "partner": self.update.referral.partner if self.update.referral else None,
            "answer": self.update.answer,
            "answer_heading": ANSWER_HEADINGS.get(self.update.answer, self.update.answer),
        }
