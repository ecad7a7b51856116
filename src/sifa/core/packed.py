"""A read's columns as one JSON array on SQLite (docs/performance.md, "2026-12-07 (session 11): W4").

Python's sqlite3 module names, types and fetches every column of every statement one by one: for
each column of a statement it decodes the column's name, looks up a converter for its declared
type, and for each row it releases and takes back the GIL around the column's type and builds its
value. A statement of 50–90 columns (a case with its relations) spends more there than SQLite
spends running it. :func:`packed_sql` gives the same statement with its select list as one
``json_array(…)``: one column, one value per row, which ``json.loads`` turns into the same values
the columns give — integers, texts and empty values as they are — and then the same converters
of Django and the fields run on them (:class:`~sifa.core.db.PreparedQuery`).

Only where nothing can tell the two apart: every column a model field's (no expression, no
parameter in the select list); none whose values JSON would change (a ``REAL``, a ``DECIMAL`` or
a ``BLOB``: the JSON array writes 15 digits of a float and refuses a blob); and a column whose
declared type has an sqlite3 converter (Django registers ``bool``, ``date``, ``datetime``,
``timestamp``, ``time``, ``decimal``) only for the field whose own converter gives the same value
from the stored text or integer that the sqlite3 converter gives from it (a flag, a date, an
instant, a time). Anything else keeps its columns.
"""

from __future__ import annotations

import sqlite3

_CONVERTED = {
    "BOOL": "BooleanField",
    "DATE": "DateField",
    "DATETIME": "DateTimeField",
    "TIMESTAMP": "DateTimeField",
    "TIME": "TimeField",
}
"""The sqlite3 converters (by declared type) whose value the field's own converter also gives."""
_CHANGED_BY_JSON = ("real", "floa", "doub", "dec", "numeric", "blob")
"""Declared types whose values a JSON array would not give back as they are."""
MOST = 100
"""The most columns packed: an SQL function takes at most 127 arguments (``SQLITE_MAX_FUNCTION_ARG``,
100 in older builds); a wider read keeps its columns."""


def packed_sql(compiler, sql: str, connection) -> str | None:
    """``sql`` (``compiler``'s statement) with its select list as one ``json_array(…)`` on SQLite
    when nothing can tell the two apart (module docstring), else None."""
    if connection.vendor != "sqlite" or not 0 < compiler.col_count <= MOST:
        return None
    columns = []
    for expression, (column, params), alias in compiler.select[: compiler.col_count]:
        field = getattr(expression, "target", None)
        if field is None or params or alias is not None or not _same_by_json(expression, connection):
            return None
        columns.append(column)
    head = f"SELECT {', '.join(columns)} FROM "  # noqa: S608 (the compiler's own columns)
    if not sql.startswith(head):
        return None
    return f"SELECT json_array({', '.join(columns)}) FROM {sql[len(head) :]}"  # noqa: S608 (its own text)


def _same_by_json(expression, connection) -> bool:
    field = expression.output_field
    declared = (field.db_type(connection) or "").lower()
    base = declared.split("(")[0].split(" ")[0].upper()
    if any(word in declared for word in _CHANGED_BY_JSON) or field.get_internal_type() == "BinaryField":
        return False
    if base in sqlite3.converters:
        return _CONVERTED.get(base) == field.get_internal_type()
    return True
