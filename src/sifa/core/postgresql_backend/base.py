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
