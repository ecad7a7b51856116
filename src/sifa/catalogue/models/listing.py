"""The public list's read model: one row per listed item (an item with a published version) holding
that item's entry of ``GET /api/v1/catalogue/items/`` as ready JSON, plus the columns the list
filters and orders on. Written only by ``sifa.catalogue.services.listing``, inside the command that
changed what the entry shows (docs/catalogue.md, "The list's read model")."""

from __future__ import annotations

from django.db import models


class ItemListing(models.Model):
    """事项目录列表的预生成条目（公开列表读模型，由目录服务维护）."""

    data_class = "public"

    item = models.OneToOneField(
        "catalogue.CatalogueItem",
        verbose_name="事项",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="listing",
    )
    # Copies of the item's columns the list filters on (same names and types as CatalogueItem, so
    # ``selectors.filter_items`` applies the same lookups to either table).
    basic_code = models.CharField("基本编码", max_length=50, unique=True)
    name = models.CharField("事项名称", max_length=200)
    item_type = models.CharField("事项类型", max_length=2)
    exercise_levels = models.JSONField("行使层级", default=list)
    topics = models.JSONField("服务主题", default=list)
    updated_at = models.DateTimeField("更新时间", db_index=True)
    body = models.TextField(
        "列表条目JSON", help_text="The item's object in the list body, rendered as the API renders it"
    )

    class Meta:
        verbose_name = "事项目录列表条目"
        verbose_name_plural = "事项目录列表条目"
        ordering = ["basic_code"]

    def __str__(self) -> str:
        return self.basic_code
