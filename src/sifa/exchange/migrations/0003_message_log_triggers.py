"""The message log refuses UPDATE of its evidence and DELETE (docs/exchange.md, "Database triggers").

The SQL is in ``sifa.exchange.triggers`` (PostgreSQL: a plpgsql trigger function; SQLite:
``BEFORE UPDATE/DELETE … RAISE(ABORT, …)``).
"""

from django.db import migrations

from sifa.exchange import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0002_outbox")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
