"""Fewer index entries per written work item (docs/performance.md, "2026-12-07 (session 11): W4
on PostgreSQL"): the own index of ``application`` dropped (``workitem_case`` leads with it), the
clock and the completing user indexed only where set (an open item has no one), and room on each
page of the process instances (``fillfactor`` 90), updated in place by the suspend command.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from sifa.core import pattern_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0012_fewer_index_entries"),
        ("deadlines", "0005_fewer_index_entries"),
        ("organisations", "0006_exchange_operator_role"),
        ("workflow", "0005_help_text_quotes_the_standards"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="workitem",
                    name="application",
                    field=models.ForeignKey(
                        db_index=False,
                        help_text="GB/T 39046 表7 事项办理: the case this 环节 belongs to (办件编号)",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="work_items",
                        to="applications.application",
                        verbose_name="办件",
                    ),
                ),
                migrations.AlterField(
                    model_name="workitem",
                    name="clock",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The stage sub-clock (or the legal clock) the due date comes from",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="deadlines.clockstate",
                        verbose_name="时限",
                    ),
                ),
                migrations.AlterField(
                    model_name="workitem",
                    name="completed_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="GB/T 39046 表7 环节处理人 (empty: the system, e.g. 行政许可法 §32 deemed acceptance)",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="办理人",
                    ),
                ),
            ],
            database_operations=[
                pattern_indexes.drop_own_index(
                    "workflow", "WorkItem", ("application", "clock", "completed_by")
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(
                condition=models.Q(("clock__isnull", False)), fields=["clock"], name="workitem_clock_set"
            ),
        ),
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(
                condition=models.Q(("completed_by__isnull", False)),
                fields=["completed_by"],
                name="workitem_completed_by_set",
            ),
        ),
        pattern_indexes.fillfactor("workflow_processinstance", 90),
    ]
