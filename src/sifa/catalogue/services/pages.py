"""The public catalogue's cached answers (``sifa.core.pagecache``, namespace ``catalogue``).

Every catalogue command calls :func:`changed` inside its transaction — item commands through
``items.audit_item``, the search index through ``reindex_all``, the synonyms through their audit —
so a publish, a withdrawal, a new draft, new implementation entries, an import or a new synonym
reaches every visitor at once (docs/catalogue.md, "Public cache").
"""

from __future__ import annotations

from sifa.core import pagecache

PAGE_CACHE = pagecache.public_namespace("catalogue")
"""The namespace of the catalogue's public pages and list in ``sifa.core.pagecache`` (declared
public here, where every command that changes the catalogue sees it: a publish then waits until
no process answers from the generation before it, ``pagecache.bump``)."""


def changed() -> None:
    """The public catalogue changed: its cached pages and lists are dead from this transaction's
    commit (the database store: with it; Redis: at once and again after it)."""
    pagecache.bump(PAGE_CACHE)
