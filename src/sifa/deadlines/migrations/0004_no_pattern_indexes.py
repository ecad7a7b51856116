"""PostgreSQL: the ``…_like`` indexes of ClockState's text columns dropped — no query needs them, and
each one was entered on every write of a workflow command (``sifa.core.pattern_indexes``). SQLite
has none: nothing changes there.
"""

from django.db import migrations

from sifa.core import pattern_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("deadlines", "0003_calendar_notice"),
    ]

    operations = [
        pattern_indexes.drop("deadlines", "ClockState", ("scope_path", "warning_level")),
    ]
