"""Reads of the law library (nothing here writes)."""

from __future__ import annotations

import re

from django.db.models import Count, Q, QuerySet

from sifa.core.errors import NotFound, ServiceError
from sifa.laws.models import Article, Statute
from sifa.laws.search import MAX_QUERY_LENGTH

ARTICLE_KEY = re.compile(r"^(\d{1,4})(?:-(\d{1,2}))?$")


def categories() -> list[dict]:
    """Every category with its number of statutes, largest first then by name."""
    return list(Statute.objects.values("category").annotate(count=Count("id")).order_by("-count", "category"))


def statutes(q: str = "", category: str = "") -> QuerySet[Statute]:
    """Statutes by title words (every space-separated word in the title) and category."""
    q = (q or "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise ServiceError("laws.query_too_long", f"关键词不能超过{MAX_QUERY_LENGTH}个字")
    rows = Statute.objects.all()
    if category:
        rows = rows.filter(category=category)
    for word in q.split():
        rows = rows.filter(Q(title__icontains=word) | Q(short_title__icontains=word))
    return rows.order_by("category", "short_title", "-version_date")


def statute(slug: str) -> Statute:
    found = Statute.objects.filter(slug=slug).first()
    if found is None:
        raise NotFound("法律法规库中没有这部法规，请从法律法规库首页查找", code="laws.statute_not_found")
    return found


def article(statute_obj: Statute, key: str) -> Article:
    """``6`` is 第六条, ``6-1`` 第六条之一."""
    match = ARTICLE_KEY.match(key or "")
    found = None
    if match:
        found = (
            statute_obj.articles.filter(number=int(match.group(1)), suffix=int(match.group(2) or 0))
            .select_related("heading", "statute")
            .first()
        )
    if found is None:
        raise NotFound(f"《{statute_obj.short_title}》中没有这一条", code="laws.article_not_found")
    return found


def toc(statute_obj: Statute) -> list[dict]:
    """Headings and articles in order, for the statute page: ``{"heading": h}`` or ``{"article": a}``."""
    items: list[tuple[int, dict]] = [(h.position, {"heading": h}) for h in statute_obj.headings.all()]
    items += [(a.position, {"article": a}) for a in statute_obj.articles.all()]
    return [entry for _, entry in sorted(items, key=lambda pair: pair[0])]


def neighbours(a: Article) -> tuple[Article | None, Article | None]:
    siblings = a.statute.articles
    return (
        siblings.filter(position__lt=a.position).order_by("-position").first(),
        siblings.filter(position__gt=a.position).order_by("position").first(),
    )
