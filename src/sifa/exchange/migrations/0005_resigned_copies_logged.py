"""Every copy the relay signs again for a retry is logged (ADR 0009): ``copy_number``.

The replay window stays one message id per sender, on the first copies (``copy_number = 0``); the
copies signed again are numbered 1, 2, … under the same id. ``copy_number`` is evidence: the
triggers are reinstalled so that SQLite's (which name the evidence columns, and which a table
rebuild drops) refuse an update of it too.
"""

from django.db import migrations, models

from sifa.exchange import triggers


def reinstall(apps, schema_editor):
    triggers.uninstall(schema_editor.connection)
    triggers.install(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('exchange', '0004_purge_switch_owner_only'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='exchangemessage',
            name='exchange_message_once',
        ),
        migrations.AddField(
            model_name='exchangemessage',
            name='copy_number',
            field=models.PositiveSmallIntegerField(default=0, help_text='0: the message as first signed; n: the n-th copy the relay signed again for a retry (same message id and content, a fresh timestamp; ADR 0009)', verbose_name='重签副本序号'),
        ),
        migrations.AddConstraint(
            model_name='exchangemessage',
            constraint=models.UniqueConstraint(condition=models.Q(('copy_number', 0)), fields=('sender', 'message_id'), name='exchange_message_once'),
        ),
        migrations.AddConstraint(
            model_name='exchangemessage',
            constraint=models.UniqueConstraint(fields=('sender', 'message_id', 'copy_number'), name='exchange_message_copy_once'),
        ),
        migrations.RunPython(reinstall, reinstall, elidable=False),
    ]
