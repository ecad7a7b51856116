"""Session 11 (docs/performance.md, "W4"): a prepared read's columns as one JSON array on SQLite
(``sifa.core.packed``), SQLite's shorter converters (``sifa.core.sqlite_backend``) and psycopg's
placeholder split kept for every fixed statement (``sifa.core.db``) give what they replace."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import pytest
from django.db import connection

from sifa.core.db import PreparedQuery, fixed_cursor
from sifa.core.packed import MOST, packed_sql
from sifa.deadlines.models import ClockState

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's reads")


def _same(found, expected) -> None:
    assert type(found) is type(expected)
    assert {k: v for k, v in found.__dict__.items() if k != "_state"} == {
        k: v for k, v in expected.__dict__.items() if k != "_state"
    }
    for name, value in found.__dict__.items():
        if name != "_state":
            assert type(value) is type(expected.__dict__[name]), name


@pytest.mark.django_db
def test_a_packed_read_gives_the_instances_the_orm_gives():
    """Dates, instants, flags, JSON, texts and empty values through the packed read."""
    state = ClockState.objects.create(
        subject_type="applications.application",
        subject_id="c1",
        purpose="legal",
        stage="1.1:审查“引号”\\",
        scope_path="/1/2/",
        started_on=dt.date(2025, 9, 1),
        limit_value=20,
        limit_unit="working_days",
        suspensions=[{"kind": "expert_review", "on": "2025-09-03", "reason": "组织\u2028专家"}],
        due_on=None,
        provisional=True,
        stopped_on=dt.date(2025, 10, 1),
    )
    query = PreparedQuery(lambda pk: ClockState.objects.filter(pk=pk).select_for_update(), -7)
    (found,) = query.rows(state.pk)
    _same(found, ClockState.objects.get(pk=state.pk))
    if connection.vendor == "sqlite":
        assert query._compile(connection)[0].startswith("SELECT json_array(")


@sqlite_only
@pytest.mark.django_db
def test_a_read_wider_than_a_functions_arguments_keeps_its_columns():
    compiler = ClockState.objects.all().query.get_compiler(using="default")
    sql, _ = compiler.as_sql()
    assert packed_sql(compiler, sql, connection).startswith("SELECT json_array(")
    compiler.col_count = MOST + 1
    assert packed_sql(compiler, sql, connection) is None


@sqlite_only
@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2025, 9, 1, 2, 3, 4, 5),
        dt.datetime(2025, 9, 1, 2, 3, 4, tzinfo=dt.UTC),
        "2025-09-01 02:03:04.000005",
        "2025-09-01 02:03:04",  # as Django writes them (19 or 26 characters): read in one step
        "2025-09-01T02:03:04",
        "2025-09-01 02+05:00",  # 19 characters with an offset of its own: Django's way
        "2025-09-01 02:03:04.1+08:00",
        "2025-09-01T02:03:04+08:00",
        None,
    ],
)
def test_sqlite_instants_are_converted_as_django_converts_them(value):
    from django.db.backends.sqlite3.operations import DatabaseOperations as DjangoSQLiteOperations

    ours = connection.ops.convert_datetimefield_value(value, None, connection)
    django = DjangoSQLiteOperations(connection).convert_datetimefield_value(value, None, connection)
    assert ours == django and type(ours) is type(django)
    assert getattr(ours, "tzinfo", None) == getattr(django, "tzinfo", None)


@sqlite_only
@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2025, 9, 1, 2, 3, 4, tzinfo=dt.UTC),  # written in one step
        dt.datetime(2025, 9, 1, 2, 3, 4, 5, tzinfo=dt.UTC, fold=1),
        dt.datetime(2025, 9, 1, 10, 3, 4, 120000, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        dt.datetime(2025, 9, 1, 10, 3, 4, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")),
        dt.datetime(2025, 9, 1, 2, 3, 4),
        None,
    ],
)
def test_sqlite_instants_are_written_as_django_writes_them(value):
    from django.db.backends.sqlite3.operations import DatabaseOperations as DjangoSQLiteOperations

    ours = connection.ops.adapt_datetimefield_value(value)
    assert ours == DjangoSQLiteOperations(connection).adapt_datetimefield_value(value)
    assert type(ours) is type(DjangoSQLiteOperations(connection).adapt_datetimefield_value(value))


@sqlite_only
@pytest.mark.parametrize("value", ["0123456789abcdef0123456789abcdef", None])
def test_sqlite_uuids_are_converted_as_django_converts_them(value):
    from django.db.backends.sqlite3.operations import DatabaseOperations as DjangoSQLiteOperations

    ours = connection.ops.convert_uuidfield_value(value, None, connection)
    assert ours == DjangoSQLiteOperations(connection).convert_uuidfield_value(value, None, connection)
    assert value is None or type(ours) is uuid.UUID


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's placeholders")
@pytest.mark.django_db
def test_a_fixed_statement_of_more_than_fifty_values_binds_them_as_psycopg_does():
    values = list(range(64))
    statement = "SELECT " + ", ".join(["%s::int"] * len(values))
    for _ in range(2):  # split once, kept
        with fixed_cursor(connection) as cursor:
            cursor.execute(statement, values)
            assert list(cursor.fetchone()) == values
