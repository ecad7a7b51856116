"""The public catalogue's cached answers (``sifa.core.pagecache``, namespace ``catalogue``).

Every catalogue command calls :func:`changed` inside its transaction — item commands through
``items.audit_item``, the search index through ``reindex_all``, the synonyms through their audit —
so a publish, a withdrawal, a new draft, new implementation entries, an import or a new synonym
reaches every visitor at once (docs/catalogue.md, "Public cache").
"""

from __future__ import annotations

from sifa.core import pagecache

PAGE_CACHE = "catalogue"
"""The namespace of the catalogue's public pages and list in ``sifa.core.pagecache``."""


def changed() -> None:
    """The public catalogue changed: its cached pages and lists are dead from this transaction's
    commit (the database store: with it; Redis: at once and again after it)."""
    pagecache.bump(PAGE_CACHE)
