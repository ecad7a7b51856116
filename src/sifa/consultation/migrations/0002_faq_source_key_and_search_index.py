"""The starter entries' stable key (``sifa load-faq``) and the knowledge base's full-text index.

PostgreSQL gets a GIN index on ``to_tsvector('simple', search_text)`` of the published entries
(``sifa.consultation.selectors.faq``); SQLite matches the space-padded words with ``LIKE`` over the
published entries, which is enough for a development database.
"""

from django.db import migrations, models

POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS consultation_faq_search_gin ON consultation_faq "
    "USING GIN (to_tsvector('simple', search_text)) WHERE status = 'published'"
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS consultation_faq_search_gin"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("consultation", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="faq",
            name="source_key",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="Stable key of a starter entry (data/faq.json, `sifa load-faq`); empty for the consultants' own",
                max_length=60,
                verbose_name="内置条目标识",
            ),
        ),
        migrations.AddConstraint(
            model_name="faq",
            constraint=models.UniqueConstraint(
                condition=models.Q(("source_key", ""), _negated=True), fields=("source_key",), name="faq_source_key_once"
            ),
        ),
        migrations.RunPython(_run({"postgresql": POSTGRES_FORWARD}), _run({"postgresql": POSTGRES_BACKWARD})),
    ]
