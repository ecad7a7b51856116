"""实施清单事项: one row per (basic catalogue item × implementing organisation)."""

from __future__ import annotations

from django.db import models

from sifa.catalogue.models.codes import EntryStatus, ExerciseLevel, ImplementerNature, TimeUnit


class ImplementationEntry(models.Model):
    """How one organisation implements an item: its 实施编码, who accepts and decides, where and when.

    The entry follows the item's current published version (``version`` is updated on every
    publish); per-entry time limits override the version's only when set.
    """

    data_class = "public"

    implementation_code = models.CharField(
        "实施编码",
        max_length=50,
        unique=True,
        help_text="实施主体统一社会信用代码(18) + 行使层级(1) + 基本编码 (standards.md §1.3); varchar(50)",
    )
    item = models.ForeignKey(
        "catalogue.CatalogueItem",
        verbose_name="事项",
        on_delete=models.PROTECT,
        related_name="implementations",
    )
    version = models.ForeignKey(
        "catalogue.ItemVersion",
        verbose_name="当前版本",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The published version the entry currently implements",
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="实施主体",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="GB/T 39046 表4 实施主体 (+代码, GB 32100)",
    )
    exercise_level = models.CharField("行使层级", max_length=1, choices=ExerciseLevel.choices)
    implementer_nature = models.CharField(
        "实施主体性质", max_length=1, choices=ImplementerNature.choices, default=ImplementerNature.STATUTORY
    )
    accepting_organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="受理机构", on_delete=models.PROTECT, related_name="+"
    )
    deciding_organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="决定机构", on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "organisations.Region",
        verbose_name="服务区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The implementing organisation's region; empty = the whole country",
    )
    legal_limit_value = models.PositiveIntegerField("法定办结时限（本级）", null=True, blank=True)
    legal_limit_unit = models.CharField("法定时限单位", max_length=12, choices=TimeUnit.choices, blank=True)
    promised_limit_value = models.PositiveIntegerField("承诺办结时限（本级）", null=True, blank=True)
    promised_limit_unit = models.CharField(
        "承诺时限单位", max_length=12, choices=TimeUnit.choices, blank=True
    )
    place = models.CharField("办理地点", max_length=300, blank=True, help_text="TRANSACT_ADDR")
    office_hours = models.CharField(
        "办理时间", max_length=200, blank=True, help_text="TRANSACT_TIME; empty = version"
    )
    consultation_phone = models.CharField("咨询电话", max_length=50, blank=True, help_text="empty = version")
    complaint_phone = models.CharField("监督投诉电话", max_length=50, blank=True, help_text="empty = version")
    channels = models.JSONField(
        "其他渠道", default=dict, blank=True, help_text="NET_CONSULT_WAY, CONSULT_MAIL, NET_COMPLAIN_WAY, …"
    )
    online_url = models.CharField("网办地址", max_length=500, blank=True, help_text="ONLINE_HANDLE_URL")
    status = models.CharField("状态", max_length=12, choices=EntryStatus.choices, default=EntryStatus.ACTIVE)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True, db_index=True)

    class Meta:
        verbose_name = "实施清单事项"
        verbose_name_plural = "实施清单事项"
        ordering = ["implementation_code"]
        constraints = [
            models.UniqueConstraint(fields=["item", "organisation"], name="catalogue_entry_item_org_unique")
        ]
        indexes = [
            # "Services for my county": the region's ancestor chain, then these rows.
            models.Index(fields=["region", "status", "item"], name="catalogue_entry_region"),
            models.Index(fields=["organisation", "status"], name="catalogue_entry_org"),
        ]

    def __str__(self) -> str:
        return self.implementation_code
