"""Issue 13, point 8: the data migration (patrols 0008) moves existing rows into the outbox, and
nothing sent is sent again.

The database goes back to before the move (patrols 0007, no outbox), old-format rows are written
into patrols_notification as the old code wrote them, the migrations run forward, and each row is
checked in outbox_notification; then the dispatcher runs. The people, walks and concerns are made
with the factories first: 0008 changes no table but the notifications, so today's models fit. The
database is migrated back to the latest state at the end, whatever happens (other tests share it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from patrols.models import LONDON, Concern, ConcernCategory, Walk
from tests.factories import OfficerFactory, PairingFactory, ResidentFactory, WalkFactory
from walkandtalk.outbox import dispatch
from walkandtalk.outbox.models import Notification

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Before the outbox existed: patrols at 0007 (its own Notification table), the outbox unapplied.
BEFORE = [("patrols", "0007_concern_reopened_kind"), ("outbox", None)]

# The dispatcher's clock: the morning of the walk below.
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=LONDON)
EARLIER = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


OLD_COLUMNS = (
    "id, recipient_id, channel, kind, walk_id, concern_id, pairing_id, idempotency_key, due_at, "
    "status, attempts, last_error, provider_reference, created_at, sent_at"
)


def insert_old(**row) -> None:
    values = {
        "channel": "email",
        "walk_id": None,
        "concern_id": None,
        "pairing_id": None,
        "status": "pending",
        "attempts": 0,
        "last_error": "",
        "provider_reference": "",
        "created_at": EARLIER,
        "sent_at": None,
        **row,
    }
    names = [name.strip() for name in OLD_COLUMNS.split(",")]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO patrols_notification ({OLD_COLUMNS}) VALUES ({', '.join(['%s'] * len(names))})",  # noqa: S608 — fixed column names
            [values[name] for name in names],
        )


def test_the_move_to_the_outbox_keeps_every_row_and_sends_nothing_twice():
    officer = OfficerFactory()
    resident = ResidentFactory(retention_warned_at=EARLIER)  # warned, inactive since
    pairing = PairingFactory(resident=resident, officer=officer)
    starts = datetime(2026, 12, 8, 19, 0, tzinfo=LONDON)
    walk = WalkFactory(
        resident=resident, officer=officer, starts_at=starts, ends_at=starts + timedelta(hours=1), version=2
    )
    walked = datetime(2026, 11, 17, 19, 0, tzinfo=LONDON)
    earlier_walk = WalkFactory(
        resident=resident,
        officer=officer,
        starts_at=walked,
        ends_at=walked + timedelta(hours=1),
        status=Walk.Status.COMPLETED,
    )
    concern = Concern.objects.create(
        walk=earlier_walk,
        officer=officer,
        ward=resident.ward,
        category=ConcernCategory.objects.first() or ConcernCategory.objects.create(name="Street lighting"),
        location_text="Rye Lane, by the bus stop",
        status=Concern.Status.RESOLVED,
        resolved_at=EARLIER,
    )
    her, officer_user = resident.user_id, officer.user_id
    reminder_due = starts.astimezone(UTC) - timedelta(hours=24)
    day_plan_due = datetime(2026, 12, 8, 7, 0, tzinfo=LONDON)

    try:
        migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('outbox_notification'), to_regclass('patrols_notification')")
            assert cursor.fetchone() == (None, "patrols_notification")

        # As the old code wrote them (patrols/notifications.py before the outbox moved).
        insert_old(
            id=901,
            recipient_id=her,
            kind="booking_confirmation",
            walk_id=walk.pk,
            idempotency_key=f"walk:{walk.pk}:v2:booking_confirmation:user:{her}",
            due_at=EARLIER,
            status="sent",
            attempts=1,
            sent_at=EARLIER + timedelta(seconds=3),
        )
        insert_old(
            id=902,
            recipient_id=her,
            kind="reminder",
            walk_id=walk.pk,
            idempotency_key=f"walk:{walk.pk}:v2:reminder:24h:user:{her}",
            due_at=reminder_due,
        )
        insert_old(
            id=903,
            recipient_id=officer_user,
            kind="day_plan",
            idempotency_key=f"general:day_plan:2026-12-08:user:{officer_user}",
            due_at=day_plan_due,
        )
        insert_old(
            id=904,
            recipient_id=her,
            kind="paired",
            pairing_id=pairing.pk,
            idempotency_key=f"pairing:{pairing.pk}:paired:after_waiting:user:{her}",
            due_at=EARLIER,
        )
        insert_old(
            id=905,
            recipient_id=her,
            kind="concern_resolved",
            walk_id=earlier_walk.pk,
            concern_id=concern.pk,
            idempotency_key=(
                f"walk:{earlier_walk.pk}:v1:concern_resolved:concern:{concern.pk}:20261201120000:user:{her}"
            ),
            due_at=EARLIER,
        )
        insert_old(
            id=906,
            recipient_id=her,
            kind="retention_warning",
            idempotency_key=f"general:retention_warning:20261201:user:{her}",
            due_at=EARLIER,
        )
    finally:
        migrate(latest())

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('patrols_notification')")
        assert cursor.fetchone() == (None,)  # the old table is gone

    rows = {row.pk: row for row in Notification.objects.all()}
    assert sorted(rows) == [901, 902, 903, 904, 905, 906]
    moved = {
        pk: (row.kind, row.recipient_id, row.status, row.due_at, row.about_type, row.about_id)
        for pk, row in rows.items()
    }
    assert moved == {
        901: ("booking_confirmation", her, "sent", EARLIER, "walk", walk.pk),
        902: ("reminder", her, "pending", reminder_due, "walk", walk.pk),
        903: ("day_plan", officer_user, "pending", day_plan_due, "officer", officer.pk),
        904: ("paired", her, "pending", EARLIER, "resident", resident.pk),
        905: ("concern_resolved", her, "pending", EARLIER, "concern", concern.pk),
        906: ("retention_warning", her, "pending", EARLIER, "resident", resident.pk),
    }
    # What the old key encoded, read out of it this once.
    assert {pk: row.data for pk, row in rows.items()} == {
        901: {"walk": walk.pk, "version": 2},
        902: {"walk": walk.pk, "version": 2, "hours": 24},
        903: {"day": "2026-12-08"},
        904: {"pairing": pairing.pk, "after_waiting": True},
        905: {"walk": earlier_walk.pk, "version": 1, "concern": concern.pk},
        906: {},
    }
    sent = rows[901]
    assert (sent.sent_at, sent.attempts, sent.reclaimed) == (EARLIER + timedelta(seconds=3), 1, False)
    assert sent.idempotency_key == f"walk:{walk.pk}:v2:booking_confirmation:user:{her}"  # kept whole

    # The dispatcher, afterwards: the sent confirmation stays as it was; the pending ones go.
    assert dispatch.dispatch_due(now=NOW) == 5
    after = {row.pk: row for row in Notification.objects.all()}
    assert {pk: (row.status, row.note) for pk, row in after.items()} == dict.fromkeys(rows, ("sent", ""))
    assert (after[901].sent_at, after[901].attempts) == (sent.sent_at, 1)
    told = {message.extra_headers["X-Walkandtalk-Key"]: message for message in mail.outbox}
    assert set(told) == {rows[pk].idempotency_key for pk in (902, 903, 904, 905, 906)}
    assert sent.idempotency_key not in told
    assert "Good news" in told[rows[904].idempotency_key].body  # after waiting, as the old key said
    assert told[rows[903].idempotency_key].to == [officer.user.email]
    # A second run finds nothing to do.
    assert dispatch.dispatch_due(now=NOW + timedelta(minutes=1)) == 0
    assert len(mail.outbox) == 5

    # New rows are numbered after the moved ones (the sequence was set past them).
    fresh = Notification.objects.create(
        recipient_id=her, kind="waiting_list", idempotency_key="after-the-move", due_at=timezone.now()
    )
    assert fresh.pk > 906
