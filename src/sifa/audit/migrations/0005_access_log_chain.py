"""The personal-data access log chained and append-only; the purge switch for the owner only.

Adds the chain columns, chains the rows already there (in ``id`` order, the order chaining will
go on in), and installs the triggers of ``sifa.audit.triggers`` again: on PostgreSQL the guard
that lets DELETE/TRUNCATE through only for the tables' owner and the retention purge function;
on both, an access log whose rows may not be deleted and whose chain columns are set once. SQLite
rebuilds the table for the unique column and drops its triggers, so they are installed after.
"""

from django.db import migrations, models

from sifa.audit import triggers
from sifa.audit.services.access import chain_pending


def chain_and_guard(apps, schema_editor):
    connection = schema_editor.connection
    triggers.uninstall(connection)  # the old access-log trigger refuses every UPDATE
    chain_pending(model=apps.get_model("audit", "PersonalDataAccess"), using=connection.alias)
    triggers.install(connection)


def unguard(apps, schema_editor):
    triggers.uninstall(schema_editor.connection)
    triggers.install(schema_editor.connection, sqlite_v1=True)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_tracker_columns'),
    ]

    operations = [
        migrations.AddField(
            model_name='personaldataaccess',
            name='hash',
            field=models.CharField(blank=True, default='', max_length=64, verbose_name='哈希'),
        ),
        migrations.AddField(
            model_name='personaldataaccess',
            name='prev_hash',
            field=models.CharField(blank=True, default='', max_length=64, verbose_name='前一哈希'),
        ),
        migrations.AddField(
            model_name='personaldataaccess',
            name='seq',
            field=models.BigIntegerField(blank=True, help_text="Position in the access log's hash chain; empty until chaining (at most a minute).", null=True, unique=True, verbose_name='链序号'),
        ),
        migrations.RunPython(chain_and_guard, unguard, elidable=False),
    ]
