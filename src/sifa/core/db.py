"""Database helpers shared by every app: materialized-path columns and their subtree lookup; the
fixed statements of the hot paths; writes collected to run later under one lock (``deferred_writes``)."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import uuid
from collections.abc import Callable, Iterator

from django.db import DatabaseError, models
from django.db.models import Lookup, signals
from django.db.models.base import Model, ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.utils.connection import ConnectionProxy

from sifa.core.db_values import _converters, _passing_types
from sifa.core.errors import Conflict
from sifa.core.packed import packed_sql

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


class FixedRows:
    """Rows of ``model`` read with hand-written SQL, converted (and built) as the ORM does it.

    For the few reads on every request (the bearer token's lookup): building an ORM query costs
    several times the query itself (docs/performance.md, "2026-12-06: me"). ``columns(alias)``
    lists every concrete column under a table alias; ``convert(values, connection)`` applies the
    backend's and the fields' converters (SQLite's text datetimes, UUIDs, booleans…), and
    ``build(values, connection)`` makes the instance of a whole row with ``Model.from_db``, so the
    instance is complete (no deferred field, no lazy query later). ``FixedRows(model, *names)``
    reads only the named fields (named in field order): ``build`` then makes the instance
    ``Model.from_db`` makes of those fields, the others deferred (as ``.only()`` gives them).
    """

    def __init__(self, model: type[models.Model], *names: str) -> None:
        self.model = model
        meta = model._meta
        self.fields = tuple(meta.get_field(name) for name in names) if names else tuple(meta.concrete_fields)
        self.attnames = tuple(field.attname for field in self.fields)
        self._converters: dict[str, list] = {}

    def columns(self, alias: str) -> str:
        from django.db import connection

        quote = connection.ops.quote_name
        return ", ".join(f"{quote(alias)}.{quote(field.column)}" for field in self.fields)

    def _converters_for(self, connection) -> list:
        found = self._converters.get(connection.vendor)
        if found is None:
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.model._meta.db_table)
                steps = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                if steps:
                    found.append((index, column, steps))
            self._converters[connection.vendor] = found
        return found

    def convert(self, values, connection) -> list:
        """The Python values of ``values`` (one per column, in ``columns()``' order)."""
        values = list(values)
        for index, column, steps in self._converters_for(connection):
            value = values[index]
            for step in steps:
                value = step(value, column, connection)
            values[index] = value
        return values

    def build(self, values, connection):
        """The model instance of the row (of every column, or of the named ones: the rest deferred).

        The instance ``Model.from_db`` makes, made without its general path when nothing can tell
        them apart (:attr:`_plain`: no ``__init__``/``from_db`` of the model's own, no descriptor
        that does more than store a column's value, no ``pre_init``/``post_init`` receiver for the
        model): ``Model.__init__`` then only sets ``_state`` and each column's attribute in field
        order, which is what is done here, in the same order (docs/performance.md, "2026-12-06 (day): me")."""
        return _make(
            self.model, self.attnames, self._plain, connection.alias, self.convert(values, connection)
        )

    @functools.cached_property
    def _plain(self) -> tuple[int, ...] | None:
        return _plain_foreign_keys(self.model, self.attnames)


def _make(model: type[models.Model], attnames, plain: tuple[int, ...] | None, alias: str, values):
    """``model.from_db(alias, attnames, values)`` for a row (every column, or those not deferred),
    made without ``Model.__init__``'s general path when nothing can tell them apart (``plain``:
    :func:`_plain_foreign_keys`, and no ``pre_init``/``post_init`` receiver for the model):
    ``Model.__init__`` then only sets ``_state`` and each read column's attribute in field order
    (a deferred one is skipped, left to be loaded if read), which is what is done here, in the same
    order (docs/performance.md, "2026-12-06 (day): me", "session 9: W4")."""
    if plain is None or (
        (signals.pre_init.receivers or signals.post_init.receivers)  # none at all: no look-up
        and (signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model))
    ):
        return model.from_db(alias, attnames, values)
    instance = model.__new__(model)
    state = instance._state = ModelState()
    if any(values[index] is not None for index in plain):
        state.fields_cache = {}  # as a foreign key's setter leaves it (it looked for a cached object)
    state.adding = False
    state.db = alias
    instance.__dict__.update(zip(attnames, values, strict=True))
    return instance


def _plain_foreign_keys(model: type[models.Model], attnames) -> tuple[int, ...] | None:
    """``None`` when ``Model.__init__`` may do more for ``model`` than set ``_state`` and store each
    column's value in the instance's ``__dict__`` (signals aside), or when ``attnames`` are not its
    columns in field order (all of them, or those a read did not defer: ``Model.from_db`` then
    gives ``__init__`` a ``DEFERRED`` for each of the others, which it skips); else the positions of
    the foreign key columns, whose setter leaves an empty ``_state.fields_cache`` when it is given a
    value other than ``None``."""
    attnames = tuple(attnames)
    if model._meta.abstract or model.from_db.__func__ is not Model.from_db.__func__:
        return None
    if any("__init__" in vars(klass) for klass in model.__mro__ if klass not in (Model, object)):
        return None
    columns = iter(field.attname for field in model._meta.concrete_fields)
    if not all(name in columns for name in attnames):  # not its columns in field order (some deferred)
        return None
    foreign_keys = []
    for index, name in enumerate(attnames):
        for klass in model.__mro__:
            if name in vars(klass):
                descriptor = type(vars(klass)[name])
                # A foreign key's column attribute only drops the cached related object when
                # its value changes (a new instance has none). Any other setter may do more.
                if descriptor is ForeignKeyDeferredAttribute:
                    foreign_keys.append(index)
                elif hasattr(descriptor, "__set__"):
                    return None
                break
    return tuple(foreign_keys)


def _populate(populator, row, from_obj) -> None:
    """Django's ``RelatedPopulator.populate`` (a ``select_related`` relation of a row), each
    instance made by :func:`_make` (``populator.plain``, set by :meth:`PreparedQuery._compile`)."""
    if populator.reorder_for_init:
        data = populator.reorder_for_init(row)
    else:
        data = row[populator.cols_start : populator.cols_end]
    if data[populator.pk_idx] is None:
        obj = None
    else:
        obj = _make(populator.model_cls, populator.init_list, populator.plain, populator.db, data)
        for related in populator.related_populators:
            _populate(related, row, obj)
    populator.local_setter(from_obj, obj)
    if obj is not None:
        populator.remote_setter(obj, from_obj)


def _mark_plain(populators) -> None:
    for populator in populators:
        populator.plain = _plain_foreign_keys(populator.model_cls, populator.init_list)
        _mark_plain(populator.related_populators)


class PreparedQuery:
    """A queryset compiled once per database and run again with other values: the same SQL, the
    same converters and the same instances (``select_related`` relations included) as the ORM
    gives, without building and compiling the query on every call.

    ``build(*markers)`` returns the queryset with each varying value replaced by its marker (a
    value no real row holds: a string such as ``"\\x00number"``, a UUID of zeros and ones; a
    marker may stand in more than one place);
    :meth:`rows` runs the compiled statement with real values (of the markers' types) in their
    place. For the few statements on the path of every case command (docs/performance.md,
    "W4 write path"): compiling such a query cost several times running it. The instances (the
    row's model and each ``select_related`` relation) are made as ``FixedRows.build`` makes them:
    without ``Model.__init__``'s general path when nothing can tell them apart (:func:`_make`).
    """

    def __init__(self, build, *markers) -> None:
        self.build = build
        self.markers = markers
        self._compiled: dict[tuple[str, str], tuple] = {}

    def _slot(self, param) -> tuple[int, bool] | None:
        for index, marker in enumerate(self.markers):
            if param == marker:
                return index, False
            if isinstance(marker, uuid.UUID) and param == marker.hex:  # SQLite stores UUIDs as hex
                return index, True
        return None

    def _compile(self, connection) -> tuple:
        from django.db.models.query import get_related_populators

        key = (connection.alias, connection.vendor)
        found = self._compiled.get(key)
        if found is None:
            compiler = self.build(*self.markers).query.get_compiler(using=connection.alias)
            sql, params = compiler.as_sql()
            slots = [self._slot(param) for param in params]
            if {slot[0] for slot in slots if slot} != set(range(len(self.markers))):
                raise ValueError("every marker must be a parameter of the query")
            select, klass_info = compiler.select, compiler.klass_info
            fields = klass_info["select_fields"]
            start, end = fields[0], fields[-1] + 1
            names = [column[0].target.attname for column in select[start:end]]
            populators = get_related_populators(klass_info, select, connection.alias)
            _mark_plain(populators)
            found = (
                packed_sql(compiler, sql, connection) or sql,  # SQLite: one JSON array per row
                tuple(params),
                slots,
                compiler,
                compiler.get_converters([column[0] for column in select[: compiler.col_count]]),
                klass_info["model"],
                (start, end),
                names,
                populators,
                _plain_foreign_keys(klass_info["model"], names),
            )
            self._compiled[key] = found
        return found

    def rows(self, *values, using: str = "default") -> list:
        """The instances the queryset gives with ``values`` in place of its markers, in order."""
        from django.db import connections

        connection = connections[using]
        sql, params, slots, compiler, converters, model, (start, end), names, populators, plain = (
            self._compile(connection)
        )
        bound = [
            param if slot is None else (values[slot[0]].hex if slot[1] else values[slot[0]])
            for slot, param in zip(slots, params, strict=True)
        ]
        plain_rows = getattr(connection, "plain_rows", None)  # SQLite: without the cursor wrapper
        rows = None if plain_rows is None else plain_rows(sql, bound)
        if rows is None:
            with fixed_cursor(connection) as cursor:
                cursor.execute(sql, bound)
                rows = cursor.fetchall()
        if sql.startswith("SELECT json_array("):  # ``core.packed``: the same values, then converted
            rows = [json.loads(row[0]) for row in rows]
        if converters:
            rows = compiler.apply_converters(rows, converters)
        found = []
        for row in rows:
            instance = _make(model, names, plain, using, row[start:end])
            for populator in populators:
                _populate(populator, row, instance)
            found.append(instance)
        return found


class FixedUpdate:
    """``instance.save(update_fields=names)`` as one statement built once per database, for models
    without a ``save()`` override or save signals: ``sql(connection)`` is ``UPDATE … SET <names>
    WHERE pk = %s``, and ``params(instance, connection)`` prepares each value exactly as that save
    does (the field's ``pre_save``, so ``auto_now`` stamps the instance too, then
    ``get_db_prep_save``). Several rows go in one ``executemany`` (the caller writes: services)."""

    def __init__(self, model: type[models.Model], *names: str) -> None:
        meta = model._meta
        self.model = model
        self.fields = tuple(meta.get_field(name) for name in names)
        self._sql: dict[str, str] = {}

    def sql(self, connection) -> str:
        found = self._sql.get(connection.vendor)
        if found is None:
            quote = connection.ops.quote_name
            meta = self.model._meta
            assignments = ", ".join(f"{quote(field.column)} = %s" for field in self.fields)
            found = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
            self._sql[connection.vendor] = found
        return found

    def sql_rows(self, connection, count: int) -> str:
        """PostgreSQL: one statement updating ``count`` rows, each row's values (:meth:`params`) one
        after the other — ``UPDATE … SET <names> FROM (VALUES (…), (…)) … WHERE pk = v.pk``, each
        value cast to its column's type (text for a text column, so a value too long for a
        ``varchar(n)`` fails on assignment as with :meth:`sql`): what ``executemany`` of :meth:`sql`
        changes, with one execution on the server instead of one per row."""
        key = f"{connection.vendor}:{count}"
        found = self._sql.get(key)
        if found is None:
            quote = connection.ops.quote_name
            meta = self.model._meta
            fields = (*self.fields, meta.pk)
            row = f"({', '.join(f'%s::{_column_cast(field, connection)}' for field in fields)})"
            names = ", ".join(f"v{i}" for i in range(len(fields)))
            assignments = ", ".join(f"{quote(field.column)} = v.v{i}" for i, field in enumerate(self.fields))
            found = self._sql[key] = (
                f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608
                f"FROM (VALUES {', '.join([row] * count)}) AS v ({names}) "
                f"WHERE {quote(meta.db_table)}.{quote(meta.pk.column)} = v.v{len(self.fields)}"
            )
        return found

    def params(self, instance: models.Model, connection) -> list:
        values = []
        for field, kinds, steps in zip(self.fields, *_passing(self, connection), strict=True):
            value = field.pre_save(instance, False)
            if type(value) in kinds:
                values.append(value)
            else:
                step = steps.get(type(value))
                prepared = None if step is None else step(value)
                values.append(field.get_db_prep_save(value, connection) if prepared is None else prepared)
        values.append(self.model._meta.pk.get_db_prep_value(instance.pk, connection))
        return values


def _column_cast(field, connection) -> str:
    """The type a value is cast to for ``field``'s column: text for a text column (assigned to a
    ``varchar(n)`` it is checked as a bound value is), else the field's own cast type."""
    if isinstance(field, (models.CharField, models.TextField)):
        return "text"
    return field.cast_db_type(connection)


class FixedInsert:
    """``instance.save(force_insert=True)`` as one statement built once per database, for models
    without a ``save()`` override or save signals: ``sql(connection)`` inserts every concrete field
    (the primary key too when ``with_pk``, else it is returned: ``RETURNING`` where the database
    has it), ``params(instance, connection)`` prepares each value as that save does (``pre_save``:
    defaults already set, ``auto_now_add`` stamps the instance; ``get_db_prep_save``), and
    ``saved(instance, cursor, connection)`` takes the new key and marks the instance as stored.
    The caller (a service) executes it, several rows in one ``executemany``."""

    def __init__(self, model: type[models.Model], *, with_pk: bool = False) -> None:
        self.model = model
        self.with_pk = with_pk
        self.fields = tuple(f for f in model._meta.concrete_fields if with_pk or not f.primary_key)
        self._sql: dict[str, str] = {}

    def sql(self, connection) -> str:
        found = self._sql.get(connection.vendor)
        if found is None:
            quote = connection.ops.quote_name
            meta = self.model._meta
            columns = ", ".join(quote(field.column) for field in self.fields)
            marks = ", ".join(["%s"] * len(self.fields))
            found = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
            if not self.with_pk and connection.features.can_return_columns_from_insert:
                found += f" RETURNING {quote(meta.pk.column)}"
            self._sql[connection.vendor] = found
        return found

    def sql_rows(self, connection, count: int) -> str:
        """One statement inserting ``count`` rows (``VALUES (…), (…)``, their values one after the
        other): what ``executemany`` of :meth:`sql` writes, in one statement — on PostgreSQL one
        execution on the server instead of one per row. Only with ``with_pk`` (nothing returned)."""
        if not self.with_pk:
            raise ValueError("sql_rows inserts rows whose key is given (with_pk)")
        key = f"{connection.vendor}:{count}"
        found = self._sql.get(key)
        if found is None:
            one = self.sql(connection)
            head, marks = one[: one.rindex(" VALUES (")], f"({', '.join(['%s'] * len(self.fields))})"
            found = self._sql[key] = f"{head} VALUES {', '.join([marks] * count)}"
        return found

    def params(self, instance: models.Model, connection) -> list:
        return self.prepare([field.pre_save(instance, True) for field in self.fields], connection)

    def prepare(self, values, connection) -> list:
        """:meth:`params` from the row's values (in :attr:`fields`' order, as the instance would
        hold them after ``pre_save``) instead of an instance: for rows built without a model
        instance, whose fields fill in nothing themselves (no default left, no ``auto_now``).
        A value its field's preparation returns unchanged (``sifa.core.db_values._passing_types``:
        a string for a text column, an ``int`` or ``bool``, ``None`` for a nullable column) is
        passed as it is, a date, instant, address or JSON value (SQLite) takes the one step its
        preparation ends in (``_converters``; a step that gives None leaves the value to its
        field); every other value is prepared by its field."""
        prepared = []
        for field, value, kinds, steps in zip(self.fields, values, *_passing(self, connection), strict=True):
            if type(value) in kinds:
                prepared.append(value)
            else:
                step = steps.get(type(value))
                done = None if step is None else step(value)  # None: the field prepares it
                prepared.append(field.get_db_prep_save(value, connection) if done is None else done)
        return prepared

    def saved(self, instance: models.Model, cursor, connection) -> None:
        if not self.with_pk:
            returning = "RETURNING" in self.sql(connection)
            instance.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
        instance._state.adding = False
        instance._state.db = connection.alias


def _passing(statement: FixedInsert | FixedUpdate, connection) -> tuple[tuple, tuple]:
    """:func:`~sifa.core.db_values._passing_types` and :func:`~sifa.core.db_values._converters`
    of each of ``statement``'s fields, on ``connection``'s database."""
    cache = statement.__dict__.setdefault("_passing", {})
    found = cache.get(connection.vendor)
    if found is None:
        fields = statement.fields
        found = cache[connection.vendor] = (
            tuple(_passing_types(field, connection) for field in fields),
            tuple(_converters(field, connection) for field in fields),
        )
    return found


# --- server-side prepared statements for the fixed statements (PostgreSQL) -----------------
_preparing = None


def _forget_prepared(raw) -> None:
    """Make psycopg prepare each statement of the connection ``raw`` anew, under a new name; the
    old ones are closed on the server after the next statement that succeeds (psycopg's own
    maintenance, as when its cache is full)."""
    prepared = raw._prepared
    prepared._to_flush.extend(prepared._names.values())
    prepared._names.clear()
    prepared._counts.clear()


def _preparing_classes() -> tuple:
    global _preparing
    if _preparing is None:
        from django.db.backends.postgresql.base import (
            TIMESTAMPTZ_OID,
            CursorDebugWrapper,
            ServerBindingCursor,
        )
        from django.db.backends.postgresql.psycopg_any import register_tzloader
        from django.db.backends.utils import CursorWrapper
        from psycopg import _queries as psycopg_queries
        from psycopg import adapt
        from psycopg.errors import FeatureNotSupported, OperationalError
        from psycopg.pq import ConnStatus, ExecStatus, Format, TransactionStatus, error_message

        idle, in_transaction = TransactionStatus.IDLE, TransactionStatus.INTRANS
        answered, lost = (ExecStatus.TUPLES_OK, ExecStatus.COMMAND_OK), ConnStatus.BAD
        split = functools.lru_cache(maxsize=256)(psycopg_queries._query2pg_nocache)

        class FixedTextQuery(psycopg_queries.PostgresQuery):
            """psycopg's conversion with its split (``%s`` to ``$n``) kept for every fixed text, not
            only up to 50 values (a case command's 64-value audit insert was split by a regular
            expression each time: docs/performance.md, "session 11: W4"); the same values."""

            def convert(self, query, vars) -> None:
                if vars is None or type(query) is not str:
                    return super().convert(query, vars)
                found = split(self._ensure_bytes(query), self._tx.encoding)
                self.query, self._want_formats, self._order, self._parts = found
                return self.dump(vars)

        class PreparingCursor(ServerBindingCursor):
            """``execute`` with ``prepare=True``: parsed and planned once per connection (psycopg
            names and keeps it); ``executemany`` prepares already; each text's split kept (above)."""

            _query_cls = FixedTextQuery

            def _run_prepared(self, query, params, binary):
                """The statement run with libpq's one blocking call (``PQexecPrepared``, the GIL
                released while it waits) when it is prepared on the connection already and
                nothing else is due first, else ``None``: psycopg's own ``execute`` then.

                What psycopg's ``execute`` does for such a statement, without its generators
                and its send–poll–read loop (≈ 60 µs less per statement, docs/performance.md,
                "session 7"): the same values bound the same way (its query conversion), the
                same prepared statement, results, errors (from the result, as psycopg makes
                them) and cache order. Left to psycopg: a statement not yet prepared, values
                for a ``BEGIN`` still to send (not autocommit, no transaction open), a
                pipeline, prepared statements waiting to be closed, a closed cursor."""
                conn = self._conn
                pgconn = self._pgconn
                status = pgconn.transaction_status
                if (
                    params is None
                    or conn._pipeline is not None
                    or not (status == in_transaction or (status == idle and conn._autocommit))
                ):
                    return None
                prepared = conn._prepared
                if prepared._to_flush or self._closed:
                    return None
                if self._last_query is not query:  # as psycopg's ``_start_query``
                    self._last_query = None
                    self._tx = adapt.Transformer(self)
                pgq = self._convert_query(query, params)
                key = prepared.key(pgq)
                name = prepared._names.get(key)
                if name is None:
                    return None
                self._reset()
                fmt = self.format if binary is None else (binary_format if binary else text_format)
                with conn.lock:
                    result = pgconn.exec_prepared(
                        name, pgq.params, param_formats=pgq.formats, result_format=fmt
                    )
                prepared._names.move_to_end(key)  # as psycopg's ``maybe_add_to_cache``
                if result.status not in answered:
                    if pgconn.status == lost:  # a lost session: psycopg's class (OperationalError)
                        raise OperationalError(error_message(pgconn))
                    self._check_results([result])  # psycopg's error for the result
                self._set_results([result])
                self._last_query = query
                return self

            def execute(self, query, params=None, *, prepare=True, binary=None):
                try:
                    if prepare and self._run_prepared(query, params, binary) is not None:
                        return self
                    return super().execute(query, params, prepare=prepare, binary=binary)
                except FeatureNotSupported as error:
                    if error.diag.source_function != "RevalidateCachedQuery":
                        raise
                    # "cached plan must not change result type": another connection changed a
                    # column this statement returns (a migration while this process runs).
                    # psycopg would run the stale statement again and again: forget this
                    # connection's statements (each is closed after the next statement that
                    # succeeds) and, outside a transaction, run it once more, prepared anew;
                    # inside one, the transaction has failed and the next one prepares anew.
                    _forget_prepared(self._conn)
                    if self._conn.info.transaction_status != TransactionStatus.IDLE:
                        raise
                    return super().execute(query, params, prepare=prepare, binary=binary)

        class KeptCursor(PreparingCursor):
            """The connection's one cursor for the fixed statements (:func:`fixed_cursor`), lent to
            one user at a time and kept for the next one: ``close()`` hands it back (its results
            dropped) instead of closing it, so a request does not build a psycopg cursor (its
            adapters' map, its transformer and each column's loader) for every statement."""

            lent = False

            def close(self) -> None:
                self._reset()
                self.format = text_format
                self.lent = False

        class PreparedDebugWrapper(CursorDebugWrapper):
            """The debug wrapper (``DEBUG``, ``CaptureQueriesContext``) logging each statement
            with its values in place, as for the other statements: a cursor that binds on the
            server keeps no such text for ``last_executed_query`` to read."""

            def execute(self, sql, params=None):
                try:
                    shown = self.db.ops.compose_sql(sql, params) if params is not None else sql
                except Exception:  # the log shows the statement as written
                    shown = sql
                with self.debug_sql(shown, params):
                    return CursorWrapper.execute(self, sql, params)

        text_format, binary_format = Format.TEXT, Format.BINARY
        _preparing = (
            PreparingCursor,
            KeptCursor,
            PreparedDebugWrapper,
            TIMESTAMPTZ_OID,
            Format.TEXT,
            Format.BINARY,
            register_tzloader,
        )
    return _preparing


def itself(connection):
    """The database wrapper itself for Django's ``connection`` proxy (``django.db.connection``,
    whose every attribute is looked up in ``connections`` anew: ≈ 3–5 µs each, a dozen times in
    one fixed statement's steps), else ``connection``: the same object the proxy would reach in
    this thread for the length of one call."""
    if type(connection) is ConnectionProxy:
        return connection._connections[connection._alias]
    return connection


def first_read(connection, sql: str, params, *, binary: bool = False) -> list:
    """The rows of one read-only statement of fixed text (run through :func:`fixed_cursor`), which,
    when it is the request's first statement, is also the request's connection health check.

    With ``CONN_HEALTH_CHECKS`` Django sends a ``SELECT 1`` before a request's first statement on
    a kept connection, and opens a new connection when it fails — one more round trip, and its
    server CPU, on every request (on PostgreSQL, a whole round trip for the public page cache's hit
    and the bearer token's read, which are nothing but that first statement). Here the statement
    itself is the check: when the check is still due, outside any transaction, it runs at once and,
    when it fails because the connection is lost (``closed``: a restarted server, an ended session),
    the connection is closed and the statement runs once more on a new one — what the check would
    have done, one statement later. That is safe only because the statement changes nothing: a read
    run twice answers as once. Any other failure is raised as before; a connection that hangs
    (a network cut) hangs the statement as it would have hung the check.

    Elsewhere (the check already done or off, inside ``atomic``) it is ``fixed_cursor`` as usual.
    ``binary``: as :func:`fixed_cursor`'s. On SQLite the statement runs on the SQLite connection
    itself, on PostgreSQL (a statement prepared already) on the connection's kept psycopg cursor
    itself, unless it is to be logged, counted or wrapped (``DatabaseWrapper.plain_rows`` of
    ``sifa.core.sqlite_backend`` and ``sifa.core.postgresql_backend``: the same steps without
    Django's cursor wrapper).
    """
    connection = itself(connection)
    plain = getattr(connection, "plain_rows", None)
    if plain is not None:
        rows = plain(sql, params, binary)
        if rows is not None:
            return rows
    due = (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    )
    if due:
        connection.health_check_done = True  # this statement is the check
        try:
            with fixed_cursor(connection, binary=binary) as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        except DatabaseError:
            raw = connection.connection
            if raw is not None and not getattr(raw, "closed", False):
                raise  # the connection is alive: the statement's own failure
            connection.close()  # as the failed check closes it; the statement runs on a new one
    with fixed_cursor(connection, binary=binary) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def run_fixed(connection, sql: str, params, *, many: bool = False, result: Callable | None = None):
    """Run one write of fixed text (``params`` rows for one ``executemany`` with ``many``); give
    ``result(cursor)`` (the cursor still open) or the rows changed (``rowcount``). On SQLite it runs
    on the SQLite connection itself (``DatabaseWrapper.plain_execute``) unless it is to be logged
    or counted or an ``execute_wrapper`` is installed; elsewhere, and then, :func:`fixed_cursor`."""
    connection = itself(connection)
    plain = getattr(connection, "plain_execute", None)
    cursor = None if plain is None else plain(sql, params, many)
    if cursor is not None:
        return cursor.rowcount if result is None else result(cursor)
    if many and len(params) == 1 and connection.vendor == "postgresql":
        # One row: one ``execute`` (libpq's one call when prepared), not psycopg's ``executemany``
        # and its pipeline; the same statement, values and ``rowcount``.
        many, params = False, params[0]
    with fixed_cursor(connection) as cursor:
        (cursor.executemany if many else cursor.execute)(sql, params)
        return cursor.rowcount if result is None else result(cursor)


def fixed_cursor(connection, *, binary: bool = False):
    """A cursor for the statements whose text is the same on every call (hand-written SQL,
    ``FixedRows``, ``FixedUpdate``, ``FixedInsert``, ``PreparedQuery``): on PostgreSQL with
    ``SIFA_DB_PREPARED`` on, each one is a server-side prepared statement of the connection, so
    the server parses and plans it once per connection, not on every request; elsewhere (SQLite,
    the setting off for a transaction-pooling proxy) it is ``connection.cursor()``.

    It is Django's cursor wrapper all the same (``connection.cursor()``'s steps: the health check,
    the connection, the thread check, the debug wrapper), so query counting and
    ``execute_wrapper`` see each statement. Only for statements of fixed text: each distinct text
    (and each set of parameter types) is one prepared statement of the connection (psycopg keeps
    the 100 newest). Values are bound by the server: a parameter whose type the statement does not
    fix (``%s IS NULL``) needs a cast. psycopg forgets the connection's prepared statements when
    a ``ROLLBACK`` (a savepoint's too), ``ALTER`` or ``DROP`` runs on it, and a new connection
    starts with none.

    On PostgreSQL the cursor under the wrapper is the connection's kept one (``KeptCursor``), with
    psycopg's compiled ``timestamptz`` loader where it gives Django's (:func:`_set_timestamptz_loader`).

    ``binary``: the results in PostgreSQL's binary form — the same values (psycopg's loaders), not
    written as text and parsed (a 13 kB ``bytea`` is 27 kB of hex). Only for columns whose binary
    loader gives the text one's value (integers, text, ``bytea``); ignored elsewhere."""
    connection = itself(connection)
    if (
        connection.vendor != "postgresql"
        or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None
    ):
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor_class, kept_class, debug_wrapper, oid, text, binary_format, register_tzloader = (
            _preparing_classes()
        )
        raw = connection.connection
        cursor = getattr(connection, "_sifa_fixed_cursor", None)
        if cursor is None or cursor.lent or cursor.connection is not raw or cursor.closed:
            # A new connection (or this one's cursor is lent: a fixed statement inside another's
            # use) gets a new cursor; the first one of each connection is kept.
            kept = cursor is None or cursor.connection is not raw or cursor.closed
            cursor = (kept_class if kept else cursor_class)(raw)
            _set_timestamptz_loader(connection, cursor, raw, oid, text, register_tzloader)
            if kept:
                connection._sifa_fixed_cursor = cursor
        if type(cursor) is kept_class:
            cursor.lent = True
        if binary:
            cursor.format = binary_format
        connection.validate_thread_sharing()
        if connection.queries_logged:
            return debug_wrapper(cursor, connection)
        return connection.make_cursor(cursor)


def _set_timestamptz_loader(connection, cursor, raw, oid, text, register_tzloader) -> None:
    """The cursor's ``timestamptz`` loader: psycopg's own (compiled) when it gives exactly what
    Django's gives, else Django's.

    Django loads each ``timestamptz`` with a Python subclass of psycopg's Python loader that sets
    the connection's ``timezone`` on the value (``datetime.replace``): ≈ 12 µs a value, where
    psycopg's compiled loader takes 0.5 µs. The compiled loader gives the instant in the session's
    time zone (``TimeZone``, which Django sets to ``connection.timezone``'s name); when psycopg
    maps that zone to the very ``tzinfo`` Django would set (UTC: ``datetime.timezone.utc`` on both
    sides), the two give equal values with the same ``tzinfo`` object
    (:func:`sifa.core.postgresql_backend.base.gives_djangos_timestamps`). Sifa's backend registers
    the compiled one on the connection already, which the cursor inherits; on Django's own backend
    it is set here. Otherwise (another ``TIME_ZONE`` for the database, naive datetimes) Django's
    rule, as in its ``create_cursor``."""
    from psycopg.types.datetime import TimestamptzLoader

    from sifa.core.postgresql_backend.base import gives_djangos_timestamps

    if gives_djangos_timestamps(connection, raw):
        if raw is not getattr(connection, "_compiled_loader_on", None):
            cursor.adapters.register_loader(oid, TimestamptzLoader)  # the compiled one (psycopg_c)
    elif connection.timezone != getattr(raw.adapters.get_loader(oid, text), "timezone", _COMPILED):
        register_tzloader(connection.timezone, cursor)


_COMPILED = object()
"""The ``timezone`` of the connection's loader when it is psycopg's compiled one (it has none)."""


class Stale(Conflict):
    """A write prepared by :func:`deferred_writes` found its row changed since it was read (the
    case's ``row_version``, a clock's ``version``): the caller reads again and redoes the command
    (``workflow.services.dispatch``), or, out of attempts, answers the conflict ``application.stale``."""

    def __init__(self) -> None:
        super().__init__("application.stale", "该办件已被他人处理，请刷新后重试")


_PLAN: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar(
    "sifa_plan", default=None
)


@contextlib.contextmanager
def deferred_writes() -> Iterator[list[Callable[[], None]]]:
    """Collect the writes of :func:`write` instead of running them: the list of steps, in order,
    for the caller to run later in one transaction (a case command computes its rows before it
    takes SQLite's write lock and only writes under it: docs/workflow.md, "Case commands on SQLite").
    Each step checks the version of what it changes and raises :class:`Stale` if it moved."""
    plan: list[Callable[[], None]] = []
    token = _PLAN.set(plan)
    try:
        yield plan
    finally:
        _PLAN.reset(token)


def deferring() -> bool:
    """Whether writes are being collected (:func:`deferred_writes`), not run."""
    return _PLAN.get() is not None


def write(step: Callable[[], None]) -> None:
    """Run ``step`` (a service's statements, their values already prepared) now, or, inside
    :func:`deferred_writes`, add it to the plan."""
    plan = _PLAN.get()
    if plan is None:
        step()
    else:
        plan.append(step)
