"""Writing the search index (see ``sifa.catalogue.search`` for how it is read).

The index is derived from published content: it is written inside the command that changed that
content (``publish_version``, the loader, the import), which writes the audit event; re-indexing
has none of its own.
"""

from __future__ import annotations

from django.db import connection, transaction

from sifa.catalogue.models import CatalogueItem, VersionStatus
from sifa.catalogue.search import FTS_TABLE, document
from sifa.catalogue.services.pages import changed
from sifa.core.segmentation import segment


def index_item(item: CatalogueItem) -> None:
    """Re-segment one item (called by the publish service) and update the database index."""
    version = item.versions.filter(status=VersionStatus.PUBLISHED).first()
    text = segment(document(item, version))
    CatalogueItem.objects.filter(pk=item.pk).update(search_text=text)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [item.pk])  # noqa: S608
            cursor.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, search_text) VALUES (%s, %s)",  # noqa: S608
                [item.pk, text],
            )


@transaction.atomic
def reindex_all() -> int:
    """Rebuild the whole index (after a bulk load or an import), in one transaction so a search never
    sees it half built; returns the number of items."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608
    changed()
    items = list(CatalogueItem.objects.select_related("parent"))
    for item in items:
        index_item(item)
    return len(items)
