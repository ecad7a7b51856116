"""Reads of the knowledge base (常见问题): the public search, the published entries by category, one
entry with its articles and catalogue items, and the entries a curator keeps. Nothing here writes.

Search (the law library's approach, ``sifa.laws.search``): the words jieba finds in question,
keywords and answer are stored in ``Faq.search_text`` (space-padded). A query is cut the same way and
the database returns at most ``CANDIDATES`` published entries that hold every word — PostgreSQL with
``to_tsvector('simple', search_text) @@ plainto_tsquery`` on the partial GIN index of migration 0002,
SQLite with ``LIKE '% word %'``; when none holds every word, entries holding any word; when still
none, entries whose question or keywords contain the query as written (a single character such as
证). The candidates are ranked in Python: a word in the question weighs 3, in the keywords 2, in the
answer 1; the whole query in the question adds 3.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.safestring import SafeString, mark_safe

from sifa.catalogue.models import CatalogueItem
from sifa.consultation.models import Category, Faq, FaqStatus
from sifa.core.errors import NotFound, ServiceError
from sifa.core.segmentation import query_words
from sifa.laws.search import highlight
from sifa.organisations.scope import subtree_q

MAX_QUERY_LENGTH = 100
CANDIDATES = 200
DEFAULT_LIMIT = 10
MAX_LIMIT = 50
SNIPPET_LENGTH = 80


def check_query(query: str | None, *, required: bool = True) -> str:
    """The stripped query, or the stable 400 the API and the pages answer with."""
    query = (query or "").strip()
    if not query and required:
        raise ServiceError("consultation.query_required", "请输入要查找的问题或关键词")
    if len(query) > MAX_QUERY_LENGTH:
        raise ServiceError("consultation.query_too_long", f"关键词不能超过{MAX_QUERY_LENGTH}个字")
    return query


def check_category(category: str | None) -> str:
    category = (category or "").strip()
    if category and category not in Category.values:
        raise ServiceError("consultation.bad_category", "没有这个咨询类别")
    return category


def check_limit(limit: Any, default: int = DEFAULT_LIMIT) -> int:
    if limit in (None, ""):
        return default
    try:
        value = int(limit)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= MAX_LIMIT:
        raise ServiceError("consultation.bad_limit", f"条数应为1至{MAX_LIMIT}之间的整数")
    return value


def published() -> QuerySet[Faq]:
    return Faq.objects.filter(status=FaqStatus.PUBLISHED)


@dataclass
class Hit:
    faq: Faq
    score: float
    words: list[str]

    @property
    def question_html(self) -> SafeString:
        return highlight(self.faq.question, self.words)

    @property
    def snippet(self) -> SafeString:
        return snippet(self.faq.answer, self.words)


def _word_ids(words: list[str], category: str, any_word: bool) -> list[int]:
    if connection.vendor == "postgresql":
        joiner = " | " if any_word else " & "
        tsquery = joiner.join("'" + w.replace("'", "''").replace("\\", "") + "'" for w in words)
        sql = (
            "SELECT id FROM consultation_faq WHERE status = 'published' "
            "AND to_tsvector('simple', search_text) @@ to_tsquery('simple', %s)"
        )
        params: list[Any] = [tsquery]
        if category:
            sql += " AND category = %s"
            params.append(category)
        with connection.cursor() as cursor:
            cursor.execute(sql + " LIMIT %s", [*params, CANDIDATES])
            return [row[0] for row in cursor.fetchall()]
    match = Q()
    for word in words:
        one = Q(search_text__contains=f" {word} ")
        match = (match | one) if any_word and match else (match & one)
    rows = published().filter(match)
    if category:
        rows = rows.filter(category=category)
    return list(rows.values_list("id", flat=True)[:CANDIDATES])


def _substring_ids(query: str, category: str) -> list[int]:
    rows = published().filter(Q(question__icontains=query) | Q(keywords__icontains=query))
    if category:
        rows = rows.filter(category=category)
    return list(rows.values_list("id", flat=True)[:CANDIDATES])


def _score(faq: Faq, words: list[str], query: str) -> float:
    question, keywords, answer = faq.question.lower(), faq.keywords.lower(), faq.answer.lower()
    score = 0.0
    for word in words:
        score += 3.0 * (word in question) + 2.0 * (word in keywords) + 1.0 * (word in answer)
    compact = query.replace(" ", "").lower()
    if compact and compact in question:
        score += 3.0
    return score


def search(query: str, *, category: str = "", limit: int = DEFAULT_LIMIT) -> list[Hit]:
    """The best published entries for ``query`` (checked: empty or too long is a 400)."""
    query = check_query(query)
    category = check_category(category)
    words = query_words(query)
    ids: list[int] = []
    if words:
        ids = _word_ids(words, category, any_word=False) or _word_ids(words, category, any_word=True)
    if not ids:
        ids = _substring_ids(query, category)
        words = words or [query.lower()]
    rows = Faq.objects.filter(pk__in=ids).only("public_id", "question", "answer", "category", "keywords")
    scored = sorted(((_score(f, words, query), f) for f in rows), key=lambda p: (-p[0], p[1].question))
    return [Hit(f, s, words) for s, f in scored[:limit]]


def by_category() -> list[tuple[str, str, list[Faq]]]:
    """Every published entry, grouped as (category, label, entries) in the categories' order."""
    groups: dict[str, list[Faq]] = {}
    for faq in published().only("public_id", "question", "category").order_by("question"):
        groups.setdefault(faq.category, []).append(faq)
    return [(value, label, groups[value]) for value, label in Category.choices if value in groups]


