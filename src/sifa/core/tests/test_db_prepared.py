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


def _through_psycopg(monkeypatch) -> list[str]:
    """The statements that go through psycopg's own ``execute`` from now on (the others, already
    prepared, are run with libpq's one call)."""
    import psycopg

    seen: list[str] = []
    original = psycopg.Cursor.execute

    def execute(self, query, params=None, **kwargs):
        seen.append(query)
        return original(self, query, params, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", execute)
    return seen


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_is_run_with_one_call_and_answers_as_psycopg(monkeypatch):
    """Once prepared, a fixed statement runs without psycopg's ``execute`` (session 7): the same
    rows, description and row count as psycopg's path gave, counted and logged all the same."""
    with fixed_cursor(connection) as cursor:
        cursor.execute(STATEMENT, [41, "a"])
        first = (cursor.fetchall(), [c.name for c in cursor.description], cursor.rowcount)
    seen = _through_psycopg(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(2):
            with fixed_cursor(connection) as cursor:
                cursor.execute(STATEMENT, [41, "a"])
                assert (cursor.fetchall(), [c.name for c in cursor.description], cursor.rowcount) == first
        with fixed_cursor(connection, binary=True) as cursor:  # a prepared statement, binary results
            cursor.execute(STATEMENT, [1, "b"])
            assert cursor.fetchall() == [(2, "b")]
        with fixed_cursor(connection) as cursor:
            cursor.execute(STATEMENT, [None, None])  # NULLs bound as psycopg binds them
            assert cursor.fetchall() == [(None, None)]
    assert [q["sql"] for q in queries.captured_queries][:2] == ["SELECT 41 + 1, 'a'"] * 2
    assert len(queries.captured_queries) == 4
    assert seen.count(STATEMENT) <= 1  # only NULL's other parameter types prepare anew


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_s_failure_is_psycopg_s_and_the_cursor_serves_on(monkeypatch):
    statement = "SELECT 1 / (%s - 41), %s"
    assert _run(statement, (42, "a")) == [(1, "a")]  # prepared
    seen = _through_psycopg(monkeypatch)
    with pytest.raises(DataError, match="division by zero"):  # autocommit: its own transaction
        _run(statement, (41, "a"))
    assert _run(statement, (43, "a")) == [(0, "a")]
    with pytest.raises(DataError), transaction.atomic():
        _run()  # BEGIN is due: psycopg's path
        _run(statement, (41, "a"))  # inside the transaction: one call
    assert _run(statement, (42, "b")) == [(1, "b")]  # prepared anew after the rollback
    assert seen.count(statement) == 1 and seen.count(STATEMENT) == 1


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_on_a_session_the_server_ended_raises_operational_error():
    """As psycopg's path raises it (Django's ``OperationalError``, the connection closed), so the
    first read's retry and Django's connection handling see what they saw."""
    from django.db.utils import OperationalError

    _run()
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    import psycopg

    with psycopg.connect(**{**params, "autocommit": True}) as other:
        other.execute("SELECT pg_terminate_backend(%s, 10000)", [pid])  # waits until it has ended
    with pytest.raises(OperationalError):
        _run()
    assert connection.connection.closed
    connection.close()
    assert _run() == [(42, "a")]


@pytest.mark.django_db
def test_the_connection_proxy_is_resolved_once_to_the_wrapper_it_reaches():
    """``fixed_cursor`` and ``first_read`` take Django's ``connection`` proxy or the wrapper itself:
    the same wrapper, the same statement seen by the counters and ``execute_wrapper``."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from sifa.core.db import first_read, itself

    wrapper = connections[DEFAULT_DB_ALIAS]
    assert itself(connection) is wrapper
    assert itself(wrapper) is wrapper
    seen = []

    def note(execute, sql, params, many, context):
        seen.append(context["connection"])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note), CaptureQueriesContext(connection) as queries:
        assert [tuple(r) for r in first_read(connection, STATEMENT, [41, "a"])] == [(42, "a")]
        assert [tuple(r) for r in first_read(wrapper, STATEMENT, [41, "a"])] == [(42, "a")]
        assert _run() == [(42, "a")]
    assert seen == [wrapper] * 3
    assert len(queries.captured_queries) == 3
