"""Fewer index writes per message-log row (ADR 0018).

* ``exchange_message_once`` (unique ``(sender, message_id)`` where ``copy_number = 0``) goes: the
  unique ``(sender, message_id, copy_number)`` of ``exchange_message_copy_once`` is the same rule
  for the first copies, and serves the same lookups.
* ``correlation_id`` and ``case_number`` are indexed only where they are set (a request has no
  correlation id; most messages, and all of W9's, no case number): partial indexes instead of the
  full ones. The full indexes are dropped by name, not by ``AlterField``: on SQLite that would
  rebuild the whole log (twice), and its triggers with it.
"""

from django.db import migrations, models

COLUMNS = ("correlation_id", "case_number")
PARTIAL = ("exchange_msg_correlation", "exchange_msg_case")


def _full_indexes(schema_editor, table, column):
    with schema_editor.connection.cursor() as cursor:
        found = schema_editor.connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in found.items()
        if info["index"]
        and not info["unique"]
        and not info["primary_key"]
        and info["columns"] == [column]
        and name not in PARTIAL
    ]


def drop_full_indexes(apps, schema_editor):
    model = apps.get_model("exchange", "ExchangeMessage")
    table = model._meta.db_table
    for column in COLUMNS:
        # On PostgreSQL ``case_number`` also had its ``varchar_pattern_ops`` ("…_like") index.
        for name in _full_indexes(schema_editor, table, column):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_full_indexes(apps, schema_editor):
    model = apps.get_model("exchange", "ExchangeMessage")
    for column in COLUMNS:
        field = model._meta.get_field(column)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))
        like = (
            schema_editor._create_like_index_sql(model, field)
            if hasattr(schema_editor, "_create_like_index_sql")
            else None
        )
        if like is not None:
            schema_editor.execute(like)


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0005_resigned_copies_logged"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="exchangemessage",
            name="exchange_message_once",
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="exchangemessage",
                    name="case_number",
                    field=models.CharField(blank=True, max_length=60, verbose_name="案件/办件编号"),
                ),
                migrations.AlterField(
                    model_name="exchangemessage",
                    name="correlation_id",
                    field=models.UUIDField(blank=True, null=True, verbose_name="关联消息标识"),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_full_indexes, create_full_indexes, elidable=False)
            ],
        ),
        migrations.AddIndex(
            model_name="exchangemessage",
            index=models.Index(
                condition=models.Q(("correlation_id__isnull", False)),
                fields=["correlation_id"],
                name="exchange_msg_correlation",
            ),
        ),
        migrations.AddIndex(
            model_name="exchangemessage",
            index=models.Index(
                condition=models.Q(("case_number", ""), _negated=True),
                fields=["case_number"],
                name="exchange_msg_case",
            ),
        ),
    ]
