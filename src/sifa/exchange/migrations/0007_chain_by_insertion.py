"""The message log's chain in its own insert-only table (ADR 0023).

Chaining used to fill ``seq``, ``prev_hash`` and ``hash`` of each log row with an ``UPDATE``; on
PostgreSQL that update could not be HOT (``seq`` is indexed): a second version of the whole row,
an entry in each of its indexes and their WAL, per message. Now a batch inserts one
``exchange_messagelink`` row per message and never touches the log's row.

1. The log's guard triggers are lifted (they name the chain columns; SQLite rebuilds the table
   to drop the unique ``seq``, and its triggers with it).
2. ``MessageLink`` is created and filled: every chained row's ``seq``, ``prev_hash`` and ``hash``
   as they are (the chain, its hashes and the anchors written of it are unchanged), then every row
   still waiting is chained after the head, in id order, as ``chain_pending`` did. From here on a
   batch chains the rows with an id above the largest id chained; chaining the waiting ones here
   leaves none below it.
3. The three columns go, and the triggers are put back: the log's (only ``status`` may change)
   and the link table's (no ``UPDATE``, no ``DELETE`` outside ``flush``).
"""

import django.db.models.deletion
from django.db import migrations, models

from sifa.audit.hashing import GENESIS_HASH
from sifa.exchange import triggers
from sifa.exchange.chain import row_hash

BATCH = 2000


def lift_log_triggers(apps, schema_editor):
    triggers.uninstall(schema_editor.connection)


def install_log_triggers(apps, schema_editor):
    triggers.install(schema_editor.connection)


def install_all_triggers(apps, schema_editor):
    triggers.install(schema_editor.connection)
    triggers.install_links(schema_editor.connection)


def lift_all_triggers(apps, schema_editor):
    triggers.uninstall_links(schema_editor.connection)
    triggers.uninstall(schema_editor.connection)


def move_chain_to_links(apps, schema_editor):
    message = apps.get_model("exchange", "ExchangeMessage")
    link = apps.get_model("exchange", "MessageLink")
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"INSERT INTO {quote(link._meta.db_table)} (seq, message_id, prev_hash, hash) "  # noqa: S608
        f"SELECT seq, id, prev_hash, hash FROM {quote(message._meta.db_table)} WHERE seq IS NOT NULL"
    )
    head = link.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev = head if head else (0, GENESIS_HASH)
    waiting = message.objects.filter(seq__isnull=True).order_by("id")
    links = []
    for row in waiting.iterator(chunk_size=BATCH):
        seq += 1
        digest = row_hash(prev, row, seq)
        links.append(link(seq=seq, message_id=row.pk, prev_hash=prev, hash=digest))
        prev = digest
    link.objects.bulk_create(links, batch_size=BATCH)


def move_links_back(apps, schema_editor):
    message = apps.get_model("exchange", "ExchangeMessage")
    for seq, message_id, prev_hash, digest in apps.get_model("exchange", "MessageLink").objects.values_list(
        "seq", "message_id", "prev_hash", "hash"
    ):
        message.objects.filter(pk=message_id).update(seq=seq, prev_hash=prev_hash, hash=digest)


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0006_message_log_fewer_index_writes"),
    ]

    operations = [
        migrations.RunPython(lift_log_triggers, install_log_triggers, elidable=False),
        migrations.CreateModel(
            name="MessageLink",
            fields=[
                ("seq", models.BigIntegerField(primary_key=True, serialize=False, verbose_name="链序号")),
                ("prev_hash", models.CharField(max_length=64, verbose_name="前一哈希")),
                ("hash", models.CharField(max_length=64, verbose_name="哈希")),
                (
                    "message",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="link",
                        to="exchange.exchangemessage",
                        verbose_name="消息",
                    ),
                ),
            ],
            options={
                "verbose_name": "消息链节",
                "verbose_name_plural": "消息链节",
                "ordering": ("seq",),
            },
        ),
        migrations.RunPython(move_chain_to_links, move_links_back, elidable=False),
        migrations.RemoveField(model_name="exchangemessage", name="seq"),
        migrations.RemoveField(model_name="exchangemessage", name="prev_hash"),
        migrations.RemoveField(model_name="exchangemessage", name="hash"),
        migrations.RunPython(install_all_triggers, lift_all_triggers, elidable=False),
    ]
