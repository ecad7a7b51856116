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

import datetime as dt
import functools
import uuid
from _thread import get_ident as _thread_ident

from django.conf import settings
from django.db.backends.sqlite3 import base, operations

REMEMBERED = 2048
"""Distinct statements remembered per process before the memory starts again from empty."""

_converted: dict[str, str] = {}


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query, *, param_names=None):
        if param_names is not None:  # "pyformat" (named) parameters: Django's own, not remembered
            return super().convert_query(query, param_names=param_names)
        return converted(query)


def converted(query: str) -> str:
    """``query`` with SQLite's ``?`` placeholders, as Django's conversion gives it, remembered."""
    text = _converted.get(query)
    if text is None:
        text = base.SQLiteCursorWrapper.convert_query(None, query)
        if len(_converted) >= REMEMBERED:
            _converted.clear()
        _converted[query] = text
    return text


_uuid = functools.lru_cache(maxsize=4096)(uuid.UUID)
"""``uuid.UUID(text)``, kept per text: a ``UUID`` cannot be changed, so one instance may stand for
every read of the same key (a case's id is read by every statement of its command)."""


class DatabaseOperations(operations.DatabaseOperations):
    """Django's SQLite operations; two of its converters take a shorter way to the same value for
    the values a read gives most (docs/performance.md, "session 11: W4")."""

    def convert_datetimefield_value(self, value, expression, connection):
        # The text of an instant as Django writes it on SQLite (``adapt_datetimefield_value``: UTC,
        # naive, ``YYYY-MM-DD HH:MM:SS[.ffffff]``; what a packed read, ``core.packed``, gives) in
        # UTC, as Django's ``parse_datetime`` (``fromisoformat``) then ``make_aware`` give it: read
        # with its offset in one step, without ``replace`` (docs/performance.md, "session 14: W4").
        # A text of another shape, or with an offset of its own, fails here: Django's way.
        # (The connection's zone is UTC only with ``USE_TZ``: Django forgets it when a setting of
        # time changes, ``update_connections_time_zone``.)
        if type(value) is str and len(value) in (19, 26):
            if self.connection.timezone is dt.UTC:
                try:
                    return dt.datetime.fromisoformat(value + "+00:00")
                except ValueError:
                    pass
        # A naive ``datetime`` (what the sqlite3 module's "datetime" converter gives) made aware as
        # ``timezone.make_aware(value, self.connection.timezone)`` makes it; anything else: Django.
        if type(value) is dt.datetime and value.tzinfo is None:
            if not settings.USE_TZ:
                return value
            zone = self.connection.timezone
            if zone is not None:
                return value.replace(tzinfo=zone)
        return super().convert_datetimefield_value(value, expression, connection)

    def adapt_datetimefield_value(self, value):
        # An instant in UTC (``timezone.now()``'s) written as Django writes it: made naive in the
        # connection's zone, UTC (``make_naive``: ``astimezone`` gives the instant itself, then
        # ``replace``), then ``str`` — the same text as its ``isoformat(" ")`` without the
        # "+00:00" (docs/performance.md, "session 14: W4"). Anything else: Django.
        # (The connection's zone is UTC only with ``USE_TZ``, as above.)
        if type(value) is dt.datetime and value.tzinfo is dt.UTC and self.connection.timezone is dt.UTC:
            return value.isoformat(" ")[:-6]
        return super().adapt_datetimefield_value(value)

    def convert_uuidfield_value(self, value, expression, connection):
        if type(value) is str:
            return _uuid(value)
        return super().convert_uuidfield_value(value, expression, connection)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def create_cursor(self, name=None):
        return self.connection.cursor(factory=SQLiteCursorWrapper)

    def plain_rows(self, sql: str, params, binary: bool = False) -> list | None:
        """The rows of the read ``sql`` (``%s`` placeholders, positional ``params``) run on the
        SQLite connection itself, or ``None`` when it must go through Django's cursor wrapper
        (``sifa.core.db.first_read`` then does): no connection yet, the statement to be logged or
        counted (``DEBUG``, ``CaptureQueriesContext``, the query-count guards) or an
        ``execute_wrapper`` installed. Otherwise it takes the wrapper's own steps — the health
        check (outside ``atomic`` the read is the check, as in ``first_read``: SQLite's
        ``is_usable()`` is always true), the thread check, the broken-transaction check, Django's
        error translation — without building the wrapper, its cursor and its ``fetchall`` around
        the one statement (docs/performance.md, "session 6: W5"). ``binary`` (PostgreSQL's
        result form) means nothing here."""
        if not self._plain():
            return None
        with self.wrap_database_errors:
            return self.connection.execute(converted(sql), params).fetchall()

    def plain_execute(self, sql: str, params, many: bool = False):
        """The write ``sql`` (``%s`` placeholders; ``params`` a row of values, or rows with
        ``many``) run on the SQLite connection itself, as :meth:`plain_rows` runs a read: the
        sqlite3 cursor it ran on (its ``rowcount``, ``lastrowid``, the rows of a ``RETURNING``), or
        ``None`` when it must go through Django's cursor wrapper (``sifa.core.db.run_fixed`` then
        does): no connection yet, the statement to be logged or counted, an ``execute_wrapper``
        installed. The wrapper's own steps are taken (the health check, the thread check, the
        broken-transaction check, Django's error translation); the statement is the same text
        Django's wrapper would run, with the same values (docs/performance.md, "session 9: W4")."""
        if not self._plain():
            return None
        with self.wrap_database_errors:
            if many:
                return self.connection.executemany(converted(sql), params)
            return self.connection.execute(converted(sql), params)

    def _plain(self) -> bool:
        """Whether a statement may run on the SQLite connection itself (:meth:`plain_rows`), after
        the steps of Django's cursor wrapper that concern it."""
        # ``queries_logged``, without the property: ``force_debug_cursor or settings.DEBUG`` —
        # ``DEBUG`` read from the settings object itself (``settings._wrapped``: under
        # ``override_settings`` too), not through ``LazySettings``, whose every read formats an
        # ``AttributeError`` (its check for a proxy method, ``_mask_wrapped``): ≈ 3,000
        # instructions, and this check runs before each of a case command's 14 statements
        # (docs/performance.md, "session 14: W4").
        if (
            self.connection is None
            or self.force_debug_cursor
            or self.execute_wrappers
            or settings._wrapped.DEBUG
        ):
            return False
        if self.health_check_enabled and not self.health_check_done:
            if self.in_atomic_block:
                self.close_if_health_check_failed()
                if self.connection is None:
                    return False
            else:
                self.health_check_done = True
        if self._thread_ident != _thread_ident() and not self._thread_sharing_count:
            self.validate_thread_sharing()  # Django's refusal
        if self.needs_rollback:
            self.validate_no_broken_transaction()  # Django's refusal
        return True
