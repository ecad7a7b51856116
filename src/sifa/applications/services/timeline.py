"""Status changes and the public timeline: the one function every command uses to move a case.

``transition`` is called inside the command's transaction by ``sifa.applications.services`` (before
acceptance) and by ``sifa.workflow`` (after). It refuses a stale ``row_version`` so two clerks
acting on the same case at once cannot both win (optimistic concurrency).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import CharField, TextField
from django.utils import timezone

from sifa.applications.models import Application, ApplicationStatus, TimelineEntry
from sifa.applications.signals import application_changed
from sifa.core.db import FixedInsert, Stale, deferring, fixed_cursor, run_fixed, write
from sifa.core.errors import Conflict

TERMINAL_STATUSES = frozenset(
    {
        ApplicationStatus.NOT_ACCEPTED,
        ApplicationStatus.DELIVERED,
        ApplicationStatus.WITHDRAWN,
    }
)


def transition(
    application: Application,
    *,
    status: str | None,
    event: str,
    title: str,
    detail: str = "",
    organisation: Any = None,
    public: bool = True,
    occurred_at: dt.datetime | None = None,
    fields: dict[str, Any] | None = None,
) -> TimelineEntry:
    """Set ``status`` (None keeps it), update ``fields``, bump ``row_version``, add a timeline entry.

    Sends ``sifa.applications.signals.application_changed`` in the same transaction (the
    performance roll-ups are maintained by its receiver).

    Raises ``Conflict`` ("application.stale") when the row changed since ``application`` was read,
    and ("application.closed") when the case is already closed.
    """
    if application.status in TERMINAL_STATUSES and status is not None:
        raise Conflict("application.closed", "该办件已办结或已撤回，不能再办理")
    updates: dict[str, Any] = dict(fields or {})
    if status is not None:
        updates["status"] = status
    updates["updated_at"] = timezone.now()
    previous_status = application.status
    if deferring():
        return _deferred(
            application, updates, previous_status, event, title, detail, organisation, public, occurred_at
        )
    # No savepoint: a stale row is refused before anything is written (below, outside the block),
    # and any other error rolls back the caller's transaction as a whole.
    with transaction.atomic(savepoint=False):
        entry = TimelineEntry(
            application=application,
            occurred_at=occurred_at or timezone.now(),
            event=event,
            title=title,
            detail=detail,
            organisation=organisation,
            public=public,
        )
        if connection.vendor == "postgresql":
            # The UPDATE and the entry's INSERT in one statement (one round trip); the entry is
            # inserted only if the UPDATE matched the row_version read, as below.
            changed = _update_and_insert(application, updates, entry)
        else:
            changed = _update(application, updates)
            if changed == 1:
                db = connections[DEFAULT_DB_ALIAS]  # not the proxy: each field's preparation reads it
                with fixed_cursor(db) as cursor:  # ``TimelineEntry.objects.create``, compiled once
                    cursor.execute(_ENTRY.sql(db), _ENTRY.params(entry, db))
                    _ENTRY.saved(entry, cursor, db)
        if changed == 1:
            # The row is now exactly the one read plus these updates (the UPDATE matched its
            # row_version): set them on the instance instead of reading it again, which keeps its
            # loaded relations (one query less per entry, and none re-read later).
            for name, value in updates.items():
                setattr(application, name, value)
            application.row_version += 1
            application_changed.send(
                sender=Application,
                application=application,
                previous_status=previous_status,
                changed=frozenset(k for k in updates if k != "updated_at"),
            )
    if changed != 1:
        raise Conflict("application.stale", "该办件已被他人处理，请刷新后重试")
    return entry


def _deferred(
    application: Application,
    updates: dict[str, Any],
    previous_status: str,
    event: str,
    title: str,
    detail: str,
    organisation: Any,
    public: bool,
    occurred_at: dt.datetime | None,
) -> TimelineEntry:
    """:func:`transition` inside ``core.db.deferred_writes`` (a case command prepared before its
    lock): the statements' values are prepared and ``application`` set as the update will leave it
    now; the UPDATE (conditional on the ``row_version`` read), the entry's INSERT and the signal
    run as one step under the lock, and a case changed meanwhile raises ``core.db.Stale`` there
    (the command is read and prepared again)."""
    entry = TimelineEntry(
        application=application,
        occurred_at=occurred_at or timezone.now(),
        event=event,
        title=title,
        detail=detail,
        organisation=organisation,
        public=public,
    )
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: each field's preparation reads it
    names = tuple(updates)
    update_sql, fields = _update_sql(names, db)
    update_params = _update_params(application, updates, fields, db)
    entry_params = _ENTRY.params(entry, db)
    sql, params = "", []
    if db.vendor == "postgresql":
        sql, params = _with_entry_sql(db, names, update_sql), update_params + entry_params
    changed = frozenset(k for k in updates if k != "updated_at")

    def step() -> None:
        if db.vendor == "postgresql":
            with fixed_cursor(db) as cursor:
                cursor.execute(sql, params)
                row = cursor.fetchone()
            if row is None:
                raise Stale
            _saved(entry, row[0], db)
        else:
            if run_fixed(db, update_sql, update_params) != 1:
                raise Stale
            run_fixed(db, _ENTRY.sql(db), entry_params, result=lambda cursor: _ENTRY.saved(entry, cursor, db))
        application_changed.send(
            sender=Application, application=application, previous_status=previous_status, changed=changed
        )

    write(step)
    for name, value in updates.items():
        setattr(application, name, value)
    application.row_version += 1
    return entry


_ENTRY = FixedInsert(TimelineEntry)
_UPDATES: dict[tuple[str, tuple[str, ...]], tuple[str, list]] = {}


def _update_sql(names: tuple[str, ...], db: Any = None) -> tuple[str, list]:
    db = db or connection
    key = (db.vendor, names)
    found = _UPDATES.get(key)
    if found is None:
        meta = Application._meta
        quote = db.ops.quote_name
        fields = [meta.get_field(name) for name in names]
        version = quote(meta.get_field("row_version").column)
        assignments = ", ".join([f"{version} = {version} + 1", *(f"{quote(f.column)} = %s" for f in fields)])
        sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s AND {version} = %s"  # noqa: S608
        found = _UPDATES[key] = (sql, fields)
    return found


def _update_params(application: Application, updates: dict[str, Any], fields: list, db) -> list:
    params = []
    for field, value in zip(fields, updates.values(), strict=True):
        if field.remote_field and hasattr(value, "prepare_database_save"):
            value = value.prepare_database_save(field)
        params.append(field.get_db_prep_save(value, db))
    params += [Application._meta.pk.get_db_prep_value(application.pk, db), application.row_version]
    return params


_WITH_ENTRY: dict[tuple[str, ...], str] = {}


def _cast(field, db) -> str:
    """The type a value is cast to for its column: text for a text column (so a value too long
    for a ``varchar(n)`` fails on assignment as in an INSERT's VALUES, instead of being cut)."""
    if isinstance(field, (CharField, TextField)):
        return "text"
    return field.cast_db_type(db)


def _update_and_insert(application: Application, updates: dict[str, Any], entry: TimelineEntry) -> int:
    """PostgreSQL: :func:`_update` and the entry's insert in one statement, a data-modifying
    ``WITH``: the entry's row is inserted only if the UPDATE changed the case (the row_version
    matched, after any concurrent writer's commit), and its id returned. The number of rows
    changed (1, or 0 for a stale case: nothing written)."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: each field's preparation reads it
    names = tuple(updates)
    update_sql, fields = _update_sql(names)
    sql = _with_entry_sql(db, names, update_sql)
    params = _update_params(application, updates, fields, db) + _ENTRY.params(entry, db)
    with fixed_cursor(db) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return 0
    _saved(entry, row[0], db)
    return 1


def _with_entry_sql(db, names: tuple[str, ...], update_sql: str) -> str:
    """The statement of :func:`_update_and_insert` for this set of updated columns (built once)."""
    sql = _WITH_ENTRY.get(names)
    if sql is None:
        quote = db.ops.quote_name
        meta = TimelineEntry._meta
        columns = ", ".join(quote(field.column) for field in _ENTRY.fields)
        # The values are selected, not VALUES of the INSERT: each cast to its column's type.
        values = ", ".join(f"%s::{_cast(field, db)}" for field in _ENTRY.fields)
        sql = _WITH_ENTRY[names] = (
            f"WITH u AS ({update_sql} RETURNING 1) "  # noqa: S608
            f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT {values} FROM u "
            f"RETURNING {quote(meta.pk.column)}"
        )
    return sql


def _saved(entry: TimelineEntry, pk: int, db) -> None:
    entry.pk = pk
    entry._state.adding = False
    entry._state.db = db.alias


def _update(application: Application, updates: dict[str, Any]) -> int:
    """``Application.objects.filter(pk=…, row_version=n).update(row_version=n + 1, **updates)``
    as a statement built once per database and set of columns (the ORM compiled it on every
    transition), each value prepared as that update prepares it. The number of rows changed."""
    sql, fields = _update_sql(tuple(updates))
    params = _update_params(application, updates, fields, connection)
    with fixed_cursor(connection) as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
