"""Which values a fixed statement (``sifa.core.db.FixedInsert``/``FixedUpdate``) hands the database
as they are, and which it prepares in one known step, instead of through their field's
``get_db_prep_save``: judged once per field and database from which classes' preparation steps the
field and the database's operations use (docs/performance.md, "session 9: W4, round 2")."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable

from django.conf import settings
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models.fields import AutoFieldMixin

NONE = type(None)


def _passing_types(field: models.Field, connection) -> tuple[type, ...]:
    """:func:`_plain_types`, and ``None`` where the field's preparation gives ``None`` back:
    a text, integer or key field that passes its own values (``to_python``/``get_prep_value`` give
    ``None`` for ``None``, as the operations' adaptation does), a nullable flag, a foreign key (its
    own first check), and a date, instant, address or JSON field prepared by Django's own steps
    on SQLite or PostgreSQL (whose ``adapt_…_value`` give ``None`` for ``None``; a ``JSONField``
    gives it back before any)."""
    kinds = _plain_types(field, connection)
    if isinstance(field, models.BooleanField):
        gives_none = bool(kinds) and field.null  # a flag that may not be empty refuses None
    else:
        gives_none = (
            bool(kinds)
            or _plain_foreign_key(field)
            or _plain_json(field)
            or (connection.vendor in ("sqlite", "postgresql") and (_plain_date(field) or _plain_other(field)))
        )
    return (*kinds, NONE) if gives_none else kinds


def _plain_types(field: models.Field, connection) -> tuple[type, ...]:
    """The value types (exact types: ``type(value) in …``) for which ``field.get_db_prep_save(value,
    connection)`` is ``value`` itself, judged from which classes' preparation steps the field
    uses (a field that overrides any step gets ``()``: every value prepared by the field):

    * ``str`` for a text field (:func:`_passes_text`);
    * ``bool`` for a ``BooleanField`` (``get_prep_value`` and ``to_python`` return ``True`` and
      ``False`` as they are);
    * ``int`` for an integer field whose database adapts integers as they are (SQLite; PostgreSQL
      wraps each in its column's integer type), and for an ``AutoField`` family primary key on
      any database (``validate_autopk_value`` returns the value; no adaptation);
    * a ``ForeignKey``: what its target field passes (it hands the value to the target's
      ``get_db_prep_save``)."""
    klass = type(field)
    if _passes_text(field):
        return (str,)
    if isinstance(field, models.ForeignKey):
        if klass.get_db_prep_save is not models.ForeignKey.get_db_prep_save:
            return ()
        target = field.target_field
        if not target.empty_strings_allowed or connection.features.interprets_empty_strings_as_nulls:
            return tuple(kind for kind in _plain_types(target, connection) if kind is not str)  # "" → NULL
        return _plain_types(target, connection)
    if klass.get_db_prep_save is not models.Field.get_db_prep_save:
        return ()
    if _plain_date(field) and connection.vendor == "postgresql":
        from django.db.backends.postgresql.operations import DatabaseOperations

        if type(connection.ops).adapt_datefield_value is DatabaseOperations.adapt_datefield_value:
            return (dt.date,)  # psycopg is given the date itself
    if isinstance(field, models.BooleanField):
        plain = (
            klass.get_db_prep_value is models.Field.get_db_prep_value
            and klass.get_prep_value is models.BooleanField.get_prep_value
            and klass.to_python is models.BooleanField.to_python
        )
        return (bool,) if plain else ()
    if isinstance(field, models.IntegerField) and klass.get_prep_value is models.IntegerField.get_prep_value:
        ops = type(connection.ops)
        if isinstance(field, AutoFieldMixin):
            plain = (
                klass.get_db_prep_value is AutoFieldMixin.get_db_prep_value
                and ops.validate_autopk_value is BaseDatabaseOperations.validate_autopk_value
            )
        else:
            plain = (
                klass.get_db_prep_value is models.IntegerField.get_db_prep_value
                and ops.adapt_integerfield_value is BaseDatabaseOperations.adapt_integerfield_value
            )
        return (int,) if plain else ()
    return ()


def _passes_text(field: models.Field) -> bool:
    """Whether ``field.get_db_prep_save(value, connection)`` is ``value`` itself for every ``str``:
    a ``CharField`` or ``TextField`` whose preparation steps are Django's own (``Field``'s save
    and database steps, then ``CharField``/``TextField``'s ``get_prep_value`` and ``to_python``,
    which return a string as it is)."""
    klass = type(field)
    for base in (models.CharField, models.TextField):
        if (
            isinstance(field, base)
            and klass.get_db_prep_save is models.Field.get_db_prep_save
            and klass.get_db_prep_value is models.Field.get_db_prep_value
            and klass.get_prep_value is base.get_prep_value
            and klass.to_python is base.to_python
        ):
            return True
    return False


def _plain_foreign_key(field: models.Field) -> bool:
    return isinstance(field, models.ForeignKey) and (
        type(field).get_db_prep_save is models.ForeignKey.get_db_prep_save  # None → None
    )


def _django_steps(field: models.Field, base: type[models.Field]) -> bool:
    """``field`` is a ``base`` whose preparation is Django's own: ``get_db_prep_save`` the
    generic one, ``get_db_prep_value``, ``get_prep_value`` and ``to_python`` those of ``base``."""
    klass = type(field)
    return (
        isinstance(field, base)
        and klass.get_db_prep_save is models.Field.get_db_prep_save
        and klass.get_db_prep_value is base.get_db_prep_value
        and klass.get_prep_value is base.get_prep_value
        and klass.to_python is base.to_python
    )


def _plain_date(field: models.Field) -> bool:
    """A ``DateField`` prepared by Django's own steps: a ``date`` (exact type) or ``None`` goes
    through ``to_python`` unchanged to ``connection.ops.adapt_datefield_value``."""
    return _django_steps(field, models.DateField)


def _plain_other(field: models.Field) -> bool:
    """A ``DateTimeField`` or ``GenericIPAddressField`` prepared by Django's own steps (which give
    ``None`` for ``None`` to the operations' adaptation)."""
    return any(_django_steps(field, base) for base in (models.DateTimeField, models.GenericIPAddressField))


