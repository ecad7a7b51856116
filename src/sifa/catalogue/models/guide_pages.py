"""The guide page's read model: the body of an entry's public 办事指南, rendered once.

One row per implementation entry, holding the HTML of the guide's 21 elements (with the links to
the law articles) as the page shows it to a visitor who has not answered the 情形 questions, and
the few facts the page's head needs. It records what it was rendered from — the entry's version
and the timestamps of entry, version and item, the names of the three organisations, the law
library's version and the code and settings that shape it (``fingerprint``) — and the page's one
query serves it only while all of them still hold (docs/catalogue.md, "Guide read model").
"""

from __future__ import annotations

from django.db import models


class GuidePage(models.Model):
    data_class = "public"

    entry = models.OneToOneField(
        "catalogue.ImplementationEntry",
        verbose_name="实施清单事项",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    version = models.ForeignKey(
        "catalogue.ItemVersion", verbose_name="事项版本", on_delete=models.CASCADE, related_name="+"
    )
    entry_updated_at = models.DateTimeField("实施清单更新时间")
    version_updated_at = models.DateTimeField("版本更新时间")
    item_updated_at = models.DateTimeField("事项更新时间")
    organisation_name = models.CharField("实施主体名称", max_length=100)
    accepting_name = models.CharField("受理机构名称", max_length=100)
    deciding_name = models.CharField("决定机构名称", max_length=100)
    library_version = models.PositiveBigIntegerField("法律法规库版本")
    fingerprint = models.CharField("模板与配置摘要", max_length=64)
    head = models.TextField("页头要素（JSON）")
    body = models.TextField("指南正文（HTML）")
    built_at = models.DateTimeField("生成时间", auto_now=True)

    class Meta:
        verbose_name = "办事指南页面"
        verbose_name_plural = "办事指南页面"

    def __str__(self) -> str:
        return f"{self.entry_id}（{self.built_at:%Y-%m-%d %H:%M}）"
