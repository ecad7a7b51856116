"""Writing the audit trail: one hash-chained event per command.

Call :func:`record` inside the command's transaction so the event commits (or rolls back) with
the change it describes. The request's address and the acting membership come from
``sifa.audit.context`` when the caller does not pass them. What is hashed, and how, is
:mod:`sifa.audit.hashing` (the verifier uses the same functions).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import math
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from sifa.audit import context
from sifa.audit.hashing import GENESIS_HASH, canonical_text, canonical_time, chain_hash
from sifa.audit.models import AuditEvent, AuditResult
from sifa.audit.subjects import subject_of
from sifa.audit.triggers import CHAIN_HEAD_FUNCTION
from sifa.core.crypto import sm3_hex
from sifa.core.db import FixedInsert, deferring, fixed_cursor, run_fixed, write

NUL_REPLACEMENT = "\ufffd"  # PostgreSQL text and jsonb cannot hold NUL; the same on SQLite
_LOCKED_HEAD_SQL = f"SELECT head_seq, head_hash FROM {CHAIN_HEAD_FUNCTION}()"  # noqa: S608 -- a constant


def _locked_head(db=None) -> tuple | None:
    """Serialize appends — concurrent writers must never read the same chain head — and give the
    head (``seq``, ``hash``), or None for an empty chain.

    PostgreSQL: one statement, prepared on the server (``core.db.fixed_cursor``): the function of
    migration ``audit.0007`` takes the chain's advisory lock (``pg_advisory_xact_lock``, released
    at commit) and then reads the head, in a snapshot taken after the lock is held (READ
    COMMITTED: the previous holder's append is seen). SQLite: settings open every atomic block
    with BEGIN IMMEDIATE, which already holds the database's single write lock for the whole
    transaction; the head is read (:func:`_head`). On both, ``seq`` is the primary key, so even a
    writer that skipped the lock could not fork the chain, only fail. ``db``: the default
    connection, when the caller has it."""
    db = db or connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        return _head(db)
    with fixed_cursor(db) as cursor:
        cursor.execute(_LOCKED_HEAD_SQL, [])
        row = cursor.fetchone()
    return None if row[0] is None else (row[0], row[1])


def fit(model: type, field: str, value: Any) -> str:
    """The value as stored: a string cut to the column's length (so hashed == stored on every
    database, and an over-long object id from user input never turns into a 500)."""
    text = str(value or "").replace("\x00", NUL_REPLACEMENT)
    return text[: model._meta.get_field(field).max_length]


_RESULTS = frozenset(AuditResult.values)
"""``AuditResult.values`` (a list the enum builds anew on every read), once."""


@functools.lru_cache(maxsize=1024)
def _stored_ip(value: str | None) -> str | None:
    """The address exactly as the column returns it (IPv6 compressed), or None if not an address."""
    if not value:
        return None
    return _parsed_ip(value)


@functools.lru_cache(maxsize=1024)
def _parsed_ip(value: str) -> str | None:
    """:func:`_stored_ip` of a text, kept per text (the few addresses a process hears from: each
    command's audit rows carry its caller's; parsing one with ``ipaddress`` was ≈ 1 % of a case
    command, docs/performance.md "session 14: W4")."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    return clean_ipv6_address(str(address)) if address.version == 6 else str(address)


def _stored_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """``detail`` as the JSON column will give it back, so a fresh event hashes like its row.

    After a JSON round trip (string keys; dates, decimals and UUIDs as strings), values that
    PostgreSQL's jsonb would not return unchanged are normalised: an integral float comes back
    as an integer (``1e16``, ``-0.0``), NaN and infinities are not JSON, and NUL cannot be stored.
    """
    if not detail:
        return {}
    copied = _plain_copy(detail)  # already as the column returns it: copied, not encoded and parsed
    if copied is not _NOT_PLAIN:
        return copied
    return _jsonb_stable(json.loads(json.dumps(detail, cls=DjangoJSONEncoder, ensure_ascii=False)))


_NOT_PLAIN = object()


def _plain_copy(value: Any) -> Any:
    """``_copy(value)`` if ``_plain(value)``, else :data:`_NOT_PLAIN`: both in one walk, a dict's
    texts, flags, integers and empty values taken as they are without a call each (an event's
    detail is mostly those)."""
    kind = type(value)
    if kind is dict:
        copied = {}
        for key, item in value.items():
            if type(key) is not str or "\x00" in key:
                return _NOT_PLAIN
            kind = type(item)
            if kind is str:
                if "\x00" in item:
                    return _NOT_PLAIN
            elif not (item is None or kind is bool or kind is int):
                item = _plain_copy(item)
                if item is _NOT_PLAIN:
                    return _NOT_PLAIN
            copied[key] = item
        return copied
    if kind is list:
        copied = [_plain_copy(item) for item in value]
        return _NOT_PLAIN if any(item is _NOT_PLAIN for item in copied) else copied
    return _copy(value) if _plain(value) else _NOT_PLAIN


