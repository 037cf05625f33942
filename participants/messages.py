"""Messages to people, and the pairing messages (PRODUCT.md: Pairing, Reminders, Privacy).

`ToPerson` is the base of every kind sent to a resident or an officer: her chosen channel, her address,
and the discretion rule — messages to a resident never say "police" in the subject, the first lines or
an SMS unless she chose it, and the officer is named without her rank ("PC"): someone else may see her
phone. The pairing kinds below are about a resident (`about_type="resident"`), so a newer one replaces
an unsent older one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from walkandtalk.outbox.kinds import Gone, MessageKind, read_with_recipient, register
from walkandtalk.outbox.models import Notification

from .languages import ENGLISH, supported
from .models import ContactChannel, Officer, Pairing, Resident, User

LONDON = ZoneInfo("Europe/London")


def url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def when(moment: datetime) -> str:
    """ "Monday 3 March at 14:00", in London time and the active language (the message's). The date's
    format is a translatable Django date format (day and month names come from Django's own
    translations; Polish may want "l j E", the month's genitive)."""
    local = timezone.localtime(moment, LONDON)
    # Translators: "Monday 3 March" and "14:00"
    return _("%(day)s at %(time)s") % {
        # Translators: Django's date format: l weekday, j day, F month (E: the month as after a day,
        # which Polish needs: "l j E")
        "day": date_format(local, pgettext("Django date format: weekday, day, month", "l j F")),
        "time": date_format(local, "H:i"),
    }


def short_when(moment: datetime) -> str:
    """ "Mon 3 Mar 14:00", for an SMS."""
    local = timezone.localtime(moment, LONDON)
    return date_format(
        local, pgettext("Django date format: short weekday, day, short month, time", "D j M H:i")
    )


def officer_name(officer: Officer | None, *, mention_police: bool) -> str:
    if officer is None:
        return ""
    return officer.display_name if mention_police else officer.display_name.removeprefix("PC ")


def officer_first_name(officer: Officer | None, *, mention_police: bool) -> str:
    """For SMS: her first name only ("PC Sarah" if she opted in), so every text stays one message."""
    if officer is None:
        return ""
    first = officer.display_name.removeprefix("PC ").split(" ")[0][:20]
    return f"PC {first}" if mention_police and officer.display_name.startswith("PC ") else first


# Every message here reads the recipient's Resident row (channel, name, discretion), or her Officer row.
read_with_recipient("recipient__resident", "recipient__officer")


class ToPerson(MessageKind):
    """A message to a resident (on her channel, discreet) or to a member of staff (by email)."""

    @classmethod
    def channel_for(cls, recipient: User) -> str:
        return cls.resident_channel(getattr(recipient, "resident", None))

    @staticmethod
    def resident_channel(resident: Resident | None) -> str:
        """Her choice (SMS needs a mobile number); staff, who have no Resident row, get email."""
        if resident is not None and resident.contact_channel == ContactChannel.SMS and resident.mobile:
            return Notification.Channel.SMS
        return Notification.Channel.EMAIL

    @property
    def resident(self) -> Resident | None:
        return getattr(self.recipient, "resident", None)

    @property
    def mention_police(self) -> bool:
        """Staff messages may; a resident's only if she chose it."""
        resident = self.resident
        return resident is None or resident.mention_police_in_messages

    def language(self) -> str:
        """Hers (her profile, read now: she may have changed it since the message was recorded);
        English for staff, and for a language not translated yet."""
        resident = self.resident
        return supported(resident.language) if resident is not None else ENGLISH

    def address(self) -> str:
        if self.notification.channel == Notification.Channel.SMS:
            resident = self.resident
            if resident is None or not resident.mobile:
                raise Gone("She has no mobile number any more.")
            return str(resident.mobile)
        return self.recipient.email

    def name(self) -> str:
        if self.resident is not None:
            return self.resident.preferred_name
        officer = getattr(self.recipient, "officer", None)
        return officer.display_name if officer is not None else (self.recipient.get_full_name() or "there")

    def context(self) -> dict:
        return {
            **super().context(),
            "is_resident": self.resident is not None,
            "name": self.name(),
            "mention_police": self.mention_police,
            "home_url": settings.SITE_URL + "/",
            "site_url": settings.SITE_URL,
            "station_phone": settings.STATION_PHONE,
            "book_url": url("patrols:book"),
        }


# --- Pairing: about a resident -----------------------------------------------------------------


class AboutResident(ToPerson):
    about_type = "resident"

    @classmethod
    def recipients(cls, resident: Resident) -> list:
        return [resident.user]

    def load(self) -> None:
        if self.resident is None or self.resident.erased_at is not None:
            raise Gone("Her account has been erased.")

    def officer_context(self, officer: Officer | None) -> dict:
        return {
            "officer": officer,
            "officer_name": officer_name(officer, mention_police=self.mention_police),
            "officer_first_name": officer_first_name(officer, mention_police=self.mention_police),
        }


class AboutPairing(AboutResident):
    def load(self) -> None:
        super().load()
        self.pairing = Pairing.objects.select_related("officer").filter(pk=self.data.get("pairing")).first()
        if self.pairing is None:
            raise Gone("The pairing no longer exists.")

    def context(self) -> dict:
        return {
            **super().context(),
            "pairing": self.pairing,
            # her booked walks with the officer whose pairing ended (each has its own notice)
            "walks_cancelled": self.data.get("walks_cancelled", 0),
            **self.officer_context(self.pairing.officer),
        }


@register
class WaitingList(AboutResident):
    slug = "waiting_list"
    title = "Joined the waiting list"

    def why_not(self, *, now: datetime) -> str:
        return "" if self.resident.is_waiting else "She is no longer on the waiting list."


@register
class Paired(AboutPairing):
    slug = "paired"
    title = "Paired with an officer"
    supersedes = ("waiting_list",)

    def why_not(self, *, now: datetime) -> str:
        return "" if self.pairing.is_active else "The pairing has ended since: a newer message says so."

    def context(self) -> dict:
        return {**super().context(), "after_waiting": bool(self.data.get("after_waiting"))}


@register
class Reassigned(AboutPairing):
    slug = "reassigned"
    title = "Officer changed"
    # "You are paired with A", unsent, when she is moved to B: the newer message tells the current state.
    supersedes = ("paired", "reassigned", "waiting_list")

    def why_not(self, *, now: datetime) -> str:
        return "" if self.pairing.is_active else "The pairing has ended since: a newer message says so."

    def context(self) -> dict:
        previous = (
            Pairing.objects.filter(resident=self.pairing.resident_id, ended_at__isnull=False)
            .filter(ended_at__lte=self.pairing.started_at)
            .exclude(pk=self.pairing.pk)
            .select_related("officer")
            .order_by("-ended_at", "-pk")
            .first()
        )
        # in email bodies (after the discreet first line) she sees who is coming: name and rank
        return {
            **super().context(),
            "previous_officer_name": previous.officer.display_name if previous else "",
        }


@register
class PairingEnded(AboutPairing):
    slug = "pairing_ended"
    title = "Pairing ended"
    supersedes = ("paired", "reassigned")


@register
class RetentionWarning(AboutResident):
    slug = "retention_warning"
    title = "Details to be removed (inactive)"

    def why_not(self, *, now: datetime) -> str:
        return "" if self.resident.retention_warned_at is not None else "She has used her account since."

    def context(self) -> dict:
        removal = removal_date(self.resident)
        return {
            **super().context(),
            "retention_months": settings.RESIDENT_RETENTION_MONTHS,
            "removal_date": f"{removal:%-d %B %Y}",
            "removal_short_date": f"{removal:%-d %b %Y}",
            "sign_in_url": url("account_login"),
            "privacy_url": url("privacy"),
        }


def removal_date(resident: Resident) -> date:
    """When her details go if she does not sign in (counted from today until she has been warned)."""
    warned = resident.retention_warned_at or timezone.now()
    removal = warned + timedelta(days=settings.RESIDENT_RETENTION_NOTICE_DAYS)
    return timezone.localtime(removal, LONDON).date()
