"""Messages to residents about their pairing.

Each is a row in the notification outbox (patrols.Notification), written in the pairing change's own
transaction; the dispatcher sends it (patrols/dispatch.py), so a message is never lost with a worker
and never sent for a change that was rolled back. Subjects and first lines are discreet.
"""

from __future__ import annotations

from .models import Pairing, Resident


def _outbox():
    # Imported when used: patrols depends on participants, not the other way round at import time.
    from patrols import notifications

    return notifications


def waiting_list_joined(resident: Resident) -> None:
    _outbox().waiting_list_joined(resident)


def paired(pairing: Pairing, *, after_waiting: bool) -> None:
    _outbox().paired(pairing, after_waiting=after_waiting)


def reassigned(pairing: Pairing, *, previous: Pairing | None) -> None:
    # The message names the previous officer from the pairing history when it is sent.
    _outbox().reassigned(pairing)


def pairing_ended(pairing: Pairing) -> None:
    _outbox().pairing_ended(pairing)
