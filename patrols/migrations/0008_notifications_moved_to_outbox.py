# The outbox moves to its own package (walkandtalk/outbox). Every row is copied, with its status, so
# nothing sent is sent again and nothing pending is lost. What the old key encoded (the walk's version,
# a reminder's hours, a day plan's day, "after waiting") is read out of it this once, into `data`;
# from here on nothing parses a key.

from django.db import migrations

COPY = r"""
INSERT INTO outbox_notification (
    id, recipient_id, channel, kind, about_type, about_id, data, idempotency_key, due_at, status,
    attempts, reclaimed, note, provider_reference, created_at, sent_at
)
SELECT
    n.id, n.recipient_id, n.channel, n.kind,
    CASE
        WHEN n.kind IN ('concern_resolved', 'concern_reopened') THEN 'concern'
        WHEN n.walk_id IS NOT NULL THEN 'walk'
        WHEN n.kind = 'day_plan' THEN 'officer'
        ELSE 'resident'
    END,
    CASE
        WHEN n.kind IN ('concern_resolved', 'concern_reopened') THEN n.concern_id
        WHEN n.walk_id IS NOT NULL THEN n.walk_id
        WHEN n.kind = 'day_plan' THEN (SELECT o.id FROM participants_officer o WHERE o.user_id = n.recipient_id)
        ELSE COALESCE(
            (SELECT p.resident_id FROM participants_pairing p WHERE p.id = n.pairing_id),
            (SELECT r.id FROM participants_resident r WHERE r.user_id = n.recipient_id)
        )
    END,
    jsonb_strip_nulls(jsonb_build_object(
        'walk', n.walk_id,
        'version', ((regexp_match(n.idempotency_key, '^walk:\d+:v(\d+):'))[1])::int,
        'concern', n.concern_id,
        'pairing', n.pairing_id,
        'day', (regexp_match(n.idempotency_key, ':day_plan:(\d{4}-\d{2}-\d{2}):'))[1],
        'hours', ((regexp_match(n.idempotency_key, ':reminder:(\d+)h:'))[1])::int,
        'after_waiting', CASE WHEN n.idempotency_key LIKE '%%:after_waiting:user:%%' THEN true END
    )),
    n.idempotency_key, n.due_at, n.status, n.attempts, false, n.last_error, n.provider_reference,
    n.created_at, n.sent_at
FROM patrols_notification n;
SELECT setval(
    pg_get_serial_sequence('outbox_notification', 'id'),
    COALESCE((SELECT max(id) FROM outbox_notification), 0) + 1,
    false
);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("patrols", "0007_concern_reopened_kind"),
        ("participants", "0004_audit_log_and_retention"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        # Going back would need the old key format rebuilt: not supported (the copy stays).
        migrations.RunSQL(COPY, reverse_sql=migrations.RunSQL.noop),
        migrations.DeleteModel(name="Notification"),
    ]
