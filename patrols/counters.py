"""The dashboard's current-state counters (issue 16): OfficerWorkload, OpenConcernCount, ResidentSafety.

They are kept by PostgreSQL triggers, not by the services, because a counter that one code path forgets
is wrong forever: the booking and concern services, the admin, the partner loop, erasure, data
migrations and a test's `.update()` all change the counted rows, and each change moves its counters in
the same transaction (a rollback takes the counter back with it). Each trigger fires only when a
counted column changes (the WHEN clauses), so an ordinary save costs nothing more.

- pairings → OfficerWorkload.residents (+1/−1 as an active pairing starts, ends or moves);
- concerns → OfficerWorkload.open_concerns and OpenConcernCount (ward × partner), as a concern
  becomes or stops being open/referred, or moves to another officer, ward or partner;
- concerns → OpenConcernDay (ward × the London day it was logged), kept by a trigger of its own
  (DAYS_SQL, migration 0013) as a concern becomes or stops being unresolved, or moves ward or day;
- completed walks → OfficerWorkload.last_walk_at (the latest start; recomputed from the
  (officer, starts_at) index in the rare case a completed walk is changed or removed);
- safety ratings → ResidentSafety.latest_rating (recomputed from rating_resident_latest_idx: one index
  step).

`rebuild()` recomputes everything from the counted tables (the migration's backfill; seed_scale after
its COPY, which runs with these triggers off so 1.5 million concerns don't upsert one by one).
"""

from __future__ import annotations

from django.db import connection

UNRESOLVED = "('open', 'referred')"

FUNCTIONS_SQL = f"""
CREATE OR REPLACE FUNCTION wt_workload_bump(officer bigint, residents integer, open_concerns integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO patrols_officerworkload (officer_id, residents, open_concerns, last_walk_at)
    VALUES (officer, residents, open_concerns, NULL)
    ON CONFLICT (officer_id) DO UPDATE SET
        residents = patrols_officerworkload.residents + EXCLUDED.residents,
        open_concerns = patrols_officerworkload.open_concerns + EXCLUDED.open_concerns;
$$;

CREATE OR REPLACE FUNCTION wt_open_concern_bump(ward bigint, partner bigint, delta integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO patrols_openconcerncount (ward_id, partner_id, count) VALUES (ward, partner, delta)
    ON CONFLICT (ward_id, partner_id) DO UPDATE SET count = patrols_openconcerncount.count + EXCLUDED.count;
$$;

CREATE OR REPLACE FUNCTION wt_pairing_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.ended_at IS NULL THEN
        PERFORM wt_workload_bump(OLD.officer_id, -1, 0);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.ended_at IS NULL THEN
        PERFORM wt_workload_bump(NEW.officer_id, 1, 0);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION wt_concern_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN {UNRESOLVED} THEN
        PERFORM wt_workload_bump(OLD.officer_id, 0, -1);
        PERFORM wt_open_concern_bump(OLD.ward_id, OLD.partner_id, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN {UNRESOLVED} THEN
        PERFORM wt_workload_bump(NEW.officer_id, 0, 1);
        PERFORM wt_open_concern_bump(NEW.ward_id, NEW.partner_id, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION wt_walk_last() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'completed' THEN
        UPDATE patrols_officerworkload SET last_walk_at = (
            SELECT max(starts_at) FROM patrols_walk WHERE officer_id = OLD.officer_id AND status = 'completed'
        ) WHERE officer_id = OLD.officer_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'completed' THEN
        INSERT INTO patrols_officerworkload (officer_id, residents, open_concerns, last_walk_at)
        VALUES (NEW.officer_id, 0, 0, NEW.starts_at)
        ON CONFLICT (officer_id) DO UPDATE SET
            last_walk_at = GREATEST(patrols_officerworkload.last_walk_at, EXCLUDED.last_walk_at);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION wt_resident_safety_refresh(resident bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    latest smallint;
BEGIN
    SELECT rating INTO latest FROM patrols_safetyrating
        WHERE resident_id = resident ORDER BY created_at DESC, id DESC LIMIT 1;
    IF latest IS NULL THEN
        DELETE FROM patrols_residentsafety WHERE resident_id = resident;
    ELSE
        INSERT INTO patrols_residentsafety (resident_id, latest_rating) VALUES (resident, latest)
        ON CONFLICT (resident_id) DO UPDATE SET latest_rating = EXCLUDED.latest_rating
        WHERE patrols_residentsafety.latest_rating IS DISTINCT FROM EXCLUDED.latest_rating;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION wt_rating_latest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.resident_id IS NOT NULL THEN
        PERFORM wt_resident_safety_refresh(OLD.resident_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.resident_id IS DISTINCT FROM OLD.resident_id) THEN
        IF NEW.resident_id IS NOT NULL THEN
            PERFORM wt_resident_safety_refresh(NEW.resident_id);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION wt_rebuild_dashboard_counters() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM patrols_officerworkload;
    INSERT INTO patrols_officerworkload (officer_id, residents, open_concerns, last_walk_at)
    SELECT o.id, COALESCE(p.n, 0), COALESCE(c.n, 0), w.last
    FROM participants_officer o
    LEFT JOIN (SELECT officer_id, count(*) AS n FROM participants_pairing WHERE ended_at IS NULL
               GROUP BY officer_id) p ON p.officer_id = o.id
    LEFT JOIN (SELECT officer_id, count(*) AS n FROM patrols_concern WHERE status IN {UNRESOLVED}
               GROUP BY officer_id) c ON c.officer_id = o.id
    LEFT JOIN (SELECT officer_id, max(starts_at) AS last FROM patrols_walk WHERE status = 'completed'
               GROUP BY officer_id) w ON w.officer_id = o.id;

    DELETE FROM patrols_openconcerncount;
    INSERT INTO patrols_openconcerncount (ward_id, partner_id, count)
    SELECT ward_id, partner_id, count(*) FROM patrols_concern WHERE status IN {UNRESOLVED}
    GROUP BY ward_id, partner_id;

    DELETE FROM patrols_residentsafety;
    INSERT INTO patrols_residentsafety (resident_id, latest_rating)
    SELECT DISTINCT ON (resident_id) resident_id, rating FROM patrols_safetyrating
    WHERE resident_id IS NOT NULL ORDER BY resident_id, created_at DESC, id DESC;
END $$;
"""  # noqa: S608 — built from constants, never from input

