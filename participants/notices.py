"""Messages to residents about their pairing, written to the outbox in the pairing change's own
transaction: the dispatcher sends them, so a message is never lost with a worker and never sent for a
change that was rolled back. The kinds are in participants/messages.py."""

from __future__ import annotations

from walkandtalk.outbox import outbox

from . import messages
from .models import Pairing, Resident


def waiting_list_joined(resident: Resident) -> None:
    # Once per spell on the waiting list.
    outbox.record(
        messages.WaitingList.build(
            recipient=resident.user,
            about_id=resident.pk,
            once=f"since:{resident.waiting_since:%Y%m%d%H%M%S%f}",
        )
    )


def _about_pairing(kind: type[messages.AboutPairing], pairing: Pairing, **data) -> None:
    outbox.record(
        kind.build(
            recipient=pairing.resident.user,
            about_id=pairing.resident_id,
            data={"pairing": pairing.pk, **data},
            once=f"pairing:{pairing.pk}",
        )
    )


def paired(pairing: Pairing, *, after_waiting: bool) -> None:
    _about_pairing(messages.Paired, pairing, after_waiting=after_waiting)


def reassigned(pairing: Pairing, *, previous: Pairing | None, walks_cancelled: int = 0) -> None:
    # The message names the previous officer from the pairing history when it is sent.
    _about_pairing(messages.Reassigned, pairing, walks_cancelled=walks_cancelled)


def pairing_ended(pairing: Pairing, *, walks_cancelled: int = 0) -> None:
    _about_pairing(messages.PairingEnded, pairing, walks_cancelled=walks_cancelled)
