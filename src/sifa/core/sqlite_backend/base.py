"""Django's SQLite backend (``ENGINE: "sifa.core.sqlite_backend"``), with one change: the
conversion of a statement's ``%s`` placeholders into SQLite's ``?`` is remembered per statement
text instead of being redone on every execution.

Django converts with a regular expression (``(?<!%)%s``) over the whole statement, every time a
statement with parameters runs. For the fixed statements on every public request (the rate
limit's count, the progress query's one ``UNION ALL``, the bearer token's statement, 1–2 KB each)
that scan cost 0.1–0.25 ms of CPU per statement — more than SQLite took to run them
(docs/performance.md, "2026-12-06 (night): W5 and me"). The remembered text is the one Django's
own conversion gave (the same function, called once per distinct statement), so every statement
runs exactly as before; ORM statements repeat their text too and gain the same way.

The memory is bounded: at :data:`REMEMBERED` distinct statements it starts again from empty (one
process's statements are a few hundred; a burst of distinct ones only costs their conversion, as
before). Reads and writes of a dict are atomic under the GIL, so threads share it safely (at worst
two threads convert the same statement once each).
"""

from __future__ import annotations

from django.db.backends.sqlite3 import base

REMEMBERED = 2048
"""Distinct statements remembered per process before the memory starts again from empty."""

_converted: dict[str, str] = {}


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query, *, param_names=None):
        if param_names is not None:  # "pyformat" (named) parameters: Django's own, not remembered
            return super().convert_query(query, param_names=param_names)
        converted = _converted.get(query)
        if converted is None:
            converted = super().convert_query(query)
            if len(_converted) >= REMEMBERED:
                _converted.clear()
            _converted[query] = converted
        return converted


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        return self.connection.cursor(factory=SQLiteCursorWrapper)
