"""The stored guide's body compressed with LZ4 and kept in the row (PostgreSQL).

Every uncached guide page (W2) reads one ``catalogue_guidepage`` row, whose body (≈ 13 kB of HTML)
PostgreSQL stored compressed with pglz (its default) and, at ≈ 4.5 kB compressed, moved out of the
row into the table's TOAST table: each read looked the chunks up in the TOAST index, fetched them
and decompressed them with pglz. With ``COMPRESSION lz4`` and ``STORAGE MAIN`` the compressed body
stays in the row (moved out only when the row would not fit in a page even compressed) and is
decompressed by LZ4: the same text, ≈ 9 µs less of the server's CPU per read (≈ 26 % of the row's
read; docs/performance.md, "session 13"). A server built without LZ4 keeps pglz; the body is kept in
the row all the same. The rows stored already are rewritten once so that they are stored the new
way. SQLite: nothing (it stores the text as it is).
"""

from django.db import migrations

TABLE = "catalogue_guidepage"

FORWARD = (
    f"ALTER TABLE {TABLE} ALTER COLUMN body SET STORAGE MAIN",
    # LZ4 where the server has it (PostgreSQL 14+ built with it), else pglz as before.
    f"""DO $$ BEGIN
        ALTER TABLE {TABLE} ALTER COLUMN body SET COMPRESSION lz4;
    EXCEPTION WHEN feature_not_supported THEN NULL;
    END $$""",
    # A new value (``||``) is compressed and placed by the column's new settings.
    f"UPDATE {TABLE} SET body = body || ''",
)
BACKWARD = (
    f"ALTER TABLE {TABLE} ALTER COLUMN body SET STORAGE EXTENDED",
    f"ALTER TABLE {TABLE} ALTER COLUMN body SET COMPRESSION DEFAULT",
)


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0008_item_listing_read_model"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
