"""Article search over the law library (the catalogue's approach, ``sifa.catalogue.search``).

jieba segments each article in the application (search mode: 律师事务所 also yields 律师 and
事务所); the words are stored in ``Article.search_text`` and the statute title's words in
``Article.title_words``. The database matches whole words:

* SQLite: the FTS5 table ``laws_article_fts`` (columns ``title``, ``body``; rowid = article id),
  ranked by ``bm25`` with the title weighted ten times the body;
* PostgreSQL: the stored column ``search_vector`` = ``setweight(to_tsvector('simple', title_words),
  'A') || setweight(…search_text, 'B')`` with the GIN index of migration 0002, ranked by ``ts_rank``.

Every query word must match (in the title or the text); when that finds nothing, any word may.
The best candidates are then re-ranked in Python: an article that contains the query's words
side by side (律师执业) or names them in its first paragraph comes first. Nothing here writes.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.db import connection
from django.utils.safestring import SafeString, mark_safe

from sifa.core.errors import ServiceError
from sifa.core.segmentation import query_words
from sifa.laws.models import Article

FTS_TABLE = "laws_article_fts"
MAX_QUERY_LENGTH = 100
CANDIDATES = 300
UNSHOWN = ("search_text", "title_words", "statute__history", "statute__preamble")


def check_query(query: str) -> str:
    """The stripped query, or the stable 4xx the API and the pages answer with."""
    query = (query or "").strip()
    if not query:
        raise ServiceError("laws.query_empty", "请输入要检索的关键词")
    if len(query) > MAX_QUERY_LENGTH:
        raise ServiceError("laws.query_too_long", f"关键词不能超过{MAX_QUERY_LENGTH}个字")
    return query


@dataclass
class Hit:
    article: Article
    highlighted: SafeString
    score: float


def _candidates(words: list[str], any_word: bool) -> list[int]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            joiner = " OR " if any_word else " AND "
            fts_query = joiner.join('"' + w.replace('"', '""') + '"' for w in words)
            cursor.execute(
                f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "  # noqa: S608
                f"ORDER BY bm25({FTS_TABLE}, 10.0, 1.0) LIMIT %s",
                [fts_query, CANDIDATES],
            )
        elif connection.vendor == "postgresql":
            joiner = " | " if any_word else " & "
            tsquery = joiner.join("'" + w.replace("'", "''").replace("\\", "") + "'" for w in words)
            cursor.execute(
                "SELECT id FROM laws_article, to_tsquery('simple', %s) q WHERE search_vector @@ q "
                "ORDER BY ts_rank(search_vector, q) DESC, id LIMIT %s",
                [tsquery, CANDIDATES],
            )
        else:  # pragma: no cover - Sifa runs on SQLite or PostgreSQL
            return []
        return [row[0] for row in cursor.fetchall()]


def _rerank_score(text: str, short: str, words: list[str], rank: float, query: str) -> float:
    """Database rank first, then nudges a reader expects: the words side by side, in the first
    paragraph or at its start, or as most of the statute's short name (``short``)."""
    score = -rank  # 0 (the database's best) … 1
    joined = "".join(words)
    if len(words) > 1 and joined in text:
        score += 3
    first = text.split("\n", 1)[0]
    score += sum(1.0 for w in words if w in first)
    score += sum(1.0 for w in words if 0 <= text.find(w) < 10)  # what the article is about
    score += 4.0 * sum(len(w) for w in words if w in short) / max(len(short), 1)  # 公证 → 公证法 first
    if query.replace(" ", "") in text:
        score += 2
    return score


def search(query: str, *, category: str = "", limit: int = 20) -> tuple[list[Hit], list[str]]:
    """Article hits for ``query`` (checked: empty or too long is a ServiceError) and the words used."""
    query = check_query(query)
    words = query_words(query)
    if not words:
        return [], []
    ids = _candidates(words, any_word=False) or _candidates(words, any_word=True)
    rank = {pk: i / len(ids) for i, pk in enumerate(ids)}
    # The candidates are re-ranked from plain rows (text and the statute's names); only the hits
    # shown become objects, without the segmented words and the statute's long texts.
    rows = Article.objects.filter(pk__in=ids)
    if category:
        rows = rows.filter(statute__category=category)
    scored = sorted(
        (
            (_rerank_score(text, short or title, words, rank[pk], query), pk)
            for pk, text, short, title in rows.values_list(
                "pk", "text", "statute__short_title", "statute__title"
            )
        ),
        key=lambda pair: (-pair[0], rank[pair[1]]),
    )[:limit]
    articles = Article.objects.select_related("statute").defer(*UNSHOWN).in_bulk([pk for _, pk in scored])
    hits = [Hit(articles[pk], highlight(articles[pk].text, words), score) for score, pk in scored]
    return hits, words


def highlight(text: str, words: list[str]) -> SafeString:
    """``text`` HTML-escaped, every occurrence of a query word wrapped in ``<mark>``."""
    terms = sorted({w for w in words if w}, key=len, reverse=True)
    if not terms:
        return mark_safe(html.escape(text))  # noqa: S308 - escaped above
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        out.append(f"<mark>{html.escape(match.group(0))}</mark>")
        last = match.end()
    out.append(html.escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped above
