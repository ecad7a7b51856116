"""A build's rows, kept once per test process and written back into a database in the same state.

A transactional test (the browser journeys: their live server reads committed rows) starts from
a flushed, empty database, and several of them build the same tree and catalogue first —
``load_catalogue()`` alone takes about 4 s of CPU a test. :func:`once` runs the build the first
time in a process and keeps, in memory, every row of every table it filled; a later call that
finds the database as the first one found it (the same row count in every table) writes those
rows back — PostgreSQL ``COPY`` in binary, SQLite ``INSERT`` — and returns a fresh copy of the
build's result (pickled, as :class:`~sifa.testing.prepared.PreparedWorld` keeps its world).

The rows are the build's, byte for byte: the same ids, the same timestamps, the same audit
events and their chain. The build is run again instead, as before, whenever the copy could differ:
the database is not in the state the first build found (a row count differs, in any table), the
build ran on another day (a test that travels), changed or filled a table that was not empty, changed a table without a model (a search index
outside the ORM), or left a row pointing at one it did not write (a content type, a permission:
a flush makes those again under new ids).
"""

# ruff: noqa: S608  (table and column names from the database's catalogue and the models, quoted)
from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

T = TypeVar("T")


@dataclass
class _Kept:
    tables: tuple[str, ...]
    """The tables the build filled, in the order they are written back."""
    rows: dict[str, Any]
    """table → its rows (PostgreSQL: one binary ``COPY``; SQLite: columns and tuples)."""
    pickled: bytes


_KEPT: dict[tuple[str, tuple[tuple[str, int], ...], date], _Kept | None] = {}
"""(name, every table's row count before the build, the day) → the build's rows, or None where
they cannot be written back (then it is built every time)."""


def once(name: str, build: Callable[[], T]) -> T:
    """``build()``, run once per process and state of the database; later calls on a database in
    the same state get its rows written back and a fresh copy of its result."""
    if connection.vendor not in ("postgresql", "sqlite"):
        return build()
    key = (name, _state(), timezone.localdate())
    if key in _KEPT:
        kept = _KEPT[key]
        if kept is None:  # its rows cannot be written back: build as before
            return build()
        with transaction.atomic():
            _write_back(kept)
        return pickle.loads(kept.pickled)  # noqa: S301  (bytes this process pickled)
    rows_before = _digest(key[1])
    result = build()
    _KEPT[key] = _keep(key[1], rows_before, result)
    return result


def forget() -> None:
    _KEPT.clear()


# --- the tables -----------------------------------------------------------------------------------


def _tables() -> list[str]:
    return sorted(connection.introspection.table_names(include_views=False))


def _state() -> tuple[tuple[str, int], ...]:
    """(table, rows) for every table, in one query."""
    tables = _tables()
    quote = connection.ops.quote_name
    counts: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(tables), 200):  # SQLite limits a compound SELECT
            part = tables[start : start + 200]
            cursor.execute(
                " UNION ALL ".join(f"SELECT {i}, COUNT(*) FROM {quote(t)}" for i, t in enumerate(part))
            )
            counts += [n for _i, n in sorted(cursor.fetchall())]
    return tuple(zip(tables, counts, strict=True))


def _models_by_table() -> dict[str, Any]:
    return {m._meta.db_table: m for m in apps.get_models(include_auto_created=True) if m._meta.managed}


def _digest(state: tuple[tuple[str, int], ...]) -> str:
    """A digest of the rows of every table that has rows (the data migrations', content types):
    a build that changed one of them in place cannot be written back by adding rows."""
    import hashlib

    quote = connection.ops.quote_name
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table, count in state:
            if not count:
                continue
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM {quote(table)} AS x"
                )
                digest.update(f"{table}:{cursor.fetchone()[0]};".encode())
            else:
                cursor.execute(f"SELECT * FROM {quote(table)}")
                digest.update(f"{table}:{sorted(map(repr, cursor.fetchall()))};".encode())
    return digest.hexdigest()


def _keep(state: tuple[tuple[str, int], ...], rows_before: str, result: Any) -> _Kept | None:
    before = dict(state)
    after = dict(_state())
    filled = [t for t, n in after.items() if n != before.get(t, 0)]
    models = _models_by_table()
    if any(before.get(t, 0) or t not in models for t in filled):
        return None  # a table that had rows, or one outside the ORM: not a copy we can make
    if _digest(state) != rows_before:
        return None  # a row that was there before changed
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in filled:
            for field in models[table]._meta.concrete_fields:
                target = (
                    field.related_model._meta.db_table if field.is_relation and field.related_model else None
                )
                if target and target not in filled:
                    cursor.execute(
                        f"SELECT 1 FROM {quote(table)} WHERE {quote(field.column)} IS NOT NULL LIMIT 1"
                    )
                    if cursor.fetchone():
                        return None  # points at a row the build did not write
    try:
        pickled = pickle.dumps(result)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    return _Kept(tuple(filled), {t: _read(t, models[t]) for t in filled}, pickled)


def _read(table: str, model: Any) -> Any:
    quote = connection.ops.quote_name
    order = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            query = f"COPY (SELECT * FROM {quote(table)} ORDER BY {order}) TO STDOUT (FORMAT BINARY)"
            with cursor.cursor.copy(query) as copy:
                return b"".join(bytes(block) for block in copy)
        cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {order}")
        return [d[0] for d in cursor.description], cursor.fetchall()


def _write_back(kept: _Kept) -> None:
    """The kept rows into their (empty) tables, in one transaction: the foreign keys are checked
    at its commit (Django makes them deferrable). A sequence behind the rows is moved past them."""
    quote = connection.ops.quote_name
    models = _models_by_table()
    with connection.cursor() as cursor:
        for table in kept.tables:
            rows = kept.rows[table]
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {quote(table)} FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(rows)
                pk = models[table]._meta.pk
                if pk.get_internal_type() not in ("AutoField", "BigAutoField", "SmallAutoField"):
                    continue
                cursor.execute(
                    f"SELECT setval(s, GREATEST((SELECT MAX({quote(pk.column)}) FROM {quote(table)}), nextval(s) - 1)) "
                    "FROM pg_get_serial_sequence(%s, %s) AS s WHERE s IS NOT NULL",
                    [table, pk.column],
                )
            else:
                columns, values = rows
                names = ", ".join(quote(c) for c in columns)
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", values)
