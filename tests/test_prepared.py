"""Statements planned once per connection (patrols.prepared, issue 16): the same answers as the plain
statement, one query each time (the first included), and still working after a rollback or a new
connection."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from patrols.models import ConcernCategory
from patrols.prepared import Prepared

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BY_ID_AND_NAME = Prepared(
    f"SELECT name FROM {ConcernCategory._meta.db_table} WHERE id = %s AND name LIKE %s || '%%'",  # noqa: S608
    name="test by id and name",
)


def read(pk: int, pattern: str) -> list[tuple]:
    with connection.cursor() as cursor:
        BY_ID_AND_NAME.execute(cursor, [pk, pattern])
        return cursor.fetchall()


def test_it_answers_as_the_plain_statement_one_query_each_time(django_assert_num_queries):
    lit = ConcernCategory.objects.get(name="Badly lit")
    connection.close()  # a new connection: nothing prepared on it yet
    with django_assert_num_queries(1) as first:
        assert read(lit.pk, "Badly") == [("Badly lit",)]  # the statement's %% is a percent sign
    with django_assert_num_queries(1) as second:
        assert read(lit.pk, "Nothing") == []
    assert [q["sql"] for q in first.captured_queries + second.captured_queries] == [
        f"EXECUTE {BY_ID_AND_NAME.name}({lit.pk}, 'Badly')",
        f"EXECUTE {BY_ID_AND_NAME.name}({lit.pk}, 'Nothing')",
    ]


def test_it_outlives_a_rollback_and_a_new_connection():
    lit = ConcernCategory.objects.get(name="Badly lit")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert read(lit.pk, "") == [("Badly lit",)]  # prepared inside a transaction that rolls back
        raise RuntimeError
    assert read(lit.pk, "") == [("Badly lit",)]
    connection.close()
    assert read(lit.pk, "") == [("Badly lit",)]  # prepared again on the new connection


def test_named_values_are_numbered_once_each():
    lit = ConcernCategory.objects.get(name="Badly lit")
    either = Prepared(
        f"SELECT name FROM {ConcernCategory._meta.db_table}"  # noqa: S608
        " WHERE (id = %(pk)s OR %(pk)s = 0) AND name = %(name)s",
        name="test named",
    )
    assert (either.names, either.count) == (["pk", "name"], 2)
    with connection.cursor() as cursor:
        either.execute(cursor, {"name": "Badly lit", "pk": lit.pk})
        assert cursor.fetchall() == [("Badly lit",)]
        either.execute(cursor, {"name": "Badly lit", "pk": lit.pk + 1000})
        assert cursor.fetchall() == []


def test_it_takes_exactly_its_values():
    with pytest.raises(ValueError, match="takes 2 values, not 1"), connection.cursor() as cursor:
        BY_ID_AND_NAME.execute(cursor, [1])
    with pytest.raises(ValueError, match="not both"):
        Prepared("SELECT %s, %(named)s", name="mixed")


def test_a_statement_that_cannot_be_prepared_raises_djangos_error():
    from django.db import ProgrammingError

    broken = Prepared("SELECT no_such_column FROM django_session WHERE session_key = %s", name="broken")
    with pytest.raises(ProgrammingError), connection.cursor() as cursor:
        broken.execute(cursor, ["x"])
    assert read(ConcernCategory.objects.get(name="Badly lit").pk, "") == [("Badly lit",)]  # still usable