def _plain(value: Any) -> bool:
    """Whether ``value`` comes back unchanged from a JSON round trip and from jsonb: dicts with
    string keys, lists, strings without NUL, booleans, None, integers, finite non-integral floats
    (exact types but for strings: an IntEnum or other subclass goes the long way)."""
    kind = type(value)
    if isinstance(value, str):  # a str subclass (a TextChoices member) is written as its text
        return "\x00" not in value
    if kind is dict:
        return all(type(key) is str and "\x00" not in key and _plain(item) for key, item in value.items())
    if kind is list:
        return all(_plain(item) for item in value)
    if kind is float:
        return math.isfinite(value) and not value.is_integer()
    return value is None or kind is bool or kind is int


def _copy(value: Any) -> Any:
    """A copy of a plain value (:func:`_plain`), as the round trip would give: new dicts and lists."""
    if type(value) is dict:
        return {key: _copy(item) for key, item in value.items()}
    if type(value) is list:
        return [_copy(item) for item in value]
    if isinstance(value, str) and type(value) is not str:
        return str.__str__(value)  # the text itself, as the round trip gives it
    return value


def _jsonb_stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key.replace("\x00", NUL_REPLACEMENT): _jsonb_stable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonb_stable(item) for item in value]
    if isinstance(value, str):
        return value.replace("\x00", NUL_REPLACEMENT)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer():
            return int(value)
    return value


def record(
    action: str,
    *,
    actor: Any = None,
    organisation: Any = None,
    role: str = "",
    subject: Any = None,
    result: str = AuditResult.SUCCESS,
    detail: dict[str, Any] | None = None,
    ip_address: str | None = None,
    scope_path: str = "",
) -> AuditEvent:
    """Append one event to the chain (inside the caller's transaction, or its own).

    ``subject`` is what the event is about: a model instance, a model class (a batch of rows) or
    an :class:`~sifa.audit.subjects.AuditSubject`; :func:`~sifa.audit.subjects.subject_of` names
    it by the one rule (``app_label.ModelName`` + public id) and refuses unregistered types.
    ``actor`` defaults to the request's authenticated user, ``ip_address`` to its peer address
    and ``scope_path`` to the actor's. ``result`` must be an :class:`AuditResult` value.
    """
    event = _event(
        action,
        actor=actor,
        organisation=organisation,
        role=role,
        subject=subject,
        result=result,
        detail=detail,
        ip_address=ip_address,
        scope_path=scope_path,
    )
    _append([event])
    return _instance(event)


def record_many(events: list[dict[str, Any]]) -> list[AuditEvent]:
    """Append several events at once, in order: each dict holds the keyword arguments of
    :func:`record`. One chain lock, one read of the head and one insert for all of them (a command
    that changes several clocks writes their events together); the chain is the same as with one
    :func:`record` call per event."""
    built = [_event(**values) for values in events]
    if built:
        _append(built)
    return [_instance(event) for event in built]


def append(events: list[dict[str, Any]]) -> None:
    """:func:`record_many` for a caller that does not use the stored events (a workflow command's
    audit): the same rows and the same chain, without building an ``AuditEvent`` per row."""
    built = [_event(**values) for values in events]
    if not built:
        return
    if deferring():
        # Inside a case command's ``core.db.deferred_writes``: the rows are built, their insert's
        # values prepared and their canonical JSON encoded now; the head, the time, the sequence
        # numbers and the hashes are read and made under its lock, as always.
        db = connections[DEFAULT_DB_ALIAS]
        prepared = [_prepared_row(event, db) for event in built]
        write(lambda: _append(built, prepared, db))
    else:
        _append(built)


_COLUMNS = tuple(field.attname for field in AuditEvent._meta.concrete_fields)
"""``AuditEvent``'s columns, in the insert's order (``_INSERT.fields``)."""


class _Row:
    """An event as the chain hashes it (:func:`~sifa.audit.hashing.canonical_event` reads these
    attributes) and the insert writes it: ``AuditEvent``'s columns (and the actor, for the
    instance :func:`record` returns), without a model instance — building one and preparing its
    fields one by one was a tenth of a workflow command's CPU time (docs/performance.md)."""

    __slots__ = (*_COLUMNS, "actor")


