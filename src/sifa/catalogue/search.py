"""Chinese search over the catalogue (ARCHITECTURE.md decision 8).

Chinese has no spaces, so the database cannot find "律师" inside "律师执业许可" by itself. jieba
segments each item's searchable text in the application (search mode: long words *and* the shorter
dictionary words inside them, so 律师事务所 also yields 律师 and 事务所); the space-joined words
are stored in ``CatalogueItem.search_text``. The database then only has to match whole words:

* SQLite: an FTS5 table ``catalogue_item_fts`` (``unicode61`` tokenizer, rowid = item id), kept
  in step by ``services.search_index.index_item`` — not by triggers, which SQLite loses whenever Django remakes the
  item table in a later migration.
* PostgreSQL: ``to_tsvector('simple', search_text)`` with the GIN index of migration 0002.

A query is segmented the same way (precise mode) and every word must match. Where no item has been
indexed yet, callers fall back to a substring match on the name (see ``selectors.items``).

Nothing here writes: the index is written by ``sifa.catalogue.services.search_index``.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from pathlib import Path

import jieba
from django.conf import settings
from django.db import connection

from sifa.catalogue.models import CatalogueItem, ItemVersion, Topic

FTS_TABLE = "catalogue_item_fts"
USER_DICTIONARY = Path(__file__).parent / "data" / "legal_terms.txt"
MAX_QUERY_WORDS = 10
_lock = threading.Lock()


_tokenizer: jieba.Tokenizer | None = None


def tokenizer() -> jieba.Tokenizer:
    """One jieba tokenizer per process (built once, ~1 s); its prefix-dictionary cache lives under
    SIFA_VAR_DIR/cache/jieba so that later processes start fast."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                cache_dir = Path(settings.VAR_DIR) / "cache" / "jieba"
                cache_dir.mkdir(parents=True, exist_ok=True)
                tok = jieba.Tokenizer()
                tok.tmp_dir = str(cache_dir)
                tok.initialize()
                tok.load_userdict(str(USER_DICTIONARY))
                _tokenizer = tok
    return _tokenizer


def _is_word(token: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


def segment(text: str) -> str:
    """The words of ``text`` for the index: search-mode segmentation, de-duplicated, space-joined."""
    words = (t.strip().lower() for t in tokenizer().cut_for_search(text or ""))
    return " ".join(dict.fromkeys(t for t in words if t and _is_word(t)))


def query_words(query: str) -> list[str]:
    """The words a query must all match; single characters are dropped when longer words exist."""
    words = [t.strip().lower() for t in tokenizer().cut(query or "") if t.strip() and _is_word(t)]
    longer = [w for w in words if len(w) > 1]
    return list(dict.fromkeys(longer or words))[:MAX_QUERY_WORDS]


def document(item: CatalogueItem, version: ItemVersion | None) -> str:
    """What an item is found by: its name and its parent's, type, topics, legal acts, scope, result."""
    parts = [item.name, item.get_item_type_display()]
    if item.parent_id:
        parts.append(item.parent.name)
    parts += [Topic(code).label.split("·")[-1] for code in item.topics if code in Topic.values]
    parts += [ref.get("law", "") for ref in item.legal_basis if isinstance(ref, dict)]
    if version is not None:
        parts += [version.scope, version.result_name]
    return "\n".join(p for p in parts if p)


def is_indexed() -> bool:
    return CatalogueItem.objects.exclude(search_text="").exists()


def matching_ids(query: str) -> list[int] | None:
    """Ids of the items whose indexed words contain every query word; None when nothing is indexed
    or the vendor has no full-text support (the caller then matches substrings)."""
    words = query_words(query)
    if not words or connection.vendor not in ("sqlite", "postgresql") or not is_indexed():
        return None
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            fts_query = " AND ".join('"' + w.replace('"', '""') + '"' for w in words)
            cursor.execute(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [fts_query])  # noqa: S608
        else:
            # plainto_tsquery ANDs the words and cannot fail on operator characters in user input.
            cursor.execute(
                "SELECT id FROM catalogue_catalogueitem "
                "WHERE to_tsvector('simple', search_text) @@ plainto_tsquery('simple', %s)",
                [" ".join(words)],
            )
        return [row[0] for row in cursor.fetchall()]
