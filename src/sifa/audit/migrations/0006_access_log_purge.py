"""The personal-data access log's retention purge (PostgreSQL: the owner's SECURITY DEFINER function).

Like the audit trail's: it deletes only a chained prefix older than the legal minimum whose end an
``audit.access_purged`` event in the audit chain has recorded (``sifa.audit.triggers``). SQLite
needs nothing new: its purge switch already covers the access log.
"""

from django.db import migrations

from sifa.audit import triggers


def install(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        triggers.run_for_vendor(
            connection,
            {"postgresql": triggers._postgresql_install(connection)[-len(triggers.POSTGRESQL_ACCESS_PURGE) :]},
            "access-log purge function",
        )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP FUNCTION IF EXISTS {triggers.ACCESS_PURGE_FUNCTION}(bigint)")


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0005_access_log_chain"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]
