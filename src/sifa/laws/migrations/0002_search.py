"""The article full-text index: FTS5 on SQLite; on PostgreSQL a stored, generated ``search_vector``
(title words weighted A, text B) with a GIN index (see ``sifa.laws.search``). Django does not know
the column: only the search's raw SQL reads it, and the database fills it."""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS laws_article_fts USING fts5(title, body, tokenize='unicode61')",
    "INSERT INTO laws_article_fts (rowid, title, body) SELECT id, title_words, search_text FROM laws_article",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS laws_article_fts"]
POSTGRES_FORWARD = [
    # A stored vector: ranking thousands of hits must not re-segment each row's text.
    "ALTER TABLE laws_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(setweight(to_tsvector('simple', title_words), 'A') || setweight(to_tsvector('simple', search_text), 'B')) "
    "STORED",
    "CREATE INDEX IF NOT EXISTS laws_article_search_gin ON laws_article USING GIN (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS laws_article_search_gin",
    "ALTER TABLE laws_article DROP COLUMN IF EXISTS search_vector",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("laws", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
