"""Statements PostgreSQL plans once per connection, not on every request (issue 16).

The reads written once per process (reads.Joined) join up to nine tables by primary key. Executing one
took ~1 ms for a six-table join and ~3.3 ms for a nine-table one on the London data set, and almost
all of it was the planner weighing join orders; the same statement prepared took 0.15 to 0.21 ms
(measured with psycopg2 on that data set, 200 runs each). psycopg2 has no server-side statements of
its own, so this is SQL's own `PREPARE` and `EXECUTE`, on Django's connection:

- The first use on a connection prepares it (on the driver's cursor, as Django sets a connection's
  time zone: a connection's set-up, not one of the page's queries), then each use sends
  `EXECUTE name(…)`, one round trip, as the plain statement was.
- What a connection has prepared is remembered against the driver's connection object (weakly): a new
  connection (CONN_MAX_AGE, an error, a test's reconnect) starts with nothing prepared. A prepared
  statement belongs to the session and outlives a rolled-back transaction (checked: PREPARE, ROLLBACK,
  EXECUTE works).
- PostgreSQL plans the first five executions for their values and then keeps a generic plan if it is
  no worse (plan_cache_mode auto). Only statements whose best plan does not depend on the values
  belong here: lookups by primary or foreign key.
- Values are bound as the plain statement binds them (psycopg2 quotes each into the EXECUTE): `%s`
  placeholders with a list of values, or `%(name)s` ones with a dict (a name used twice is one
  value), numbered for PREPARE. A `%%` stays a literal percent sign.
- PREPARE gives each value its column's type: a value the column cannot hold (a whole number beyond
  a bigint) is an error where the plain statement found no row. Values from outside are checked
  first (reads.Joined does).
"""

from __future__ import annotations

import itertools
import re
import weakref

_numbers = itertools.count(1)
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # driver connection → names


class Prepared:
    """One statement with `%s` (or `%(name)s`) values, prepared on each connection at its first use."""

    def __init__(self, sql: str, *, name: str) -> None:
        self.name = f"{re.sub(r'[^a-z0-9_]', '_', name.lower())}_{next(_numbers)}"
        self.names: list[str] = []  # the named values in their numbers' order; [] when positional
        positional = itertools.count(1)

        def number(match: re.Match) -> str:
            # %s → $1, $2, …; %(name)s → one number per name; %% (a percent sign to psycopg2) → %
            # (PREPARE is sent with no values, so psycopg2 does not read it).
            if match[0] == "%%":
                return "%"
            if match[1] is None:
                return f"${next(positional)}"
            if match[1] not in self.names:
                self.names.append(match[1])
            return f"${self.names.index(match[1]) + 1}"

        body = re.sub(r"%%|%(?:\((\w+)\))?s", number, sql)
        positional_values = next(positional) - 1
        if positional_values and self.names:
            raise ValueError("a prepared statement takes %s values or %(name)s ones, not both")
        self.count = positional_values or len(self.names)
        self.prepare_sql = f"PREPARE {self.name} AS {body}"
        marks = f"({', '.join(['%s'] * self.count)})" if self.count else ""
        self.execute_sql = f"EXECUTE {self.name}{marks}"

    def execute(self, cursor, params) -> None:
        """Run it on `cursor` (a cursor of django.db.connection) with these values (a list, or a dict
        for named ones); fetch as usual."""
        if self.names:
            params = [params[name] for name in self.names]
        elif len(params) != self.count:
            raise ValueError(f"{self.name} takes {self.count} values, not {len(params)}")
        names = _prepared.setdefault(cursor.db.connection, set())
        if self.name not in names:
            # Django's error classes, as for any statement (wrap_database_errors).
            with cursor.db.wrap_database_errors, cursor.db.connection.cursor() as driver_cursor:
                driver_cursor.execute(self.prepare_sql)
            names.add(self.name)
        cursor.execute(self.execute_sql, params)
