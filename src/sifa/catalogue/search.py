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

The words people use (检索同义词, ``SearchSynonym``, curated by catalogue admins) are matched
apart from the index: a query that *is* a word (律师证) or *contains* one (补办律师证) also finds
the words' items, and ``selectors.items`` lists those first — exact words before contained ones.

Nothing here writes: the index is written by ``sifa.catalogue.services.search_index``.
"""

from __future__ import annotations

from django.db import connection

from sifa.catalogue.models import CatalogueItem, ItemVersion, SearchSynonym, Topic
from sifa.core.segmentation import query_words

FTS_TABLE = "catalogue_item_fts"


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


def synonym_item_ids(query: str) -> tuple[set[int], set[int]]:
    """Ids of the items the query's synonyms point to: (the query is the word, the query contains
    the word). The list is short (hundreds of words), so it is matched here rather than in SQL."""
    text = "".join((query or "").split())
    if not text:
        return set(), set()
    exact: set[int] = set()
    contained: set[int] = set()
    for term, item_id in SearchSynonym.objects.values_list("term", "item_id"):
        if term == text:
            exact.add(item_id)
        elif term in text:
            contained.add(item_id)
    return exact, contained - exact
