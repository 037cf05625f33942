"""Messages to residents about their pairing.

For now each is a plain email sent once the change is committed; the notification outbox
(patrols.Notification) takes these over. Subjects and first lines are discreet: they never say
"police" (someone else may see her phone).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from .models import Pairing, Resident


def _email_resident(resident: Resident, template: str, subject: str, context: dict) -> None:
    context = {
        "resident": resident,
        "site_url": settings.SITE_URL,
        "station_phone": settings.STATION_PHONE,
        **context,
    }
    body = render_to_string(f"email/{template}.txt", context)
    address = resident.user.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [address]))


def waiting_list_joined(resident: Resident) -> None:
    _email_resident(resident, "waiting_list_joined", "You're on the Walk and Talk waiting list", {})


def paired(pairing: Pairing, *, after_waiting: bool) -> None:
    _email_resident(
        pairing.resident,
        "paired",
        "Your Walk and Talk walking partner",
        {"officer": pairing.officer, "after_waiting": after_waiting},
    )


def reassigned(pairing: Pairing, *, previous: Pairing | None) -> None:
    _email_resident(
        pairing.resident,
        "reassigned",
        "A change to your Walk and Talk walking partner",
        {"officer": pairing.officer, "previous": previous},
    )


def pairing_ended(pairing: Pairing) -> None:
    _email_resident(
        pairing.resident,
        "pairing_ended",
        "A change to your Walk and Talk walking partner",
        {"officer": pairing.officer},
    )
