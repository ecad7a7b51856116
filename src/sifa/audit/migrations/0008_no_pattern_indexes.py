"""PostgreSQL: the ``…_like`` indexes of AuditEvent's text columns dropped — no query needs them, and
each one was entered on every write of a workflow command (``sifa.core.pattern_indexes``). SQLite
has none: nothing changes there.
"""

from django.db import migrations

from sifa.core import pattern_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0007_chain_head_function"),
    ]

    operations = [
        pattern_indexes.drop("audit", "AuditEvent", ("action", "object_id", "scope_path", "hash")),
    ]
