"""The message log's DELETE guard honours the purge switch only for the table's owner.

Any PostgreSQL session can set the custom setting ``sifa.audit_purge``; the guard function now
also requires the current role to hold the owner's privileges (``sifa.audit.triggers``), and
pins its ``search_path``. Reinstalling replaces the function (SQLite is unchanged: its switch is
a function only Sifa's connections define).
"""

from django.db import migrations

from sifa.exchange import triggers


def reinstall(apps, schema_editor):
    triggers.uninstall(schema_editor.connection)
    triggers.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0003_message_log_triggers")]

    operations = [migrations.RunPython(reinstall, reinstall, elidable=False)]