def _plain_json(field: models.Field) -> bool:
    """A ``JSONField`` prepared by Django's own steps: ``None`` is given back as it is, a ``dict``
    or ``list`` (exact types: no expression, no lazy text) goes unchanged to
    ``connection.ops.adapt_json_value(value, field.encoder)``."""
    klass = type(field)
    return (
        isinstance(field, models.JSONField)
        and klass.get_db_prep_save is models.JSONField.get_db_prep_save
        and klass.get_db_prep_value is models.JSONField.get_db_prep_value
        and klass.get_prep_value is models.Field.get_prep_value
    )


_DATE_TEXTS: dict[dt.date, str] = {}


def date_text(value: dt.date) -> str:
    """``str(value)`` of a ``date`` (exact type), kept per date: ``date.isoformat`` formats through
    ``PyUnicode_FromFormat``, ≈ 3,000 instructions a call, and a case command writes and shows
    the same few dates again and again (its clocks' start, due and refresh dates). A ``date``
    cannot be changed; at 2,048 dates the memory starts again from empty."""
    text = _DATE_TEXTS.get(value)
    if text is None:
        if len(_DATE_TEXTS) >= 2048:
            _DATE_TEXTS.clear()
        text = _DATE_TEXTS[value] = str(value)
    return text


def _address(field: models.GenericIPAddressField, value: str) -> str | None:
    """``field.get_db_prep_save(value, connection)`` of a ``str`` where the operations' adaptation
    is the base one (``value or None``: SQLite): the field's ``get_prep_value`` (an IPv6 address
    cleaned, anything else ``str(value)``, the text itself), then that."""
    if ":" in value:
        return field.get_prep_value(value) or None
    return value or None


def _sqlite_adapt_instant() -> Callable:
    from sifa.core.sqlite_backend.base import DatabaseOperations

    return DatabaseOperations.adapt_datetimefield_value


def _sqlite_instant(value: dt.datetime) -> str | None:
    """``field.get_db_prep_save(value, connection)`` of an instant in UTC on SQLite (Sifa's
    backend, the database's ``TIME_ZONE`` unset, ``USE_TZ``): the field's steps give an aware
    value back as it is, then the operations write it naive in UTC —
    ``value.isoformat(" ")`` without "+00:00" (``sqlite_backend.DatabaseOperations``). None for
    any other instant: the field prepares it (a naive one is warned about and made aware)."""
    if value.tzinfo is dt.UTC and settings._wrapped.USE_TZ:
        return value.isoformat(" ")[:-6]
    return None


def _converters(field: models.Field, connection) -> dict[type, Callable]:
    """The value types (exact types) for which ``field.get_db_prep_save(value, connection)`` is one
    known step of the database's own operations, and that step: what the field's preparation
    ends in, without the steps before it that give the value back unchanged.

    * a ``date`` for a plain date field on a database whose ``adapt_datefield_value`` is Django's
      base one (SQLite): ``str(value)`` (:func:`date_text`, kept per date);
    * an instant (``datetime``) for a plain ``DateTimeField`` on SQLite: :func:`_sqlite_instant`,
      which gives None for an instant it does not write itself (the field then prepares it);
    * a ``str`` for a plain ``GenericIPAddressField`` where ``adapt_ipaddressfield_value`` is the
      base one (SQLite): :func:`_address`;
    * a ``dict`` or ``list`` for a plain ``JSONField``: ``json.dumps(value, cls=field.encoder)``
      where ``adapt_json_value`` is the base one (SQLite), ``Jsonb(value, dumps=…)`` with the
      dumps Django's PostgreSQL operations take (``get_json_dumps(encoder)``, cached) there."""
    ops = type(connection.ops)
    if _plain_date(field) and ops.adapt_datefield_value is BaseDatabaseOperations.adapt_datefield_value:
        return {dt.date: date_text}
    if (
        _django_steps(field, models.DateTimeField)
        and connection.vendor == "sqlite"
        and ops.adapt_datetimefield_value is _sqlite_adapt_instant()
        and connection.settings_dict.get("TIME_ZONE") is None
    ):
        return {dt.datetime: _sqlite_instant}
    if (
        _django_steps(field, models.GenericIPAddressField)
        and ops.adapt_ipaddressfield_value is BaseDatabaseOperations.adapt_ipaddressfield_value
    ):
        return {str: functools.partial(_address, field)}
    if not _plain_json(field):
        return {}
    if ops.adapt_json_value is BaseDatabaseOperations.adapt_json_value:
        dumps = functools.partial(json.dumps, cls=field.encoder)
        return {dict: dumps, list: dumps}
    if connection.vendor == "postgresql":
        from django.db.backends.postgresql import operations as postgresql

        if ops.adapt_json_value is postgresql.DatabaseOperations.adapt_json_value:
            jsonb, encoded = postgresql.Jsonb, postgresql.get_json_dumps(field.encoder)

            def adapted(value):
                return jsonb(value, dumps=encoded)

            return {dict: adapted, list: adapted}
    return {}
