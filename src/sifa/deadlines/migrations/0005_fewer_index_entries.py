"""The clocks' ``due_on`` and ``warning_level`` no longer indexed — no query reads clocks by them
(the worklists read the work items' copies) — so a command or the daily refresh that changes only
the derived columns updates a clock in place (HOT, PostgreSQL), with room kept on each page for it
(``fillfactor`` 80). Docs/performance.md, "2026-12-07 (session 11): W4 on PostgreSQL".
"""

from django.db import migrations, models

from sifa.core import pattern_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("deadlines", "0004_no_pattern_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="clockstate",
                    name="due_on",
                    field=models.DateField(blank=True, null=True, verbose_name="截止日期"),
                ),
                migrations.AlterField(
                    model_name="clockstate",
                    name="warning_level",
                    field=models.CharField(
                        choices=[("green", "正常"), ("yellow", "临期"), ("red", "超期")],
                        default="green",
                        max_length=10,
                        verbose_name="预警等级",
                    ),
                ),
            ],
            database_operations=[
                pattern_indexes.drop_own_index("deadlines", "ClockState", ("due_on", "warning_level")),
            ],
        ),
        pattern_indexes.fillfactor("deadlines_clockstate", 80),
    ]
