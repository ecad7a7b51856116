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
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

WITHOUT = {
    ("audit", "AuditEvent"): ("action", "object_id", "scope_path", "hash"),
    ("applications", "Application"): ("status", "scope_path"),
    ("deadlines", "ClockState"): ("scope_path", "warning_level"),
}
"""The columns whose ``…_like`` index is dropped, by model."""


def _indexes(schema_editor: Any, model: Any) -> list[tuple[Any, str]]:
    fields = WITHOUT[(model._meta.app_label, model._meta.object_name)]
    found = []
    for name in fields:
        field = model._meta.get_field(name)
        index = schema_editor._create_index_name(model._meta.db_table, [field.column], suffix="_like")
        found.append((field, index))
    return found


def drop(app_label: str, model_name: str) -> migrations.RunPython:
    """The operation dropping the ``…_like`` indexes of :data:`WITHOUT` for one model (PostgreSQL
    only); reversed, it creates them as Django did."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = apps.get_model(app_label, model_name)
        for _field, index in _indexes(schema_editor, model):
            schema_editor.execute(schema_editor._delete_index_sql(model, index))

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = apps.get_model(app_label, model_name)
        for field, _index in _indexes(schema_editor, model):
            schema_editor.execute(schema_editor._create_like_index_sql(model, field))

    return migrations.RunPython(forwards, backwards, elidable=False)