# (trigger name, table, events, WHEN for the UPDATE trigger, function)
TRIGGERS = [
    ("wt_pairing_counts_ins_del", "participants_pairing", "INSERT OR DELETE", None, "wt_pairing_counts"),
    (
        "wt_pairing_counts_upd",
        "participants_pairing",
        "UPDATE",
        "OLD.officer_id IS DISTINCT FROM NEW.officer_id OR (OLD.ended_at IS NULL) <> (NEW.ended_at IS NULL)",
        "wt_pairing_counts",
    ),
    ("wt_concern_counts_ins_del", "patrols_concern", "INSERT OR DELETE", None, "wt_concern_counts"),
    (
        "wt_concern_counts_upd",
        "patrols_concern",
        "UPDATE",
        f"(OLD.status IN {UNRESOLVED}) <> (NEW.status IN {UNRESOLVED})"
        " OR OLD.officer_id IS DISTINCT FROM NEW.officer_id OR OLD.ward_id IS DISTINCT FROM NEW.ward_id"
        " OR OLD.partner_id IS DISTINCT FROM NEW.partner_id",
        "wt_concern_counts",
    ),
    ("wt_walk_last_ins_del", "patrols_walk", "INSERT OR DELETE", None, "wt_walk_last"),
    (
        "wt_walk_last_upd",
        "patrols_walk",
        "UPDATE",
        "(OLD.status = 'completed' OR NEW.status = 'completed') AND (OLD.status IS DISTINCT FROM NEW.status"
        " OR OLD.officer_id IS DISTINCT FROM NEW.officer_id OR OLD.starts_at IS DISTINCT FROM NEW.starts_at)",
        "wt_walk_last",
    ),
    ("wt_rating_latest_ins_del", "patrols_safetyrating", "INSERT OR DELETE", None, "wt_rating_latest"),
    (
        "wt_rating_latest_upd",
        "patrols_safetyrating",
        "UPDATE",
        "OLD.resident_id IS DISTINCT FROM NEW.resident_id OR OLD.rating IS DISTINCT FROM NEW.rating"
        " OR OLD.created_at IS DISTINCT FROM NEW.created_at",
        "wt_rating_latest",
    ),
]


