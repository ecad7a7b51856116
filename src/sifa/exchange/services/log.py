"""Writing the message log: append in the caller's transaction, chain in batches.

:func:`append` inserts the row inside the caller's transaction, so a message is in the log
exactly when what it belongs to commits; nothing acknowledged can be lost by a crash. Chaining
(a :class:`~sifa.exchange.models.MessageLink` inserted per row: ``seq``, ``prev_hash``, ``hash``;
the row itself is never updated, ADR 0023) happens later in :func:`chain_pending`, one transaction
for a whole batch: after a commit, once ``SIFA_EXCHANGE_LOG_BATCH`` rows are waiting or
``SIFA_EXCHANGE_LOG_BATCH_MS`` has passed since the last batch, and at once from
``sifa exchange chain``, ``verify-log`` callers that want it, and ``export``. So the log costs one
insert per message and one commit per batch, never one fsync per message for the chain.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
import time
import types
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    OperationalError,
    connection,
    connections,
    models,
    transaction,
)
from django.db.models import signals
from django.db.models.base import ModelState
from django.utils import timezone

from sifa.core.crypto import field_cipher
from sifa.core.db import _plain_foreign_keys
from sifa.exchange.chain import GENESIS_HASH, row_hash
from sifa.exchange.envelope import Envelope, mask_id_numbers, parse_timestamp
from sifa.exchange.models import ExchangeMessage, MessageLink, Partner

logger = logging.getLogger("sifa.exchange")


def sealed_aad(sender: str, message_id: str) -> str:
    return f"exchange.ExchangeMessage:{sender}:{message_id}:body"


def append(
    envelope: Envelope,
    header: dict[str, Any],
    body: dict[str, Any],
    *,
    direction: str,
    status: str,
    partner: Partner | None,
    scope_path: str,
    copy_number: int = 0,
    own_fsync: bool = True,
    before_sending: bool = False,
) -> ExchangeMessage:
    """Store one signed message (its header bytes and signature as evidence; the body sealed and
    masked). Raises ``IntegrityError`` when the sender already used the message id (or, for a copy
    signed again for a retry, ``copy_number`` > 0, that copy's number).

    ``own_fsync=False`` is for the answer a partner gave to Sifa's own request, and only outside
    any transaction (the row then commits by itself): that commit does not wait for its own fsync
    (:func:`_insert_without_own_fsync`, ADR 0018). Inside the caller's transaction it changes
    nothing: the caller's commit is durable, and the row with it.

    ``before_sending=True`` is for a message that leaves as soon as this returns (W9's request, the
    relay's copy signed again): outside any transaction the row is one statement committed by
    itself and **durable when this returns** (:func:`_insert_durably`: what
    :func:`durable_before_sending` around ``append`` gives, without the transaction block's
    ``BEGIN`` and ``COMMIT``; ADR 0022). Inside the caller's transaction it changes nothing: the
    caller's commit decides, as a nested ``durable_before_sending`` would."""
    values = {
        "message_id": header["message_id"],
        "correlation_id": header["correlation_id"],
        "direction": direction,
        "kind": header["kind"],
        "status": status,
        "service_code": header["service"]["code"],
        "service_version": header["service"]["version"],
        "sender": header["sender"],
        "receiver": header["receiver"],
        "partner_id": None if partner is None else partner.pk,
        "case_number": header["issue"],
        "purpose": header["purpose"],
        "sent_at": parse_timestamp(header["timestamp"]),
        "recorded_at": timezone.now(),
        "key_id": header["key_id"],
        "header": envelope.header_bytes.decode("utf-8"),
        "signature": envelope.signature,
        "body_digest": header["body_digest"],
        "body_masked": mask_id_numbers(body),
        "body_sealed": field_cipher().seal(
            envelope.body_bytes.decode("utf-8"), sealed_aad(header["sender"], header["message_id"])
        ),
        "scope_path": scope_path,
        "copy_number": copy_number,
    }
    row = _new_row([values.get(attname, default) for attname, default in _row_defaults()], partner)
    db = connections[DEFAULT_DB_ALIAS]
    if db.in_atomic_block:
        _insert(row)
        transaction.on_commit(BATCHER.note)
    elif before_sending and db.get_autocommit():
        _insert_durably(db, row)
        BATCHER.note()
    elif own_fsync:
        _insert(row)
        transaction.on_commit(BATCHER.note)  # autocommit: at once
    else:
        _insert_without_own_fsync(row)
        BATCHER.note()  # after the connection's durability is restored: a batch commits durably
    return row


def _insert_durably(db: Any, row: ExchangeMessage) -> None:
    """:func:`_insert` outside any transaction, its own transaction, committed and durable when it
    returns, for a message that leaves next (ADR 0022).

    PostgreSQL: the one autocommitted INSERT, whose commit waits for its WAL flush
    (``synchronous_commit`` as the connection has it, as for ``atomic()``): one round trip to the
    server where ``BEGIN``, ``INSERT``, ``COMMIT`` took three. SQLite (WAL, the connection at
    ``synchronous=FULL`` or above): the INSERT commits by itself at ``synchronous=NORMAL`` (its WAL
    frames written, the write lock released as the statement ends, no fsync under it), then the
    ``-wal`` file is ``fdatasync``-ed through the connection's kept descriptor and the level
    restored, as :func:`durable_before_sending` does after its commit (ADR 0020; the reasoning is
    there). If the INSERT is refused nothing is synced; if the ``fdatasync`` fails the error
    propagates and the caller sends nothing. Without a WAL file to sync, or below ``FULL``, the
    INSERT commits at the connection's own level."""
    if db.vendor != "sqlite":
        _insert(row)
        return
    db.ensure_connection()
    raw = db.connection
    level = _synchronous(db, raw)
    descriptor = _wal_descriptor(db, raw) if level >= 2 else None
    if descriptor is None:
        _insert(row)
        return
    raw.execute("PRAGMA synchronous=NORMAL")
    try:
        _insert(row)
        os.fdatasync(descriptor)
    finally:
        raw.execute(_LEVELS.get(level) or f"PRAGMA synchronous={int(level)}")


def _insert_without_own_fsync(row: ExchangeMessage) -> None:
    """:func:`_insert` committed by itself without waiting for its own fsync (ADR 0018).

    PostgreSQL: the INSERT (its own transaction) sets ``synchronous_commit`` to ``off`` for that
    transaction only, ``set_config('synchronous_commit', 'off', true)`` in its ``RETURNING`` (the
    function form of ``SET LOCAL``; one statement, where ``BEGIN``, ``SET LOCAL``, ``INSERT``,
    ``COMMIT`` cost more CPU in round trips than the fsync saved). SQLite (WAL): the connection at
    ``synchronous=NORMAL`` for that one autocommitted INSERT and restored at once (SQLite refuses
    to change it inside a transaction; outside any, the INSERT is its own transaction). The row is
    visible at once and survives a killed process; an OS crash may lose it until the next durable
    commit on the database, which writes the one sequential WAL up to and including it. Only the
    answer to Sifa's own request is written so: nobody is told anything on the strength of it, and
    the partner gives the same answer again, byte for byte, for the same message id (ADR 0009)."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "sqlite":
        _insert(row, own_fsync=False)
        return
    db.ensure_connection()
    raw = db.connection
    level = _synchronous(db, raw)
    if level < 2:  # NORMAL or OFF already: nothing to relax or restore
        _insert(row)
        return
    raw.execute("PRAGMA synchronous=NORMAL")
    try:
        _insert(row)
    finally:
        raw.execute(f"PRAGMA synchronous={int(level)}")


def _synchronous(db: Any, raw: Any) -> int:
    """The connection's ``synchronous`` level as ``init_command`` set it, read once per connection
    wrapper (as ``core.limits`` reads it)."""
    level = getattr(db, "sifa_synchronous", None)
    if level is None:
        level = db.sifa_synchronous = int(raw.execute("PRAGMA synchronous").fetchone()[0])
    return level


@contextmanager
def durable_before_sending() -> Iterator[None]:
    """``transaction.atomic()`` for the transaction that logs a request which leaves as soon as it
    has committed (ADR 0020). When the block returns, what it wrote is committed **and durable**,
    as under ``atomic()``; nothing may leave before that.

    SQLite (WAL, the connection at ``synchronous=FULL`` or above), outermost block only: the
    transaction commits at ``synchronous=NORMAL`` (its WAL frames written, no fsync, the write
    lock released at once), then, first of its ``on_commit`` steps, the WAL file is
    ``fdatasync``-ed through a descriptor this connection keeps open (:func:`_wal_descriptor`),
    and the connection's level is restored. So the fsync of one relay process no longer holds the
    one write lock that every other process waits for, and the fsyncs of several processes overlap.
    After the commit our frames are either still in the WAL, which the ``fdatasync`` makes
    durable, or a checkpoint has copied them into the database file: a checkpoint syncs the WAL
    before it copies and the database file after, and the WAL only starts again from its beginning
    after a complete checkpoint. If the ``fdatasync`` fails, the error propagates: the caller sends
    nothing.

    Anything else is plain ``atomic()``: PostgreSQL (its commit waits for its WAL flush, and
    concurrent commits share one flush already), a block inside the caller's transaction (the
    caller's commit decides, durably), a connection below ``FULL``, or no WAL file to sync."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "sqlite" or db.in_atomic_block or not db.get_autocommit():
        with transaction.atomic():
            yield
        return
    raw = db.connection
    level = _synchronous(db, raw)
    descriptor = _wal_descriptor(db, raw) if level >= 2 else None
    if descriptor is None:
        with transaction.atomic():
            yield
        return
    restored = False

    def restore() -> None:
        nonlocal restored
        if not restored and db.connection is raw:  # a closed connection's successor has its own level
            raw.execute(_LEVELS.get(level) or f"PRAGMA synchronous={int(level)}")
            restored = True

    def sync_then_restore() -> None:
        try:
            os.fdatasync(descriptor)
        finally:
            restore()

    raw.execute("PRAGMA synchronous=NORMAL")  # outside any transaction: SQLite refuses it inside
    try:
        with transaction.atomic():
            transaction.on_commit(sync_then_restore)  # the first step after the commit
            yield
    finally:
        restore()  # rolled back (no step ran), or the step failed before restoring


_LEVELS = {level: f"PRAGMA synchronous={level}" for level in range(4)}


def _wal_descriptor(db: Any, raw: Any) -> int | None:
    """A read-only descriptor of the ``-wal`` file of ``raw``'s database, kept open per SQLite
    connection (``db.sifa_wal``: the connection, the WAL's path, the descriptor), or None when
    the database is not in WAL mode (in memory, a rollback journal) or the file is not there.

    Each call checks that the path still names the file the descriptor is open on (one ``stat``,
    one ``fstat``); if not (a connection's close deleted the WAL and a new one was made), it opens
    it again. The first time a descriptor is opened the directory is synced once, so that the WAL
    file's own name is durable whoever created it. Only the ``-wal`` file is opened: SQLite's POSIX
    locks live on the database file and the ``-shm`` file, and closing any descriptor of a file
    drops every lock the process holds on it."""
    kept = getattr(db, "sifa_wal", None)
    if kept is None or kept[0] is not raw:
        if kept is not None and kept[2] is not None:
            os.close(kept[2])
        path = None
        if str(raw.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
            main = next((row[2] for row in raw.execute("PRAGMA database_list") if row[1] == "main"), "")
            path = f"{main}-wal" if main else None  # "": an in-memory or temporary database
        kept = db.sifa_wal = [raw, path, None]
    path, descriptor = kept[1], kept[2]
    if path is None:
        return None
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return None
    if descriptor is not None:
        opened = os.fstat(descriptor)
        if (opened.st_dev, opened.st_ino) == (named.st_dev, named.st_ino):
            return descriptor
        os.close(descriptor)
        kept[2] = None
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    directory = os.open(os.path.dirname(path) or ".", os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    kept[2] = descriptor
    return descriptor


_INSERT_SQL: dict[str, str] = {}


def _new_row(values: list[Any], partner: Partner | None) -> ExchangeMessage:
    """``ExchangeMessage(partner=partner, …)`` from every concrete field's value in the model's
    order (``partner_id`` for the partner): the same unsaved instance, the partner cached as its
    descriptor caches it. When nothing can tell them apart (no ``pre_init``/``post_init``
    receiver, no setter but the foreign key column's: ``sifa.core.db._plain_foreign_keys``) it is
    made as ``sifa.core.db`` makes the rows it reads, without ``Model.__init__``'s per-field work
    (docs/performance.md, "session 10: W9")."""
    plain = _plain_row()
    if plain is None or (
        (signals.pre_init.receivers or signals.post_init.receivers)
        and (
            signals.pre_init.has_listeners(ExchangeMessage)
            or signals.post_init.has_listeners(ExchangeMessage)
        )
    ):
        row = ExchangeMessage(*values)
        row._state.fields_cache["partner"] = partner
        return row
    row = ExchangeMessage.__new__(ExchangeMessage)
    row._state = ModelState()
    row._state.fields_cache = {"partner": partner}
    row.__dict__.update(zip(_attnames(), values, strict=True))
    return row


@lru_cache(maxsize=1)
def _attnames() -> tuple[str, ...]:
    return tuple(field.attname for field in ExchangeMessage._meta.concrete_fields)


@lru_cache(maxsize=1)
def _plain_row() -> tuple[int, ...] | None:
    return _plain_foreign_keys(ExchangeMessage, _attnames())


@lru_cache(maxsize=1)
def _row_defaults() -> tuple[tuple[str, Any], ...]:
    """(attribute, default) of each concrete field of the log, in the model's order. The fields
    :func:`append` does not fill (the key) have immutable defaults (None), so one value serves
    every row."""
    return tuple((field.attname, field.get_default()) for field in ExchangeMessage._meta.concrete_fields)


_TEXT_FIELDS = (models.CharField, models.TextField)
_INTEGER_FIELDS = (
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
    models.ForeignKey,
)
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_canonical_uuid(value: str) -> bool:
    """Whether ``value`` is a UUID's canonical text (lower-case hex, hyphenated), whose 32 hex
    digits are what a ``UUIDField`` stores on a database without a UUID type."""
    return type(value) is str and _CANONICAL_UUID.fullmatch(value) is not None


def _insert_fields() -> list[Any]:
    return [field for field in ExchangeMessage._meta.concrete_fields if not field.primary_key]


@lru_cache(maxsize=1)
def _preparers() -> list[tuple[Any, str, tuple[type, ...], bool, bool]]:
    """For each inserted field: (the field, its attribute, the value types it stores unchanged,
    whether it is a plain ``DateTimeField``, whether it is a ``UUIDField``).

    A ``CharField``/``TextField`` prepares a ``str`` (or None) as itself, an integer field or a
    foreign key to an integer key an ``int`` (or None) as itself: for those :func:`_insert` skips
    ``pre_save`` and ``get_db_prep_save`` (≈ 0.3 ms of CPU per row); any other value or field
    goes through them as the ORM does. No field of the log is ``auto_now``. A ``DateTimeField``
    given an aware ``datetime`` is adapted by the backend directly: ``get_db_prep_save`` would
    only check that it is aware and pass it on to ``adapt_datetimefield_value``. A ``UUIDField``
    given the canonical text of a UUID (lower-case, hyphenated: what ``check_header`` lets into
    a header) on a database without a native UUID type (SQLite) is its 32 hex digits, which is
    what ``get_db_prep_save`` makes of it through ``uuid.UUID(…).hex``."""
    result = []
    for field in _insert_fields():
        if type(field) in _TEXT_FIELDS:
            same: tuple[type, ...] = (str, type(None))
        elif type(field) in _INTEGER_FIELDS and (
            type(field) is not models.ForeignKey
            or type(field.target_field) in (models.AutoField, models.BigAutoField)
        ):
            same = (int, type(None))
        else:
            same = ()
        result.append(
            (field, field.attname, same, type(field) is models.DateTimeField, type(field) is models.UUIDField)
        )
    return result


def _insert(row: ExchangeMessage, *, own_fsync: bool = True) -> None:
    """``row.save(force_insert=True)`` without the ORM's per-call work: one INSERT statement, built
    once per database vendor from the model's fields, with each value prepared by its field exactly
    as the ORM prepares it (``get_db_prep_save``). The message log has no signals and no
    ``save()`` override; this saves ≈ 1 ms of CPU per row (docs/performance.md, "W9", 2026-12-05
    evening). A unique violation raises ``IntegrityError`` as before. ``own_fsync=False``
    (PostgreSQL, a statement outside any transaction): see :func:`_insert_without_own_fsync`.
    On SQLite the statement runs on the SQLite connection itself (``plain_execute`` of
    ``sifa.core.sqlite_backend``: Django's cursor wrapper's steps without the wrapper), unless it is
    to be logged or counted."""
    # The connection itself, not the thread-local proxy: each attribute read through
    # ``django.db.connection`` is a lookup in ``connections`` (≈ 30 per row in the preparers).
    db = connections[DEFAULT_DB_ALIAS]
    # Never inside a transaction: the setting would hold for the caller's whole commit.
    relaxed = not own_fsync and db.vendor == "postgresql" and not db.in_atomic_block
    sql = _INSERT_SQL.get(db.vendor + ":relaxed" if relaxed else db.vendor)
    if sql is None:
        fields = _insert_fields()
        quote = db.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {quote(ExchangeMessage._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        if db.features.can_return_columns_from_insert:
            sql += f" RETURNING {quote(ExchangeMessage._meta.pk.column)}"
        _INSERT_SQL[db.vendor] = sql
        if db.vendor == "postgresql":
            _INSERT_SQL[db.vendor + ":relaxed"] = sql + ", set_config('synchronous_commit', 'off', true)"
        sql = _INSERT_SQL[db.vendor + ":relaxed" if relaxed else db.vendor]
    adapt_datetime = db.ops.adapt_datetimefield_value
    hex_uuids = not db.features.has_native_uuid_field
    params = []
    for field, attname, same, is_datetime, is_uuid in _preparers():
        value = getattr(row, attname)
        if type(value) in same:
            pass
        elif is_datetime and type(value) is dt.datetime and value.tzinfo is not None:
            value = adapt_datetime(value)
        elif is_uuid and hex_uuids and is_canonical_uuid(value):
            value = value.replace("-", "")
        else:
            value = field.get_db_prep_save(field.pre_save(row, True), db)
        params.append(value)
    returning = "RETURNING" in sql
    plain = getattr(db, "plain_execute", None)
    cursor = None if plain is None else plain(sql, params)
    if cursor is not None:
        with db.wrap_database_errors:  # the RETURNING row's fetch ends the statement (its commit)
            row.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    else:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            row.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    row._state.adding = False
    row._state.db = db.alias


def set_status(row: ExchangeMessage, status: str) -> None:
    ExchangeMessage.objects.filter(pk=row.pk).update(status=status)
    row.status = status


_CHAINED_COLUMNS = (
    "id",
    "message_id",
    "correlation_id",
    "direction",
    "kind",
    "sender",
    "receiver",
    "service_code",
    "service_version",
    "case_number",
    "key_id",
    "header",
    "signature",
    "body_digest",
    "recorded_at",
    "scope_path",
    "copy_number",
)
"""The columns :func:`sifa.exchange.chain.row_evidence` reads (``test_log`` checks the two agree)."""

_LOCK_WAIT = "SET LOCAL lock_timeout = '100ms'; "
"""A batch waits at most this long for PostgreSQL's table lock at a time (ADR 0023)."""
_LOCK_PAUSE = 0.05
"""Seconds a batch that must chain (``wait=True``) pauses before it asks for the lock again."""


def _lock_chain(db: Any, table: str) -> None:
    """Make every row of the log that was ever given an id committed or gone, and keep it so
    until the batch commits (ADR 0023). SQLite: every atomic block begins ``IMMEDIATE`` and holds
    the one write lock already. PostgreSQL: ``SHARE ROW EXCLUSIVE`` on the log waits for every
    transaction that inserted into it (an ``INSERT`` takes ``ROW EXCLUSIVE`` before its id is
    drawn) and conflicts with itself, so batches run one at a time. Every attempt gives up after
    :data:`_LOCK_WAIT`: while a lock request waits in PostgreSQL's queue, every later ``INSERT`` into
    the log waits behind it, so a transaction that logged a message and is still open
    (``query.ask`` waiting for its partner) must not hold every later message up for longer."""
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute(f"{_LOCK_WAIT}LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


def chain_pending(limit: int | None = None, *, wait: bool = True) -> int:
    """Chain every committed row still waiting (at most ``limit``), in one transaction, by
    inserting their links (:class:`~sifa.exchange.models.MessageLink`; ADR 0023): the log's own
    rows are never updated.

    A batch holds the log's only writer (SQLite's write lock, PostgreSQL's table lock:
    :func:`_lock_chain`), so no row with a smaller id can commit after it: the rows waiting are
    exactly those with an id above the largest id chained, found through the primary key, and a
    batch chains them in id order. On SQLite the batch commits at ``synchronous=NORMAL`` and the
    WAL is ``fdatasync``-ed after the write lock is released (:func:`durable_before_sending`):
    its links are durable when this returns, before an anchor or an export can name them.

    On PostgreSQL, if the table lock is not had within :data:`_LOCK_WAIT`, the batch is rolled
    back: ``wait=False`` (the batcher) then returns 0 and a later batch chains the rows; otherwise
    (the commands, the scheduler) it tries again after a pause that lets the queued inserts pass."""
    while True:
        try:
            return _chain(limit)
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) != "55P03":  # lock_not_available
                raise
            if not wait:
                return 0
            time.sleep(_LOCK_PAUSE)


def _chain(limit: int | None) -> int:
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    table = quote(ExchangeMessage._meta.db_table)
    links = quote(MessageLink._meta.db_table)
    db.ensure_connection()
    with durable_before_sending():
        _lock_chain(db, table)
        with db.cursor() as cursor:
            # The head, the largest id chained (after a migration from chains kept in the log's
            # own rows, not always the head's: those were chained in the order they committed) and
            # the largest id logged: probes of an index's end, one row even on an empty chain.
            cursor.execute(
                f"SELECT (SELECT MAX(seq) FROM {links}), "  # noqa: S608
                f"(SELECT hash FROM {links} ORDER BY seq DESC LIMIT 1), "
                f"(SELECT MAX(message_id) FROM {links}), (SELECT MAX(id) FROM {table})"
            )
            seq, prev, after, newest = cursor.fetchone()
        if seq is None:  # nothing chained yet
            seq, prev, after = 0, GENESIS_HASH, 0
        if newest is None or newest <= after:
            return 0
        # The waiting rows are the ids in (after, newest]. Bounded on both sides, so PostgreSQL reads
        # them through the primary key whatever it knows of the table: ``id > after`` alone, on a
        # log that was never analysed (autovacuum off, or not yet run on a table that grew from
        # empty), is estimated at a third of the log, and the batch read the whole log (a
        # sequential scan and a sort) under the table lock that every insert waits for
        # (docs/performance.md, "session 15: W9 on PostgreSQL as the log grows").
        # Only the columns the chain hashes (not the sealed and masked bodies), on a plain cursor:
        # the ORM's compilation of this query cost more than hashing a batch of three rows, and a
        # model per row (a raw queryset) more than the hashing too.
        columns = ", ".join(quote(name) for name in _CHAINED_COLUMNS)
        sql = f"SELECT {columns} FROM {table} WHERE id > %s AND id <= %s ORDER BY id"  # noqa: S608
        with db.cursor() as cursor:
            cursor.execute(
                f"{sql} LIMIT %s" if limit else sql, [after, newest, limit] if limit else [after, newest]
            )
            rows = [_chained_row(values) for values in cursor.fetchall()]
        chained = []
        for row in rows:
            seq += 1
            digest = row_hash(prev, row, seq)
            chained.append((seq, row.pk, prev, digest))
            prev = digest
        if chained:
            # One parameterised statement for the batch (executemany), as for the rows before.
            with db.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {links} (seq, message_id, prev_hash, hash) VALUES (%s, %s, %s, %s)",  # noqa: S608
                    chained,
                )
    return len(chained)


def datetime_from_db(value: Any) -> dt.datetime:
    """A ``DateTimeField`` value as a plain cursor returns it, converted as the ORM converts it
    (SQLite stores text; PostgreSQL returns an aware datetime)."""
    convert = getattr(connection.ops, "convert_datetimefield_value", None)
    return convert(value, None, connection) if convert is not None else value


def _uuid_from_db(value: Any) -> uuid.UUID | None:
    """A ``UUIDField`` value as a plain cursor returns it (SQLite: 32 hex digits; PostgreSQL: a
    ``UUID``), as the ORM converts it."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(value)


def _chained_row(values: tuple[Any, ...]) -> types.SimpleNamespace:
    """A waiting row's :data:`_CHAINED_COLUMNS` with the values the model would hold: what
    :func:`~sifa.exchange.chain.row_hash` reads (``pk``, the ids, the recorded time converted)."""
    row = types.SimpleNamespace(**dict(zip(_CHAINED_COLUMNS, values, strict=True)))
    row.pk = row.id
    row.message_id = _uuid_from_db(row.message_id)
    row.correlation_id = _uuid_from_db(row.correlation_id)
    row.recorded_at = datetime_from_db(row.recorded_at)
    return row


class Batcher:
    """Counts committed appends in this process and chains a batch when one is due."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = 0
        self._last = time.monotonic()

    def note(self) -> None:
        with self._lock:
            self._pending += 1
            waited_ms = (time.monotonic() - self._last) * 1000
            due = self._pending >= settings.EXCHANGE_LOG_BATCH or waited_ms >= settings.EXCHANGE_LOG_BATCH_MS
            if due:
                self._pending, self._last = 0, time.monotonic()
        if due:
            try:
                chain_pending(wait=False)
            except DatabaseError:
                # The messages are committed; a later batch (or the scheduler) chains them. An
                # accepted message must never turn into an error because chaining failed.
                logger.exception("message-log batch failed; the rows stay waiting")


BATCHER = Batcher()
