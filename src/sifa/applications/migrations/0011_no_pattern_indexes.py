"""PostgreSQL: the ``…_like`` indexes of Application's text columns dropped — no query needs them, and
each one was entered on every write of a workflow command (``sifa.core.pattern_indexes``). SQLite
has none: nothing changes there.
"""

from django.db import migrations

from sifa.core import pattern_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0010_partner_consent_scope"),
    ]

    operations = [
        pattern_indexes.drop("applications", "Application", ("status", "scope_path")),
    ]
