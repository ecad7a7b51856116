"""检索同义词: the words people use for an item (律师证 → 律师执业许可), curated by catalogue admins.

Catalogue search (portal and API) lists the items a query's synonyms point to first, whatever the
item is officially called; see ``sifa.catalogue.selectors.items`` and docs/catalogue-synonyms.md.
"""

from __future__ import annotations

from django.db import models

TERM_MAX_LENGTH = 30


class SearchSynonym(models.Model):
    """One everyday word (``term``) and the item it means. A word may mean several items (one row each)."""

    data_class = "public"

    term = models.CharField(
        "群众常用说法",
        max_length=TERM_MAX_LENGTH,
        db_index=True,
        help_text="The word people type, stored without surrounding spaces, e.g. 律师证",
    )
    item = models.ForeignKey(
        "catalogue.CatalogueItem",
        verbose_name="对应事项",
        on_delete=models.CASCADE,
        related_name="synonyms",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "检索同义词"
        verbose_name_plural = "检索同义词"
        ordering = ["term", "item__basic_code"]
        constraints = [models.UniqueConstraint(fields=["term", "item"], name="catalogue_synonym_term_item")]

    def __str__(self) -> str:
        return f"{self.term} → {self.item.name}"