def _parse_id(public_id: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(public_id))
    except ValueError:
        return None


def public_entry(public_id: Any) -> Faq:
    """One published entry, or 404 ``consultation.faq_not_found``."""
    key = _parse_id(public_id)
    faq = published().filter(public_id=key).first() if key else None
    if faq is None:
        raise NotFound("未找到该常见问题，它可能已被撤下", "consultation.faq_not_found")
    return faq


def citations(faq: Faq) -> list[dict[str, str]]:
    """The cited articles with their permanent library addresses."""
    from django.urls import reverse

    return [
        {"label": c.label, "url": reverse("laws-article", args=[c.statute_slug, c.article_key])}
        for c in faq.citations.order_by("position")
    ]


def items(faq: Faq) -> list[dict[str, str]]:
    """The catalogue items, each with its page (which lists its guides)."""
    from django.urls import reverse

    codes = list(faq.items.order_by("position").values_list("item_code", flat=True))
    names = dict(CatalogueItem.objects.filter(basic_code__in=codes).values_list("basic_code", "name"))
    return [
        {"code": code, "name": names[code], "url": reverse("catalogue-item", args=[code])}
        for code in codes
        if code in names
    ]


def curated(user: Any) -> QuerySet[Faq]:
    """The entries ``user`` keeps: the national ones if they may, and those of the organisations in
    their curator subtrees."""
    from sifa.consultation.services.faq import CURATOR_ROLES, can_curate
    from sifa.organisations.scope import actor_for

    actor = actor_for(user)
    rows = Faq.objects.select_related("organisation")
    if actor.is_superuser:
        return rows
    match = subtree_q("organisation__path", actor.paths_for(CURATOR_ROLES))
    if can_curate(user, None):
        match |= Q(organisation__isnull=True)
    return rows.filter(match)


def curated_entry(user: Any, public_id: Any) -> Faq:
    """One entry ``user`` keeps, or 404 (an entry of another jurisdiction is not shown to exist)."""
    key = _parse_id(public_id)
    faq = curated(user).filter(public_id=key).first() if key else None
    if faq is None:
        raise NotFound("未找到该常见问题", "consultation.faq_not_found")
    return faq


def snippet(text: str, words: list[str], length: int = SNIPPET_LENGTH) -> SafeString:
    """About ``length`` characters of ``text`` around the first query word, highlighted."""
    text = " ".join(text.split())
    lowered = text.lower()
    positions = [lowered.find(w.lower()) for w in words if w and w.lower() in lowered]
    start = max(0, min(positions) - length // 4) if positions else 0
    piece = text[start : start + length]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + length < len(text) else ""
    return mark_safe(f"{prefix}{highlight(piece, words)}{suffix}")  # noqa: S308 - highlight escapes
