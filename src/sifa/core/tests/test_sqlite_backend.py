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
