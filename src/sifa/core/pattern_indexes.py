"""PostgreSQL's second index of an indexed text column, dropped where no query needs it.

For a ``CharField`` with ``db_index=True`` or ``unique=True`` Django creates on PostgreSQL, besides
the column's index, a ``…_like`` index with the ``varchar_pattern_ops`` operator class, which only
``LIKE 'prefix%'`` needs (outside the C collation). Every row inserted, and every row updated
without a HOT update, enters both. On the tables a workflow command writes every time (the audit
trail, the case, its clocks) no query needs them: they compare those columns with ``=``, a
``PathField`` has the C collation (its plain index serves a prefix ``LIKE``) and the subtree lookup
is a range (docs/performance.md, "2026-12-07 (session 10): W4 on PostgreSQL"). :func:`drop` is the
migration operation that drops them; SQLite has no such index and is left as it is.

Django creates such an index again if a later migration changes the column's type or turns its
index on anew; ``core/tests/test_pattern_indexes.py`` fails then.

Session 11 dropped the case's ``number`` one as well (no query matches a case number by pattern but
the generator's, which matches every case), and turned off the own index of the case's ``status``
and the clocks' ``warning_level`` (a composite index serves the first; no query reads the second):
Django drops their ``…_like`` index with it, so they left :data:`WITHOUT`. Each migration names the
columns it drops, so this list can change without changing what an earlier migration did.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

WITHOUT = {
    ("audit", "AuditEvent"): ("action", "object_id", "scope_path", "hash"),
    ("applications", "Application"): ("scope_path", "number"),
    ("deadlines", "ClockState"): ("scope_path",),
}
"""The columns whose ``…_like`` index is dropped (and whose own index is kept), by model."""


def _indexes(schema_editor: Any, model: Any, fields: tuple[str, ...]) -> list[tuple[Any, str]]:
    found = []
    for name in fields:
        field = model._meta.get_field(name)
        index = schema_editor._create_index_name(model._meta.db_table, [field.column], suffix="_like")
        found.append((field, index))
    return found


def _dropper(app_label: str, model_name: str, fields: tuple[str, ...]) -> Any:
    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = apps.get_model(app_label, model_name)
        for _field, index in _indexes(schema_editor, model, fields):
            schema_editor.execute(schema_editor._delete_index_sql(model, index))

    return forwards


def drop(app_label: str, model_name: str, fields: tuple[str, ...]) -> migrations.RunPython:
    """The operation dropping the ``…_like`` indexes of ``fields`` of one model (PostgreSQL only);
    reversed, it creates them as Django did."""

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = apps.get_model(app_label, model_name)
        for field, _index in _indexes(schema_editor, model, fields):
            schema_editor.execute(schema_editor._create_like_index_sql(model, field))

    return migrations.RunPython(_dropper(app_label, model_name, fields), backwards, elidable=False)


def drop_own_index(app_label: str, model_name: str, fields: tuple[str, ...]) -> migrations.RunPython:
    """The database side of an ``AlterField`` that turns a field's own index off (``db_index``
    ``True`` → ``False``): ``DROP INDEX IF EXISTS`` of the index Django named for it, on every
    database. Django's own ``AlterField`` would, for a foreign key, drop and re-add its constraint
    (a check of every row, twice per field, on PostgreSQL) and rebuild the table on SQLite; neither
    is needed to drop an index. Reversed, it creates the index as Django did, without a ``…_like``
    one (an earlier :func:`drop` removed it). Use it as ``SeparateDatabaseAndState``'s database
    operation."""

    def names(apps: Any, schema_editor: Any) -> list[tuple[Any, Any, str]]:
        model = apps.get_model(app_label, model_name)
        found = []
        for name in fields:
            field = model._meta.get_field(name)
            found.append(
                (model, field, schema_editor._create_index_name(model._meta.db_table, [field.column]))
            )
        return found

    def forwards(apps: Any, schema_editor: Any) -> None:
        for _model, _field, index in names(apps, schema_editor):
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index)}")

    def backwards(apps: Any, schema_editor: Any) -> None:
        for model, field, index in names(apps, schema_editor):
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field], name=index))

    return migrations.RunPython(forwards, backwards, elidable=False)


def fillfactor(table: str, percent: int) -> migrations.RunPython:
    """PostgreSQL: ``ALTER TABLE … SET (fillfactor = percent)`` — pages written from now on keep
    ``100 - percent`` % free, so an update that changes no indexed column can put the row's new
    version on the same page (a HOT update: no index entry). Pages already full get the room as
    rows leave them (``VACUUM FULL`` or ``CLUSTER`` rewrite them at once). Reversed, ``RESET``.
    SQLite has no such setting: nothing changes there."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"ALTER TABLE {schema_editor.quote_name(table)} SET (fillfactor = {int(percent)})"
            )

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} RESET (fillfactor)")

    return migrations.RunPython(forwards, backwards, elidable=False)