_LENGTHS = {
    name: AuditEvent._meta.get_field(name).max_length
    for name in ("actor_username", "role", "action", "object_type", "object_id")
}


def _fit(name: str, value: Any) -> str:
    """:func:`fit` for one of ``AuditEvent``'s text columns (lengths read once)."""
    text = str(value or "").replace("\x00", NUL_REPLACEMENT)
    return text[: _LENGTHS[name]]


def _instance(row: _Row) -> AuditEvent:
    """The stored event as an ``AuditEvent`` instance (what :func:`record` returns)."""
    event = AuditEvent(**{name: getattr(row, name) for name in _COLUMNS})
    if row.actor is not None:  # as ``AuditEvent(actor=…)`` leaves it: the account at hand
        event.actor = row.actor
    event._state.adding = False
    event._state.db = DEFAULT_DB_ALIAS
    return event


def _event(
    action: str,
    *,
    actor: Any = None,
    organisation: Any = None,
    role: str = "",
    subject: Any = None,
    result: str = AuditResult.SUCCESS,
    detail: dict[str, Any] | None = None,
    ip_address: str | None = None,
    scope_path: str = "",
) -> _Row:
    """The event's row, not yet in the chain (no ``seq``, time or hashes)."""
    if result not in _RESULTS:
        raise ValueError(f"audit result must be one of {AuditResult.values}, got {result!r}")
    if not action:
        raise ValueError("audit action is required")
    object_type, object_id = subject_of(subject)
    ctx = context.current()
    if actor is None and ctx.user is not None and getattr(ctx.user, "is_authenticated", False):
        actor = ctx.user
    actor = actor if getattr(actor, "pk", None) else None
    row = _Row()
    row.actor_id = actor.pk if actor is not None else None
    row.actor_username = _fit("actor_username", getattr(actor, "username", ""))
    # Callers hold either the organisation or just its id.
    # (None, an event without one — a clock's —, taken as it is: looking for its ``pk`` formats
    # an ``AttributeError``.)
    row.organisation_id = None if organisation is None else getattr(organisation, "pk", organisation)
    row.actor = actor  # kept for the instance record() returns, not written
    row.role = _fit("role", role)
    row.action = _fit("action", action)
    row.object_type = _fit("object_type", object_type)
    row.object_id = _fit("object_id", object_id)
    row.result = str(result)
    row.ip_address = _stored_ip(ip_address if ip_address is not None else ctx.ip_address)
    # Without an explicit jurisdiction the event belongs to the actor's (an account's scope
    # path is its 司法所/司法局, a staff member's their organisation).
    row.scope_path = scope_path or getattr(actor, "scope_path", "") or ""
    row.detail = _stored_detail(detail)
    return row


_CHAIN_COLUMNS = ("seq", "occurred_at", "prev_hash", "hash")
"""The columns only the append fills in (under the chain's lock)."""
_SEQ_MARK, _TIME_MARK = "\ue000seq\ue000", "\ue000occurred_at\ue000"
"""Placeholders in an event's canonical JSON encoded before the append (private-use characters,
kept as they are with ``ensure_ascii=False``)."""


class _Prepared:
    """An event's insert values but the chain's columns, and its canonical JSON around its
    ``seq`` and ``occurred_at`` (None where the placeholders are not each found once)."""

    __slots__ = ("canonical", "values")

    def __init__(self, values: list, canonical: tuple[str, str, str] | None) -> None:
        self.values, self.canonical = values, canonical


def _prepared_row(event: _Row, db) -> _Prepared:
    for name in _CHAIN_COLUMNS:
        setattr(event, name, None)
    values = _INSERT.prepare([getattr(event, name) for name in _COLUMNS], db)
    event.seq, event.occurred_at = _SEQ_MARK, _TIME_MARK
    try:
        text = canonical_text(event, occurred=_TIME_MARK)
    finally:
        event.seq = event.occurred_at = None
    seq_mark, time_mark = f'"{_SEQ_MARK}"', _TIME_MARK
    canonical = None
    if (
        text.count(seq_mark) == 1
        and text.count(time_mark) == 1
        and text.index(time_mark) < text.index(seq_mark)
    ):
        head, rest = text.split(time_mark)
        middle, tail = rest.split(seq_mark)
        canonical = (head, middle, tail)
    return _Prepared(values, canonical)


