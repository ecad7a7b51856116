"""Django's PostgreSQL backend (``ENGINE: "sifa.core.postgresql_backend"``), with one change: each
``timestamptz`` value is loaded by psycopg's compiled loader instead of Django's Python one,
whenever the two give the same value.

Django registers, for every connection, a Python subclass of psycopg's *Python*
``TimestamptzLoader`` that calls it and then sets the connection's ``timezone`` on the value
(``datetime.replace``, ``django/db/backends/postgresql/psycopg_any.py``): ≈ 12 µs a value, where
psycopg's compiled loader (psycopg-binary, used for every other type already) takes ≈ 0.5 µs — on
every ORM read of a timestamp (docs/performance.md, "session 4: the compiled timestamp loader").

The compiled loader gives the instant in the session's time zone (``TimeZone``, which Django sets
to ``timezone_name``), with the ``tzinfo`` psycopg maps that zone to. When that is the very object
Django would set (``connection.timezone``: ``datetime.timezone.utc`` for ``USE_TZ`` with the
database's ``TIME_ZONE`` unset, as Sifa runs), both give the same instant with the same ``tzinfo``
object, so the two loaders cannot be told apart. That is checked for every cursor, as Django
checks its own loader for every cursor: with ``USE_TZ`` off, another database ``TIME_ZONE``, or a
session whose ``TimeZone`` was changed since, the cursor gets Django's loader, as in Django's
``create_cursor``.

The compiled loader is registered on the connection itself (once per connection), so a cursor
that uses it costs nothing more than one Django's check would.
"""

from __future__ import annotations

from django.db import DatabaseError
from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.utils.asyncio import async_unsafe
from psycopg._tz import get_tzinfo
from psycopg.types.datetime import TimestamptzLoader

TIMESTAMPTZ_OID = base.TIMESTAMPTZ_OID


def gives_djangos_timestamps(wrapper, raw) -> bool:
    """True when psycopg's compiled ``timestamptz`` loader on the psycopg connection ``raw`` gives
    exactly the values Django's loader gives for ``wrapper`` (Django's connection): aware values
    (``USE_TZ``) and the session's time zone mapped by psycopg to the very ``tzinfo`` object Django
    sets."""
    timezone = wrapper.timezone
    return timezone is not None and get_tzinfo(raw.pgconn) is timezone


class DatabaseWrapper(base.DatabaseWrapper):
    _compiled_loader_on = None
    """The psycopg connection whose ``timestamptz`` loader is the compiled one (set on connecting)."""

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if self.timezone is not None:  # aware values: the compiled loader can give Django's
            connection.adapters.register_loader(TIMESTAMPTZ_OID, TimestamptzLoader)  # psycopg's C one
            self._compiled_loader_on = connection
        else:
            self._compiled_loader_on = None
        return connection

    @async_unsafe
    def create_cursor(self, name=None):
        raw = self.connection
        if raw is not self._compiled_loader_on:  # Django's loader on the connection: Django's rule
            return super().create_cursor(name)
        if name:
            cursor = self._named_cursor(raw, name)
        else:
            cursor = raw.cursor()
        if not gives_djangos_timestamps(self, raw):
            register_tzloader(self.timezone, cursor)  # Django's loader, as its create_cursor sets it
        return cursor

    def _named_cursor(self, raw, name):
        """A server-side cursor exactly as Django's ``create_cursor`` makes it."""
        if self.settings_dict["OPTIONS"].get("server_side_binding") is not True:
            return base.ServerSideCursor(raw, name=name, scrollable=False, withhold=raw.autocommit)
        return raw.cursor(name, scrollable=False, withhold=raw.autocommit)

    def plain_rows(self, sql: str, params, binary: bool = False) -> list | None:
        """The rows of the read ``sql`` when it is prepared on the connection already, run on the
        connection's kept psycopg cursor itself (``sifa.core.db``'s ``KeptCursor._run_prepared``:
        libpq's one call), or ``None`` when it must take ``fixed_cursor``'s way
        (``sifa.core.db.first_read`` then does): no connection or no kept cursor yet (or it is
        lent), the statement to be logged or counted (``DEBUG``, ``CaptureQueriesContext``, the
        query-count guards) or an ``execute_wrapper`` installed, the health check due inside
        ``atomic``, prepared statements off, or anything ``_run_prepared`` leaves to psycopg's
        ``execute`` (a statement not prepared yet…: nothing was sent then). Otherwise it takes
        the wrapper's own steps — the health check (outside ``atomic`` the read is the check, as in
        ``first_read``, and a lost connection is closed for ``first_read`` to run the statement on
        a new one), the thread check, the broken-transaction check, Django's error translation —
        without building Django's cursor wrapper around the one statement: the twin of
        ``sifa.core.sqlite_backend``'s (docs/performance.md, "session 8: me")."""
        raw = self.connection
        cursor = getattr(self, "_sifa_fixed_cursor", None)
        if (
            raw is None
            or cursor is None
            or cursor.lent
            or cursor.connection is not raw
            or self.queries_logged
            or self.execute_wrappers
            or self.settings_dict["OPTIONS"].get("prepare_threshold") is None
        ):
            return None
        due = self.health_check_enabled and not self.health_check_done
        if due and self.in_atomic_block:
            return None  # fixed_cursor checks first (``close_if_health_check_failed``)
        self.validate_thread_sharing()
        self.validate_no_broken_transaction()
        if due:
            self.health_check_done = True  # this statement is the check (first_read's rule)
        try:
            with self.wrap_database_errors:
                if cursor.closed:
                    rows = None
                else:
                    cursor.lent = True
                    try:
                        if cursor._run_prepared(sql, params, bool(binary)) is None:
                            rows = None
                        else:
                            rows = cursor.fetchall()
                    finally:
                        cursor.close()  # the kept cursor's close: its results dropped, handed back
        except DatabaseError:  # Django's, as wrap_database_errors raises it
            if not due or not raw.closed:
                raise  # the connection is alive (or was checked before): the statement's own failure
            self.close()  # as the failed check closes it; first_read runs the statement on a new one
            return None
        if rows is None and due:
            self.health_check_done = False  # nothing was sent: first_read's own way checks as before
        return rows
