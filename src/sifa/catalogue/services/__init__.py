"""Catalogue commands — the only write path of the catalogue. Each is atomic, checks permission
(``system=True`` for the platform's own loader) and is audited.

Split by resource: ``items`` (an item and its own fields, its drafts and their children, publish, withdraw),
``loader`` (the shipped content and the generated 实施清单 entries, ``sifa load-catalogue``),
``imports`` (restoring an export, ``sifa import-catalogue``), ``search_index`` (the derived
search index, written inside those commands) and ``synonyms`` (the words people use, 检索同义词). Reads are in ``selectors``, ``guides``, ``search``
and ``opendata`` (the export); none of them writes.
"""

from sifa.catalogue.services.imports import import_catalogue
from sifa.catalogue.services.items import (
    VERSION_EDITABLE,
    add_child,
    can_author,
    create_item,
    current_version,
    new_draft,
    publish_version,
    remove_child,
    update_child,
    update_draft,
    update_item,
    update_item_source,
    withdraw_version,
)
from sifa.catalogue.services.loader import LoadResult, generate_entries, load_items
from sifa.catalogue.services.search_index import index_item, reindex_all
from sifa.catalogue.services.synonyms import add_synonym, normalize_term, remove_synonym, seed_synonyms

__all__ = [
    "VERSION_EDITABLE",
    "LoadResult",
    "add_child",
    "add_synonym",
    "can_author",
    "create_item",
    "current_version",
    "generate_entries",
    "import_catalogue",
    "index_item",
    "load_items",
    "new_draft",
    "normalize_term",
    "publish_version",
    "reindex_all",
    "remove_child",
    "remove_synonym",
    "seed_synonyms",
    "update_child",
    "update_draft",
    "update_item",
    "update_item_source",
    "withdraw_version",
]
