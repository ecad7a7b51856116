"""``sifa.core.db._passing_types``: a fixed statement's value is passed as it is only where its
field's ``get_db_prep_save`` would give back that very value — checked on every field of every
fixed insert and update of Sifa, on the database the suite runs on."""

from __future__ import annotations

import gc

import pytest
from django.db import connection, models

from sifa.core.db import FixedInsert, FixedUpdate, _passing, _passing_types

SAMPLES = {str: ["", "x", "中止计时", " 5 "], int: [0, 1, 7, -3, 2**40], bool: [True, False]}


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
        for field, kinds in zip(statement.fields, _passing(statement, connection), strict=True):
            assert kinds == _passing_types(field, connection)
            for kind in kinds:
                for value in SAMPLES[kind]:
                    if (
                        isinstance(field, models.CharField)
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


class Counted(models.IntegerField):
    def get_prep_value(self, value):  # a field that changes what it stores
        return super().get_prep_value(value) + 1


class Flag(models.BooleanField):
    def to_python(self, value):
        return super().to_python(value)


def test_a_field_with_its_own_preparation_passes_nothing():
    assert _passing_types(Counted(), connection) == ()
    assert _passing_types(Flag(), connection) == ()
    assert _passing_types(models.JSONField(), connection) == ()
    assert _passing_types(models.DateField(), connection) == ()
    assert _passing_types(models.DateTimeField(), connection) == ()
    assert _passing_types(models.BooleanField(), connection) == (bool,)
    assert _passing_types(models.CharField(max_length=3), connection) == (str,)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's integer adaptation")
def test_postgresql_integers_are_prepared_by_their_field():
    """psycopg is given each integer in its column's type (``Int4``, ``Int8`` …): not passed."""
    assert _passing_types(models.IntegerField(), connection) == ()
    assert _passing_types(models.BigAutoField(primary_key=True), connection) == (int,)
