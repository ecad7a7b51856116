"""Sifa's SQLite backend remembers each statement's placeholder conversion: the text it runs is
the one Django's own conversion gives, for every kind of statement."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import SQLiteCursorWrapper as DjangoCursor

from sifa.core.sqlite_backend import base

STATEMENTS = [
    "SELECT 1",
    "SELECT %s",
    "SELECT a FROM t WHERE b = %s AND c = %s",
    "SELECT '%%s' || %s",
    "SELECT '100%%' WHERE x = %s",
    "SELECT '%%%s' , %s",
    "SELECT '%%%%s' , %s",
    "SELECT 'a%' || %s",
]


def _cursor() -> base.SQLiteCursorWrapper:
    return base.SQLiteCursorWrapper.__new__(base.SQLiteCursorWrapper)  # conversion needs no connection


@pytest.mark.parametrize("statement", STATEMENTS)
def test_the_remembered_conversion_is_djangos(statement):
    ours = _cursor().convert_query
    theirs = DjangoCursor.__new__(DjangoCursor).convert_query
    assert ours(statement) == theirs(statement)
    assert ours(statement) == theirs(statement)  # the remembered one
    assert base._converted[statement] == theirs(statement)
    names = ["a", "b"]
    named = "SELECT %(a)s, %(b)s"
    assert ours(named, param_names=names) == theirs(named, param_names=names)


def test_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(base, "REMEMBERED", 3)
    base._converted.clear()
    for index in range(10):
        _cursor().convert_query(f"SELECT {index}, %s")
        assert len(base._converted) <= 3


@pytest.mark.django_db
def test_sqlite_runs_on_sifas_backend():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert connection.settings_dict["ENGINE"] == "sifa.core.sqlite_backend"
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s || '%%'", ["50"])
        assert cursor.fetchone()[0] == "50%"
        assert isinstance(cursor.cursor, base.SQLiteCursorWrapper)


@pytest.mark.django_db
def test_a_plain_read_gives_the_cursors_rows_and_leaves_logged_and_wrapped_ones_to_it():
    """``plain_rows`` (``first_read`` on SQLite) runs the read on the SQLite connection itself —
    the rows the cursor gives — but returns ``None`` (the cursor's path) whenever the statement
    is to be logged or counted, or seen by an ``execute_wrapper``."""
    from django.test.utils import CaptureQueriesContext

    from sifa.core.db import first_read

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    statement, params = "SELECT %s || '%%', %s + 1, NULL UNION ALL SELECT 'b', 2, x'00'", ["a", 1]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        expected = cursor.fetchall()
    assert connection.plain_rows(statement, params) == expected == [("a%", 2, None), ("b", 2, b"\x00")]
    with CaptureQueriesContext(connection) as queries:
        assert connection.plain_rows(statement, params) is None
        assert first_read(connection, statement, params) == expected
    assert len(queries.captured_queries) == 1
    seen = []

    def note(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        assert connection.plain_rows(statement, params) is None
        assert first_read(connection, statement, params) == expected
    assert seen == [statement]


@pytest.mark.django_db
def test_a_prepared_querys_rows_are_the_same_read_plainly_or_through_the_cursor():
    """``PreparedQuery.rows`` reads through ``plain_rows`` on SQLite (a case command's reads):
    the same instances, values and related rows as through Django's cursor, which a counted or
    wrapped statement still takes (and is counted and seen)."""
    from django.test.utils import CaptureQueriesContext

    from sifa.accounts.models import User
    from sifa.core.db import PreparedQuery
    from sifa.testing import CitizenFactory

    CitizenFactory(username="plain-a")
    CitizenFactory(username="plain-b")
    query = PreparedQuery(
        lambda name: User.objects.filter(username__gte=name).order_by("username"), "\x00name"
    )

    def values(users):
        return [
            ({f.attname: getattr(u, f.attname) for f in User._meta.concrete_fields}, u._state.db)
            for u in users
        ]

    plain = query.rows("plain-")
    with CaptureQueriesContext(connection) as queries:
        counted = query.rows("plain-")
    assert len(queries.captured_queries) == 1
    assert [u.username for u in plain][:2] == ["plain-a", "plain-b"]
    assert (
        values(plain)
        == values(counted)
        == values(User.objects.filter(username__gte="plain-").order_by("username"))
    )


@pytest.mark.django_db
def test_a_prepared_querys_instances_with_deferred_columns_are_the_orms():
    """With some columns deferred (a case command's read), ``PreparedQuery.rows`` makes each
    instance without ``Model.__init__``'s general path as for a whole row: the same columns read,
    the same ones deferred (loaded with their value when read), on either database."""
    from sifa.accounts.models import User
    from sifa.core.db import PreparedQuery, _plain_foreign_keys
    from sifa.testing import CitizenFactory

    CitizenFactory(username="lean-a", display_name="甲")
    query = PreparedQuery(
        lambda name: User.objects.filter(username=name).defer("display_name", "email"), "\x00n"
    )
    names = [f.attname for f in User._meta.concrete_fields if f.name not in ("display_name", "email")]
    assert _plain_foreign_keys(User, names) is not None
    assert _plain_foreign_keys(User, list(reversed(names))) is None  # not in field order
    (ours,) = query.rows("lean-a")
    orms = User.objects.filter(username="lean-a").defer("display_name", "email").get()
    assert ours.get_deferred_fields() == orms.get_deferred_fields() == {"display_name", "email"}
    state = ("_state",)
    assert {k: v for k, v in vars(ours).items() if k not in state} == {
        k: v for k, v in vars(orms).items() if k not in state
    }
    assert (ours._state.adding, ours._state.db) == (orms._state.adding, orms._state.db)
    assert ours.display_name == "甲" and not ours.get_deferred_fields() - {"email"}


@pytest.mark.django_db(transaction=True)
def test_a_plain_write_changes_what_the_cursor_would_and_leaves_counted_ones_to_it():
    """``run_fixed`` (a case command's writes) runs a write on the SQLite connection itself — its
    rows changed, an ``executemany``'s rows, a ``RETURNING``'s row — and through Django's cursor
    whenever the statement is to be counted or seen by an ``execute_wrapper`` (counted, seen)."""
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from sifa.core.db import run_fixed

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE plain_w (id integer PRIMARY KEY, v text)")
    try:
        plain = connection.vendor == "sqlite"
        with transaction.atomic():
            assert (
                run_fixed(
                    connection, "INSERT INTO plain_w (id, v) VALUES (%s, %s)", [[1, "a"], [2, "b"]], many=True
                )
                == 2
            )
            assert run_fixed(connection, "UPDATE plain_w SET v = %s WHERE id > %s", ["c", 0]) == 2
            got = run_fixed(
                connection,
                "INSERT INTO plain_w (id, v) VALUES (%s, %s) RETURNING id",
                [3, "%"],
                result=lambda cursor: cursor.fetchone(),
            )
            assert got == (3,)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, v FROM plain_w ORDER BY id")
            assert cursor.fetchall() == [(1, "c"), (2, "c"), (3, "%")]
        if plain:
            assert connection.plain_execute("UPDATE plain_w SET v = v", []) is not None
        with CaptureQueriesContext(connection) as queries:
            if plain:
                assert connection.plain_execute("UPDATE plain_w SET v = v", []) is None
            assert run_fixed(connection, "UPDATE plain_w SET v = %s WHERE id = %s", ["d", 1]) == 1
            assert run_fixed(connection, "DELETE FROM plain_w WHERE id = %s", [[2], [3]], many=True) == 2
        assert len(queries.captured_queries) == 2
        seen = []

        def note(execute, sql, params, many, context):
            seen.append((sql, many))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(note):
            assert run_fixed(connection, "UPDATE plain_w SET v = %s", ["e"]) == 1
        assert seen == [("UPDATE plain_w SET v = %s", False)]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE plain_w")
