"""Sifa's PostgreSQL backend loads ``timestamptz`` with psycopg's compiled loader only where it gives
exactly what Django's loader gives: the same instants with the same ``tzinfo`` object."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.test import override_settings

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")

VALUES = [
    "2026-12-06 12:34:56.789012+08",
    "1900-01-01 00:00:00+00",
    "1901-12-13 20:45:52+08:05:43",
    "9999-12-31 23:59:59.999999+00",
    "0001-01-01 00:00:00+00",
    "2000-02-29 00:00:00.000001-05:30",
    "2026-03-29 01:30:00+01",
    None,
]
# In a session zone east of UTC the last instant of 9999 is in year 10000: both loaders refuse it.
EVERYWHERE = [v for v in VALUES if v is None or not v.startswith("9999")]


def _statement(values: list) -> str:
    return "SELECT " + ", ".join(["%s::timestamptz"] * len(values))


def _djangos(values: list = VALUES) -> tuple:
    """The row as Django's own loader gives it (its rule for the connection's time zone)."""
    raw = connection.connection.cursor()
    try:
        register_tzloader(connection.timezone, raw)
        raw.execute(connection.ops.compose_sql(_statement(values), values))
        return raw.fetchone()
    finally:
        raw.close()


def _ours(values: list = VALUES) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(_statement(values), values)
        return cursor.fetchone()


def _same(got: tuple, expected: tuple) -> None:
    assert got == expected
    for a, b in zip(got, expected, strict=True):
        assert type(a) is type(b)
        assert a is None or (a.tzinfo is b.tzinfo and a.isoformat() == b.isoformat())


@pytest.mark.django_db
def test_sifa_runs_on_its_backend_with_the_compiled_loader():
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
    from psycopg.pq import Format

    assert connection.settings_dict["ENGINE"] == "sifa.core.postgresql_backend"
    connection.ensure_connection()
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        assert loader.__module__.startswith("psycopg_")  # psycopg_binary or psycopg_c
        assert not hasattr(loader, "timezone")


@pytest.mark.django_db
def test_the_orm_cursor_gives_djangos_timestamps():
    _same(_ours(), _djangos())
    assert _ours()[0].tzinfo is connection.timezone


@pytest.mark.django_db
def test_a_model_read_and_a_server_side_cursor_give_djangos_timestamps():
    from sifa.accounts.models import AccountKind, User

    User.objects.create_user("tz-probe", kind=AccountKind.PERSON)
    with connection.cursor() as cursor:  # the column as Django's loader reads it
        raw = cursor.cursor
        register_tzloader(connection.timezone, raw)
        cursor.execute("SELECT date_joined FROM accounts_user WHERE username = %s", ["tz-probe"])
        expected = cursor.fetchone()[0]
    user = User.objects.get(username="tz-probe")
    assert user.date_joined == expected and user.date_joined.tzinfo is expected.tzinfo
    with transaction.atomic():  # a named (server-side) cursor: .iterator() inside a transaction
        streamed = [u.date_joined for u in User.objects.filter(username="tz-probe").iterator(chunk_size=10)]
    assert streamed == [expected] and streamed[0].tzinfo is expected.tzinfo


@pytest.mark.django_db
def test_another_session_time_zone_gets_djangos_loader():
    """A session whose ``TimeZone`` is not the one Django set: the compiled loader would answer in
    that zone, Django's sets its own ``tzinfo``: each cursor gets Django's, as Django decides."""
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Asia/Kolkata'")
    try:
        _same(_ours(EVERYWHERE), _djangos(EVERYWHERE))
        with connection.cursor() as cursor:
            assert not _compiled_loader(cursor)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE %s", [connection.timezone_name])
    _same(_ours(), _djangos())


@pytest.mark.django_db
def test_naive_datetimes_without_use_tz_are_djangos():
    with override_settings(USE_TZ=False):  # Django sets the session's zone to TIME_ZONE
        got, expected = _ours(EVERYWHERE), _djangos(EVERYWHERE)
        _same(got, expected)
        assert got[0].tzinfo is None
    _same(_ours(), _djangos())


def _compiled_loader(cursor) -> bool:
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
    from psycopg.pq import Format

    return not hasattr(cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT), "timezone")