def create_triggers_sql(triggers: list[tuple]) -> str:
    return "\n".join(
        f"CREATE TRIGGER {name} AFTER {events} ON {table} FOR EACH ROW"
        f"{f' WHEN ({when})' if when else ''} EXECUTE FUNCTION {function}();"
        for name, table, events, when, function in triggers
    )


def drop_triggers_sql(triggers: list[tuple]) -> str:
    return "\n".join(f"DROP TRIGGER IF EXISTS {name} ON {table};" for name, table, *_ in triggers)


TRIGGERS_SQL = create_triggers_sql(TRIGGERS)
DROP_SQL = drop_triggers_sql(TRIGGERS) + (
    "\nDROP FUNCTION IF EXISTS wt_rebuild_dashboard_counters(), wt_rating_latest(),"
    " wt_resident_safety_refresh(bigint), wt_walk_last(), wt_concern_counts(), wt_pairing_counts(),"
    " wt_open_concern_bump(bigint, bigint, integer), wt_workload_bump(bigint, integer, integer);"
)


# Unresolved concerns per ward and London day (OpenConcernDay). Its own function and trigger, in
# migration 0013: 0011 runs FUNCTIONS_SQL and TRIGGERS_SQL as they are now, before this table exists.
LOGGED_DAY = "(({row}.created_at AT TIME ZONE 'Europe/London')::date)"
DAYS_SQL = f"""
CREATE OR REPLACE FUNCTION wt_open_concern_day_bump(ward bigint, logged date, delta integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO patrols_openconcernday (ward_id, day, count) VALUES (ward, logged, delta)
    ON CONFLICT (ward_id, day) DO UPDATE SET count = patrols_openconcernday.count + EXCLUDED.count;
END $$;

CREATE OR REPLACE FUNCTION wt_concern_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN {UNRESOLVED} THEN
        PERFORM wt_open_concern_day_bump(OLD.ward_id, {LOGGED_DAY.format(row="OLD")}, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN {UNRESOLVED} THEN
        PERFORM wt_open_concern_day_bump(NEW.ward_id, {LOGGED_DAY.format(row="NEW")}, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION wt_rebuild_open_concern_days() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM patrols_openconcernday;
    INSERT INTO patrols_openconcernday (ward_id, day, count)
    SELECT ward_id, {LOGGED_DAY.format(row="patrols_concern")}, count(*) FROM patrols_concern
    WHERE status IN {UNRESOLVED} GROUP BY 1, 2;
END $$;
"""  # noqa: S608 — built from constants, never from input

DAY_TRIGGERS = [
    ("wt_concern_days_ins_del", "patrols_concern", "INSERT OR DELETE", None, "wt_concern_days"),
    (
        "wt_concern_days_upd",
        "patrols_concern",
        "UPDATE",
        f"(OLD.status IN {UNRESOLVED}) <> (NEW.status IN {UNRESOLVED})"
        " OR OLD.ward_id IS DISTINCT FROM NEW.ward_id OR OLD.created_at IS DISTINCT FROM NEW.created_at",
        "wt_concern_days",
    ),
]
DAY_TRIGGERS_SQL = create_triggers_sql(DAY_TRIGGERS)
DAY_DROP_SQL = drop_triggers_sql(DAY_TRIGGERS) + (
    "\nDROP FUNCTION IF EXISTS wt_rebuild_open_concern_days(), wt_concern_days(),"
    " wt_open_concern_day_bump(bigint, date, integer);"
)


def rebuild() -> None:
    """Recompute every counter from the rows it counts (seconds at London scale: four GROUP BYs)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT wt_rebuild_dashboard_counters()")
        cursor.execute("SELECT wt_rebuild_open_concern_days()")


def set_triggers(cursor, *, enabled: bool) -> None:
    """Turn the counter triggers off for a bulk load (seed_scale's COPY) and on again; call `rebuild()`
    after. ALTER TABLE is transactional: an aborted load leaves them on."""
    action = "ENABLE" if enabled else "DISABLE"
    # ALTER TABLE refuses a table with deferred foreign key checks still pending: run them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for name, table, *_ in TRIGGERS + DAY_TRIGGERS:
        cursor.execute(f"ALTER TABLE {table} {action} TRIGGER {name}")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
