"""``sifa.core.db_values._passing_types``: a fixed statement's value is passed as it is only where
its field's ``get_db_prep_save`` would give back that very value, and ``_converters``: where it
takes one step instead, that step gives what the field would — checked on every field of every
fixed insert and update of Sifa, on the database the suite runs on."""

from __future__ import annotations

import datetime as dt
import gc

import pytest
from django.db import connection, models

from sifa.core.db import FixedInsert, FixedUpdate, _passing, _passing_types
from sifa.core.db_values import _converters, _sqlite_instant

SAMPLES = {
    str: ["", "x", "中止计时", " 5 ", "127.0.0.1", "::ffff:127.0.0.1", "2001:DB8::1", "a:b"],
    int: [0, 1, 7, -3, 2**40],
    bool: [True, False],
    type(None): [None],
    dt.date: [dt.date(2026, 12, 7), dt.date(1, 1, 1)],
    dict: [{}, {"kind": "expert_review", "on": "2026-12-07", "days": [1, 2.5, None, True]}],
    list: [[], [{"reason": "组织专家评审", "to": None}], ["a", 1]],
    dt.datetime: [
        dt.datetime(2026, 12, 7, 1, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 7, 1, 30, 0, 5, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),  # left to the field
    ],
}


def _same(ours, theirs) -> bool:
    """The same value for the driver: equal and of one type; psycopg's ``Jsonb`` wrapper by the
    object it wraps and the dumps it takes."""
    if type(ours) is not type(theirs):
        return False
    if hasattr(theirs, "obj") and hasattr(theirs, "dumps"):
        return ours.obj is theirs.obj and ours.dumps == theirs.dumps
    return ours == theirs


def _fixed_statements() -> list[FixedInsert | FixedUpdate]:
    import sifa.applications.services  # the modules that define them
    import sifa.audit.services
    import sifa.deadlines.services
    import sifa.indicators.services.maintenance
    import sifa.notifications.services
    import sifa.workflow.services.commands
    import sifa.workflow.services.projection  # noqa: F401

    return [o for o in gc.get_objects() if type(o) in (FixedInsert, FixedUpdate)]


def test_every_passed_value_is_what_its_field_would_prepare():
    statements = _fixed_statements()
    assert len(statements) >= 10
    passed = set()
    for statement in statements:
        passing, _ = _passing(statement, connection)
        for field, kinds in zip(statement.fields, passing, strict=True):
            assert kinds == _passing_types(field, connection)
            for kind in kinds:
                for value in SAMPLES[kind]:
                    if (
                        isinstance(field, models.CharField)
                        and isinstance(value, str)
                        and field.max_length
                        and len(value) > field.max_length
                    ):
                        continue
                    prepared = field.get_db_prep_save(value, connection)
                    assert prepared is value or (type(prepared) is kind and prepared == value), (field, value)
                passed.add((type(field).__name__, kind))
    # The kinds a case command writes: its texts, flags and (on SQLite) counts and keys.
    assert {("CharField", str), ("BooleanField", bool)} <= passed
    if connection.vendor == "sqlite":
        assert ("ForeignKey", int) in passed
        assert ("PositiveIntegerField", int) in passed or ("IntegerField", int) in passed
    # A clock's dates that may be empty, the audit rows' organisation.
    assert {("DateField", type(None)), ("ForeignKey", type(None))} <= passed


def test_every_converted_value_is_what_its_field_would_prepare():
    converted = set()
    for statement in _fixed_statements():
        _, steps = _passing(statement, connection)
        for field, ways in zip(statement.fields, steps, strict=True):
            assert ways.keys() == _converters(field, connection).keys()
            for kind, step in ways.items():
                for value in SAMPLES[kind]:
                    ours = step(value)
                    if ours is None and kind is dt.datetime:  # not one it takes: the field prepares it
                        continue
                    assert _same(ours, field.get_db_prep_save(value, connection)), (field, value)
                converted.add((type(field).__name__, kind))
    # The clocks' events and the audit rows' detail; on SQLite their dates too.
    assert {("JSONField", dict), ("JSONField", list)} <= converted
    if connection.vendor == "sqlite":
        assert ("DateField", dt.date) in converted
        assert ("GenericIPAddressField", str) in converted  # the audit rows' address
        assert ("DateTimeField", dt.datetime) in converted  # the timeline's and the instance's


def _date_passed() -> tuple[type, ...]:
    return (dt.date,) if connection.vendor == "postgresql" else ()  # psycopg takes the date itself


class Counted(models.IntegerField):
    def get_prep_value(self, value):  # a field that changes what it stores
        return super().get_prep_value(value) + 1


class Flag(models.BooleanField):
    def to_python(self, value):
        return super().to_python(value)


def test_a_field_with_its_own_preparation_passes_nothing():
    assert _passing_types(Counted(), connection) == ()
    assert _passing_types(Flag(), connection) == ()
    # Values other than None of a JSON, date or instant field are prepared (or converted).
    none = (type(None),)
    assert _passing_types(models.JSONField(), connection) == none
    assert _passing_types(models.DateField(), connection) == (*_date_passed(), *none)
    assert _passing_types(models.DateTimeField(), connection) == none
    assert _passing_types(models.BooleanField(), connection) == (bool,)  # None refused
    assert _passing_types(models.BooleanField(null=True), connection) == (bool, *none)
    assert _passing_types(models.CharField(max_length=3), connection) == (str, *none)
    assert _converters(Counted(), connection) == {}
    instants = {dt.datetime: _sqlite_instant} if connection.vendor == "sqlite" else {}
    assert _converters(models.DateTimeField(), connection) == instants
    assert _sqlite_instant(dt.datetime(2026, 12, 7, 9, 30)) is None  # naive: the field's warning


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's integer adaptation")
def test_postgresql_integers_are_prepared_by_their_field():
    """psycopg is given each integer in its column's type (``Int4``, ``Int8`` …): not passed."""
    assert _passing_types(models.IntegerField(), connection) == ()
    assert _passing_types(models.BigAutoField(primary_key=True), connection) == (int, type(None))
