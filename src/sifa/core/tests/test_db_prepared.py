"""``sifa.core.db.fixed_cursor``: the fixed statements as server-side prepared statements on
PostgreSQL (docs/deploy.md, "Prepared statements"), seen by the query counters all the same."""

from __future__ import annotations

import os

import pytest
from django.db import connection, transaction
from django.db.utils import DataError
from django.test.utils import CaptureQueriesContext

from sifa.core.db import fixed_cursor

STATEMENT = "SELECT %s + 1, %s"
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements: PostgreSQL"
)


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def _run(statement: str = STATEMENT, params=(41, "a")) -> list[tuple]:
    with fixed_cursor(connection) as cursor:
        cursor.execute(statement, list(params))
        return [tuple(row) for row in cursor.fetchall()]


@pytest.mark.django_db
def test_each_fixed_statement_is_counted_and_logged_with_its_values():
    """Query guards count a fixed statement as any other, and the log shows it with its values."""
    with CaptureQueriesContext(connection) as queries:
        assert _run() == [(42, "a")]
        assert _run() == [(42, "a")]
    assert len(queries.captured_queries) == 2
    assert queries.captured_queries[0]["sql"] == "SELECT 41 + 1, 'a'"
    seen = []

    def note(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        _run()
    assert seen == [STATEMENT]


@needs_postgres
@pytest.mark.django_db
def test_a_fixed_statement_is_prepared_once_per_connection():
    for _ in range(3):
        assert _run() == [(42, "a")]
    assert _prepared().count("SELECT $1 + 1, $2") == 1
    with connection.cursor() as cursor:  # the ORM's statements are not prepared
        cursor.execute("SELECT 7")
    assert not [s for s in _prepared() if "7" in s]


@needs_postgres
@pytest.mark.django_db
def test_prepared_statements_work_after_a_failed_transaction():
    _run()
    with pytest.raises(DataError), transaction.atomic():  # a savepoint rolled back
        _run("SELECT 1 / (%s - 41), %s")
    assert _run() == [(42, "a")]
    assert _prepared().count("SELECT $1 + 1, $2") == 1


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_prepared_statements_work_after_a_failed_statement_and_a_reconnect():
    _run()
    with pytest.raises(DataError):  # autocommit: the statement's own transaction failed
        _run("SELECT 1 / (%s - 41), %s")
    assert _run() == [(42, "a")]
    connection.close()  # CONN_MAX_AGE, a failed health check: a new session prepares anew
    assert _run() == [(42, "a")]
    assert _prepared().count("SELECT $1 + 1, $2") == 1


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_column_changed_by_another_connection_is_prepared_anew():
    """A migration in another process changes a column a prepared statement returns: PostgreSQL
    refuses the stale statement ("cached plan must not change result type"); outside a
    transaction it is prepared anew and run again at once, inside one the transaction fails once
    and the next one prepares it anew."""
    import psycopg

    table = f"sifa_prepared_probe_{os.getpid()}"
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    other = psycopg.connect(**{**params, "autocommit": True})
    try:
        other.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, v integer)")
        other.execute(f"INSERT INTO {table} VALUES (1, 10)")  # noqa: S608
        statement = f"SELECT v FROM {table} WHERE id = %s"  # noqa: S608
        assert _run(statement, [1]) == [(10,)]
        other.execute(f"ALTER TABLE {table} ALTER COLUMN v TYPE bigint")
        assert _run(statement, [1]) == [(10,)]
        other.execute(f"ALTER TABLE {table} ALTER COLUMN v TYPE integer")
        with pytest.raises(Exception, match="cached plan"), transaction.atomic():
            _run(statement, [1])
        assert _run(statement, [1]) == [(10,)]
        with transaction.atomic():
            assert _run(statement, [1]) == [(10,)]
    finally:
        other.execute(f"DROP TABLE IF EXISTS {table}")
        other.close()


@needs_postgres
@pytest.mark.django_db
def test_turned_off_it_is_the_ordinary_cursor(monkeypatch):
    """``SIFA_DB_PREPARED=0`` leaves ``prepare_threshold`` unset: nothing is prepared (a
    transaction-pooling proxy)."""
    options = {k: v for k, v in connection.settings_dict["OPTIONS"].items() if k != "prepare_threshold"}
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    before = _prepared()
    with fixed_cursor(connection) as cursor:
        cursor.execute("SELECT %s + 2", [40])
        assert cursor.fetchone()[0] == 42
    assert _prepared() == before


@needs_postgres
@pytest.mark.django_db
def test_the_connection_keeps_one_cursor_and_lends_a_new_one_inside_its_use():
    """One psycopg cursor per connection serves the fixed statements one after the other; a fixed
    statement run while it is lent gets a cursor of its own; both answer as before."""
    with fixed_cursor(connection) as outer:
        kept = outer.cursor
        outer.execute(STATEMENT, [1, "x"])
        with fixed_cursor(connection) as inner:
            assert inner.cursor is not kept
            inner.execute(STATEMENT, [2, "y"])
            assert inner.fetchall() == [(3, "y")]
        assert outer.fetchall() == [(2, "x")]
    with fixed_cursor(connection, binary=True) as again:
        assert again.cursor is kept
        again.execute("SELECT %s::bytea", [b"\x00\x01"])
        assert bytes(again.fetchone()[0]) == b"\x00\x01"
    assert _run() == [(42, "a")]  # text again after the binary use
    with pytest.raises(DataError), transaction.atomic(), fixed_cursor(connection) as failing:
        failing.execute("SELECT 1 / %s::int", [0])
    assert _run() == [(42, "a")]  # the kept cursor serves on after a failed statement


@needs_postgres
@pytest.mark.django_db
def test_timestamps_of_a_fixed_statement_are_django_s():
    """psycopg's compiled ``timestamptz`` loader on the fixed cursors gives what Django's gives: the
    same instants with the same ``tzinfo`` object, NULL as ``None``, microseconds and far dates."""
    values = [
        "2026-12-06 12:34:56.789012+08",
        "1900-01-01 00:00:00+00",
        "9999-12-31 23:59:59.999999+00",
        "2000-02-29 00:00:00.000001-05:30",
        None,
    ]
    statement = "SELECT " + ", ".join(["%s::timestamptz"] * len(values))
    with connection.cursor() as cursor:  # the ORM's cursor: Django's loader
        cursor.execute(statement, values)
        expected = cursor.fetchone()
    for _ in range(2):
        with fixed_cursor(connection) as cursor:
            cursor.execute(statement, values)
            got = cursor.fetchone()
        assert got == expected
        assert [getattr(v, "tzinfo", None) for v in got] == [getattr(v, "tzinfo", None) for v in expected]
        assert all(a is None or a.tzinfo is b.tzinfo for a, b in zip(got, expected, strict=True))
