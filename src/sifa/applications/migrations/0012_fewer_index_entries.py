"""Fewer index entries per written case (docs/performance.md, "2026-12-07 (session 11): W4 on
PostgreSQL"): the own index of the case's ``status`` and ``applicant`` and of the timeline's
``application`` dropped (a composite index leads with each), the case's optional links and the
timeline's organisation indexed only where set, the case number's ``…_like`` index dropped
(PostgreSQL). The indexes are dropped as such: no foreign key is checked again, no table rebuilt.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from sifa.core import pattern_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_person_address"),
        ("applications", "0011_no_pattern_indexes"),
        ("catalogue", "0008_item_listing_read_model"),
        ("organisations", "0006_exchange_operator_role"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="application",
                    name="agent",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="GB/T 39046 表5 代理人：受申请人委托代为办理的账户",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="applications_as_agent",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="代理人",
                    ),
                ),
                migrations.AlterField(
                    model_name="application",
                    name="applicant",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="申请人（公民、法人或者其他组织，行政许可法第二十九条）的平台账户；窗口受理的申请人可以没有账户",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="applications",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="申请人账户",
                    ),
                ),
                migrations.AlterField(
                    model_name="application",
                    name="applicant_company",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="GB/T 39046 表5 申请者名称和统一社会信用代码（GB 32100）：申请人为法人或者其他组织时",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.legalperson",
                        verbose_name="申请人（法人）",
                    ),
                ),
                migrations.AlterField(
                    model_name="application",
                    name="applicant_person",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="GB/T 39046 表5 申请者名称、证件类型和证件号码：申请人为自然人时的实名信息",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.naturalperson",
                        verbose_name="申请人（自然人）",
                    ),
                ),
                migrations.AlterField(
                    model_name="application",
                    name="current_organisation",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="当前办理机构，例如由上级机关作出决定时；为空时即受理单位",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="organisations.organisation",
                        verbose_name="当前办理机构",
                    ),
                ),
                migrations.AlterField(
                    model_name="application",
                    name="mandate",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="代理人办理所依据的委托；委托撤销、到期或不再包含该事项后，代理人不能再办理",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.mandate",
                        verbose_name="委托",
                    ),
                ),
                migrations.AlterField(
                    model_name="application",
                    name="pickup_window",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="申请人选择领取办理结果的窗口所在机构（受理单位或其下级机构）；该窗口只在送达环节看到本办件；未选择的为空",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="organisations.organisation",
                        verbose_name="领取窗口",
                    ),
                ),
                migrations.AlterField(
                    model_name="application",
                    name="receiving_window",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="一窗受理：为来访申请人录入申请的窗口所在机构（可以是受理单位的下级机构）；该窗口只在受理和送达环节看到本办件；网上申请为空",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="organisations.organisation",
                        verbose_name="收件窗口",
                    ),
                ),
                migrations.AlterField(
                    model_name="application",
                    name="status",
                    field=models.CharField(
                        choices=[
                            ("draft", "草稿"),
                            ("submitted", "已提交（待预审）"),
                            ("correction_required", "待补正"),
                            ("pending_acceptance", "待受理"),
                            ("accepted", "已受理"),
                            ("not_accepted", "不予受理"),
                            ("in_review", "审查中"),
                            ("suspended", "中止（时限暂停）"),
                            ("approved", "准予许可"),
                            ("denied", "不予许可"),
                            ("delivered", "已送达"),
                            ("withdrawn", "已撤回"),
                        ],
                        default="draft",
                        help_text="办件状态：受理前由申请服务变更，受理后由办件流程变更；每次变更记入办理进程",
                        max_length=24,
                        verbose_name="状态",
                    ),
                ),
                migrations.AlterField(
                    model_name="application",
                    name="submitted_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="实际提交申请的账户：申请人本人、其代理人或窗口工作人员",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="提交人",
                    ),
                ),
                migrations.AlterField(
                    model_name="timelineentry",
                    name="application",
                    field=models.ForeignKey(
                        db_index=False,
                        help_text="所属办件",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="timeline",
                        to="applications.application",
                        verbose_name="办件",
                    ),
                ),
                migrations.AlterField(
                    model_name="timelineentry",
                    name="organisation",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="办理该步骤的机构",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="organisations.organisation",
                        verbose_name="办理机构",
                    ),
                ),
            ],
            database_operations=[
                pattern_indexes.drop_own_index(
                    "applications",
                    "Application",
                    (
                        "agent",
                        "applicant",
                        "applicant_company",
                        "applicant_person",
                        "current_organisation",
                        "mandate",
                        "pickup_window",
                        "receiving_window",
                        "status",
                        "submitted_by",
                    ),
                ),
                pattern_indexes.drop_own_index(
                    "applications", "TimelineEntry", ("application", "organisation")
                ),
            ],
        ),
        pattern_indexes.drop("applications", "Application", ("number",)),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("applicant_person__isnull", False)),
                fields=["applicant_person"],
                name="app_applicant_person_set",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("applicant_company__isnull", False)),
                fields=["applicant_company"],
                name="app_applicant_company_set",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("submitted_by__isnull", False)),
                fields=["submitted_by"],
                name="app_submitted_by_set",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("agent__isnull", False)), fields=["agent"], name="app_agent_set"
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("mandate__isnull", False)), fields=["mandate"], name="app_mandate_set"
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("current_organisation__isnull", False)),
                fields=["current_organisation"],
                name="app_current_organisation_set",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("receiving_window__isnull", False)),
                fields=["receiving_window"],
                name="app_receiving_window_set",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("pickup_window__isnull", False)),
                fields=["pickup_window"],
                name="app_pickup_window_set",
            ),
        ),
        migrations.AddIndex(
            model_name="timelineentry",
            index=models.Index(
                condition=models.Q(("organisation__isnull", False)),
                fields=["organisation"],
                name="timeline_organisation_set",
            ),
        ),
    ]
