"""A world built once per test process and handed to each module that asks, in a copy of its own.

Building a large world (the probes' demo world: the catalogue, ``load-demo``, the delivered demo
cases with their PDFs) takes tens of seconds, and several modules walk the same one. A module
that built it inside its own transaction rolled back paid that each time. :class:`PreparedWorld`
builds it once per process (each xdist worker, or a serial run) in a database of its own, copied
from the empty, migrated test database — ``CREATE DATABASE … TEMPLATE`` on PostgreSQL, SQLite's
backup API on a file — and commits it there. :meth:`PreparedWorld.use` then points the default
connection at that database for a module, inside a transaction rolled back at the end (as the
modules' own fixtures did), so each module starts from the world exactly as built; the world's
Python side (model instances, ids, logins) is kept pickled and handed out as a fresh copy.

What the build scheduled for after its commit (``transaction.on_commit``: delivery tasks, the
pre-review, a calendar cache reset) is dropped, not run: inside a module's transaction, rolled
back, those callbacks never ran either. Files the build writes (uploads, issued PDFs) stay in the
process's ``MEDIA_ROOT`` under random keys, as before.

Where the copy cannot be made (an in-memory SQLite database, or another session still connected
to the test database, which PostgreSQL refuses as a template), :meth:`use` builds the world in the
module's own transaction as before. The copy is dropped when the test session ends.
"""

from __future__ import annotations

import pickle
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection, transaction


class PreparedWorld:
    """``build()``'s world, built once in a copied database and used by module after module."""

    def __init__(self, name: str, build: Callable[[], Any]) -> None:
        self.name = name
        self.build = build
        self.database: str | None = None
        self.pickled: bytes | None = None
        self.builds = 0
        """How many times ``build`` ran (once, unless the copy could not be made)."""

    # --- the database of the world -----------------------------------------------------------------

    def _copy(self, source: str) -> str | None:
        """A copy of the test database ``source`` for the world, or None where none can be made."""
        vendor = connection.vendor
        if vendor == "postgresql":
            target = f"{source}_{self.name}"[:63]
            connection.close()
            try:
                with connection._nodb_cursor() as cursor:
                    quoted = connection.ops.quote_name
                    # Tests only: the copy's commit does not wait for the disk (docs/testing.md).
                    cursor.execute("SET synchronous_commit = off")
                    cursor.execute(f"DROP DATABASE IF EXISTS {quoted(target)} WITH (FORCE)")
                    cursor.execute(f"CREATE DATABASE {quoted(target)} TEMPLATE {quoted(source)}")
            except Exception:  # another session on the test database: no template; build in place
                return None
            return target
        if vendor == "sqlite" and not connection.is_in_memory_db():
            target = f"{source}-{self.name}"
            connection.close()
            Path(target).unlink(missing_ok=True)
            with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
                src.backup(dst)
            dst.close()
            src.close()
            return target
        return None

    @contextmanager
    def _on(self, database: str) -> Iterator[None]:
        """The default connection on ``database`` for the block, back on the test database after."""
        from django.contrib.contenttypes.models import ContentType

        source = connection.settings_dict["NAME"]
        connection.close()
        connection.settings_dict["NAME"] = database
        # Content types are cached by id per process: a flush of the test database (a
        # transactional test) makes them again under new ids, which the copy does not have.
        ContentType.objects.clear_cache()
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict["NAME"] = source
            ContentType.objects.clear_cache()

    def _prepare(self) -> None:
        self.database = self._copy(connection.settings_dict["NAME"])
        if self.database is None:
            return
        with self._on(self.database):
            with transaction.atomic():
                world = self.build()
                self.builds += 1
                self.pickled = pickle.dumps(world)
                # Committed without the work meant for after a commit: a module's transaction,
                # rolled back, never ran it either.
                connection.run_on_commit.clear()

    # --- for the modules --------------------------------------------------------------------------

    @contextmanager
    def use(self) -> Iterator[Any]:
        """The world for a module: on its database, in a transaction rolled back at the end.

        Call with database access unblocked, outside any transaction (a module-scoped fixture).
        """
        if self.database is None and self.pickled is None and not connection.in_atomic_block:
            self._prepare()
        if self.database is None or self.pickled is None or connection.in_atomic_block:
            with transaction.atomic():
                try:
                    self.builds += 1
                    yield self.build()
                finally:
                    transaction.set_rollback(True)
            return
        with self._on(self.database), transaction.atomic():
            try:
                yield pickle.loads(self.pickled)  # noqa: S301  (bytes this process pickled)
            finally:
                transaction.set_rollback(True)

    def drop(self) -> None:
        """Drop the copy (the end of the test session)."""
        database, self.database, self.pickled = self.database, None, None
        if database is None:
            return
        if connection.vendor == "postgresql":
            with connection._nodb_cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(database)} WITH (FORCE)")
        else:
            Path(database).unlink(missing_ok=True)
