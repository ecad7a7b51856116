"""The search column and its full-text index: FTS5 on SQLite, a GIN index on PostgreSQL.

See ``sifa.catalogue.search`` for why the words are segmented in the application.
"""

from django.db import migrations, models

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS catalogue_item_fts USING fts5(search_text, tokenize='unicode61')",
    "INSERT INTO catalogue_item_fts (rowid, search_text) SELECT id, search_text FROM catalogue_catalogueitem",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS catalogue_item_fts"]
POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS catalogue_item_search_gin ON catalogue_catalogueitem "
    "USING GIN (to_tsvector('simple', search_text))"
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS catalogue_item_search_gin"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="catalogueitem",
            name="search_text",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="jieba-segmented words, space-joined (sifa.catalogue.search); maintained by services",
                verbose_name="检索词",
            ),
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
