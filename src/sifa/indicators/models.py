"""绩效考核 roll-ups: monthly SUBTREE figures per organisation, kept without a hot row.

* ``MonthlyFigures`` — one row per (organisation, month) holding the figures of the organisation
  *and its whole subtree* (a county, city, province, the ministry; a leaf — a 司法所 — only for a
  month with more than ``SIFA_INDICATORS_HOT_LEAF_FACTS`` facts, ADR 0010), so a dashboard reads
  one row for the organisation plus one per child and never scans facts (a cold leaf-month's few
  facts are read instead).
* ``PendingDelta`` — insert-only: what one command changed, for the leaf organisation and the
  month, written in the command's transaction. ``sifa roll-up-indicators`` (the scheduler, every
  minute) folds the deltas into the rows of the leaf and all its ancestors and deletes them;
  readers add the not-yet-folded deltas of the subtree, so figures are exact at any moment.
* ``Contribution`` — per fact (application, rating, rectification, complaint), what it last added,
  so a command records only the difference (and the rebuild recomputes all of them from facts).

Every column is a count or a sum; ratios are computed when read (``sifa.indicators.selectors``).
"""

from __future__ import annotations

from django.db import models

from sifa.core.db import PathField
from sifa.indicators.metrics import METRICS


def _metric_fields() -> dict[str, models.Field]:
    return {
        name: models.BigIntegerField(label, default=0, help_text=f"{label}（当月，含下级机构）")
        for name, label in METRICS
    }


FiguresBase = type(
    "FiguresBase",
    (models.Model,),
    {
        "__module__": __name__,
        "__doc__": "One count or sum column per metric (sifa.indicators.metrics.METRICS).",
        "Meta": type("Meta", (), {"abstract": True}),
        **_metric_fields(),
    },
)


class MonthlyFigures(FiguresBase):
    """The subtree figures of one organisation for one month (folded deltas)."""

    data_class = "internal"

    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="机构",
        on_delete=models.CASCADE,
        related_name="+",
        help_text="统计的机构：数字含该机构及其全部下级机构",
    )
    month = models.DateField("月份", help_text="统计月份（该月第一天，按北京时间划分）")
    updated_at = models.DateTimeField("更新时间", auto_now=True, help_text="最后一次归并增量的时间")
    revision = models.BigIntegerField(
        "修订号",
        default=0,
        help_text="每次归并增量加一（与数字同一语句）：仪表盘答案缓存据此判断是否仍然有效（ADR 0013）",
    )

    class Meta:
        verbose_name = "月度绩效汇总"
        verbose_name_plural = "月度绩效汇总"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month"], name="indicators_figures_unique")
        ]
        indexes = [models.Index(fields=["month", "organisation"], name="indicators_figures_month")]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.month:%Y-%m}"


class PendingDelta(FiguresBase):
    """What one command changed for a leaf organisation and month, not yet folded (insert-only)."""

    data_class = "internal"

    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="机构",
        on_delete=models.CASCADE,
        related_name="+",
        help_text="事实所属的机构（受理机构、被评价或被投诉的机构）",
    )
    path = PathField("机构路径", help_text="该机构的物化路径：读数时加上子树内尚未归并的增量")
    month = models.DateField("月份", help_text="事件发生的月份（该月第一天，按北京时间划分）")
    created_at = models.DateTimeField("时间", auto_now_add=True, help_text="写入增量的时间")

    class Meta:
        verbose_name = "待归并绩效增量"
        verbose_name_plural = "待归并绩效增量"
        indexes = [models.Index(fields=["month", "path"], name="indicators_delta_month_path")]

    def __str__(self) -> str:
        return f"Δ {self.organisation_id} {self.month:%Y-%m}"


class FactKind(models.TextChoices):
    APPLICATION = "application", "办件"
    RATING = "rating", "服务评价"
    RECTIFICATION = "rectification", "差评整改"
    COMPLAINT = "complaint", "投诉举报"
    CHECK = "check", "随机抽查"


class Contribution(models.Model):
    """What one fact last added to the figures: {"<organisation id>|<month>": {metric: n}}."""

    data_class = "internal"

    kind = models.CharField("事实类型", max_length=20, choices=FactKind.choices)
    fact_id = models.CharField("事实标识", max_length=64, help_text="办件、评价、整改或投诉的主键")
    figures = models.JSONField("计入的数字", default=dict, help_text="该事实当前计入各机构各月的数字")

    class Meta:
        verbose_name = "绩效计入记录"
        verbose_name_plural = "绩效计入记录"
        constraints = [
            models.UniqueConstraint(fields=["kind", "fact_id"], name="indicators_contribution_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.fact_id}"
