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
