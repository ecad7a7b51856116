"""The audit chain's lock and head in one statement (PostgreSQL: ``sifa_audit_chain_head()``).

An append took the chain's advisory lock and then read the head, two statements and two round
trips on every audited command; the function does both, the head read after the lock is held
(``sifa.audit.triggers.POSTGRESQL_CHAIN_HEAD``). SQLite needs nothing: its write lock is taken by
``BEGIN IMMEDIATE``.
"""

from django.db import migrations

from sifa.audit import triggers


def install(apps, schema_editor):
    triggers.install_chain_head(schema_editor.connection)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP FUNCTION IF EXISTS {triggers.CHAIN_HEAD_FUNCTION}()")


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0006_access_log_purge"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]