def _append(events: list[_Row], prepared: list[_Prepared] | None = None, db=None) -> None:
    """Chain ``events`` after the head, in order, and insert them (with ``prepared``, their values
    and canonical JSON made before: :func:`append` in a deferred command; ``db``, the default
    connection, when the caller has it)."""
    db = db or connections[DEFAULT_DB_ALIAS]
    if prepared is not None and db.in_atomic_block:
        # A deferred command's append, run by its writes' transaction (``dispatch._write``): an
        # inner block without a savepoint would only mark that transaction for rollback on a
        # failure, which rolls it back anyway as the failure leaves it.
        _chain(events, prepared, db)
        return
    # No savepoint: a failed append fails the command it belongs to anyway (W10 profile).
    with transaction.atomic(savepoint=False):
        _chain(events, prepared, db)


def _chain(events: list[_Row], prepared: list[_Prepared] | None, db) -> None:
    """:func:`_append`'s work, inside its transaction."""
    head = _locked_head(db)
    prev_seq, prev_hash = head if head else (0, GENESIS_HASH)
    # The time is taken under the lock so it never runs backwards along the chain.
    now = timezone.now()
    if prepared is None:
        for event in events:
            prev_seq += 1
            event.seq = prev_seq
            event.occurred_at = now
            event.prev_hash = prev_hash
            event.hash = prev_hash = chain_hash(prev_hash, event)
        _insert(events, db)
        return
    occurred = canonical_time(now)
    stored_now = _INSERT.fields[_AT[1]].get_db_prep_save(now, db)
    rows = []
    for event, ready in zip(events, prepared, strict=True):
        prev_seq += 1
        event.seq = prev_seq
        event.occurred_at = now
        event.prev_hash = prev_hash
        if ready.canonical is None:
            event.hash = chain_hash(prev_hash, event)
        else:
            head, middle, tail = ready.canonical
            canonical = f"{head}{occurred}{middle}{prev_seq}{tail}".encode()
            event.hash = sm3_hex(prev_hash.encode() + canonical)
        values = list(ready.values)
        values[_AT[0]], values[_AT[1]] = prev_seq, stored_now
        values[_AT[2]], values[_AT[3]] = prev_hash, event.hash
        prev_hash = event.hash
        rows.append(values)
    run_fixed(db, _INSERT.sql(db), rows, many=True)


_SQL: dict[tuple[str, str], str] = {}


def _head(db=None) -> tuple | None:
    """The chain's head (``seq``, ``hash``) or None (SQLite, under its write lock): read on its connection itself
    (``DatabaseWrapper.plain_rows``) unless the statement is to be counted or logged."""
    db = db or connections[DEFAULT_DB_ALIAS]
    plain = getattr(db, "plain_rows", None)
    rows = None if plain is None else plain(_head_sql(db), ())
    if rows is None:
        with db.cursor() as cursor:
            cursor.execute(_head_sql(db))
            return cursor.fetchone()
    return rows[0] if rows else None


def _head_sql(db=None) -> str:
    """The chain's head (``seq``, ``hash``): the primary key's last row."""
    db = db or connection
    sql = _SQL.get(("head", db.vendor))
    if sql is None:
        quote = db.ops.quote_name
        table, seq, digest = (quote(n) for n in (AuditEvent._meta.db_table, "seq", "hash"))
        sql = _SQL[("head", db.vendor)] = f"SELECT {seq}, {digest} FROM {table} ORDER BY {seq} DESC LIMIT 1"  # noqa: S608
    return sql


_INSERT = FixedInsert(AuditEvent, with_pk=True)
_AT = tuple(_COLUMNS.index(name) for name in _CHAIN_COLUMNS)
"""Where ``seq``, ``occurred_at``, ``prev_hash`` and ``hash`` are in the insert's values."""


def _insert(events: list[_Row], db=None) -> None:
    """``save(force_insert=True)`` of each event (``AuditEvent`` has no save override or signals;
    ``seq`` is given, and no field has a default or ``auto_now`` left to fill): one statement built
    once per database, each value prepared as that save prepares it, all rows in one
    ``executemany`` (SQLite) or one multi-row statement (PostgreSQL)."""
    db = db or connections[DEFAULT_DB_ALIAS]  # not the proxy: each field's preparation reads it
    prepare = _INSERT.prepare
    rows = [prepare([getattr(event, name) for name in _COLUMNS], db) for event in events]
    if db.vendor == "postgresql":
        # One statement for all the rows (``VALUES (…), (…)``): one execution on the server, not one
        # per row as ``executemany``'s pipeline sends them; the same rows in the same order.
        run_fixed(db, _INSERT.sql_rows(db, len(rows)), [value for row in rows for value in row])
        return
    run_fixed(db, _INSERT.sql(db), rows, many=True)
