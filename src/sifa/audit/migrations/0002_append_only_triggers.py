"""Append-only audit trail: triggers refusing UPDATE/DELETE of audit events (等保 2.0 安全审计 c).

The SQL is in ``sifa.audit.triggers`` (PostgreSQL: a plpgsql trigger function; SQLite:
``BEFORE UPDATE/DELETE ... RAISE(ABORT, ...)``).
"""

from django.db import migrations

from sifa.audit import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor.connection, sqlite_v1=True)


def uninstall(apps, schema_editor):
    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
