"""Database helpers shared by every app: materialized-path columns and their subtree lookup."""

from __future__ import annotations

from django.db import models
from django.db.models import Lookup

PATH_CEILING = "~"
"""Sorts after every character a path may hold (digits and '/'), in byte order."""


class PathField(models.CharField):
    """A materialized path such as ``/1/12/345/`` (digits and slashes only).

    On PostgreSQL the column uses the "C" collation so that byte order is sort order and the
    ``subtree`` lookup below is a plain btree range scan; SQLite compares bytes already.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


@PathField.register_lookup
class Subtree(Lookup):
    """``path__subtree="/1/12/"``: the node itself and every descendant, as an indexed range."""

    lookup_name = "subtree"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        _rhs, rhs_params = self.process_rhs(compiler, connection)
        if len(rhs_params) != 1:
            raise ValueError("subtree takes one path")
        prefix = rhs_params[0]
        return f"({lhs} >= %s AND {lhs} < %s)", [*lhs_params, prefix, *lhs_params, prefix + PATH_CEILING]


class FixedRows:
    """Rows of ``model`` read with hand-written SQL, converted (and built) as the ORM does it.

    For the few reads on every request (the bearer token's lookup): building an ORM query costs
    several times the query itself (docs/performance.md, "2026-12-06: me"). ``columns(alias)``
    lists every concrete column under a table alias; ``convert(values, connection)`` applies the
    backend's and the fields' converters (SQLite's text datetimes, UUIDs, booleans…), and
    ``build(values, connection)`` makes the instance of a whole row with ``Model.from_db``, so the
    instance is complete (no deferred field, no lazy query later). ``FixedRows(model, *names)``
    reads only the named fields (``convert`` only).
    """

    def __init__(self, model: type[models.Model], *names: str) -> None:
        self.model = model
        meta = model._meta
        self.fields = tuple(meta.get_field(name) for name in names) if names else tuple(meta.concrete_fields)
        self.complete = not names
        self.attnames = tuple(field.attname for field in self.fields)
        self._converters: dict[str, list] = {}

    def columns(self, alias: str) -> str:
        from django.db import connection

        quote = connection.ops.quote_name
        return ", ".join(f"{quote(alias)}.{quote(field.column)}" for field in self.fields)

    def _converters_for(self, connection) -> list:
        found = self._converters.get(connection.vendor)
        if found is None:
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.model._meta.db_table)
                steps = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                if steps:
                    found.append((index, column, steps))
            self._converters[connection.vendor] = found
        return found

    def convert(self, values, connection) -> list:
        """The Python values of ``values`` (one per column, in ``columns()``' order)."""
        values = list(values)
        for index, column, steps in self._converters_for(connection):
            value = values[index]
            for step in steps:
                value = step(value, column, connection)
            values[index] = value
        return values

    def build(self, values, connection):
        """The model instance of a whole row (``FixedRows(model)`` without field names)."""
        if not self.complete:
            raise ValueError("build() needs every concrete field: FixedRows(model) without names")
        return self.model.from_db(connection.alias, self.attnames, self.convert(values, connection))
