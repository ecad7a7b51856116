"""Signals the organisation tree sends for the apps above it (it imports none of them).

``organisations_renamed`` — sent inside :func:`sifa.organisations.services.build_organisations`
(which writes with ``bulk_update``, so no ``post_save`` fires) with ``ids``, the organisations
whose name changed. ``sifa.catalogue`` rewrites the public list entries that show the name.

:func:`tree_changed` — called on every ``post_save`` and ``post_delete`` of an organisation
(connected in ``OrganisationsConfig.ready``) and by the writes that bypass them (the tree's
``bulk_create``/``bulk_update``, a 代字 set by ``update``): it raises the generation of the shared
cache's namespace :data:`TREE_CACHE_NAMESPACE` (``sifa.core.pagecache``), so no answer kept there
that names organisations (the dashboard's children, ``sifa.indicators.selectors``) outlives a
change of the tree. Changes of the tree are rare; the generation is one counter.
"""

from typing import Any

from django.dispatch import Signal

from sifa.core import pagecache

organisations_renamed = Signal()

TREE_CACHE_NAMESPACE = "organisations"
"""The shared cache's namespace of answers built from the organisation tree."""


def tree_changed(*args: Any, **kwargs: Any) -> None:
    """Invalidate every kept answer of :data:`TREE_CACHE_NAMESPACE` (call it in the changing
    transaction; a receiver of ``post_save``/``post_delete`` as well)."""
    pagecache.bump(TREE_CACHE_NAMESPACE)
