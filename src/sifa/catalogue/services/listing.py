"""Writing the public list's read model (``ItemListing``; ``sifa.catalogue.listing`` builds the
entries, the list view reads them).

Like the search index, the read model is derived: it is rewritten inside the command that changed
what an item's entry shows — a new draft, a draft's dates, publish, withdraw (the item's versions
and timestamp), the loader and the import (everything), an organisation's new name (the owner) —
in that command's transaction, so a reader never sees a list that disagrees with the items.
``sifa rebuild-catalogue-listing`` rebuilds it all (e.g. after ``TIME_ZONE`` changes)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from sifa.catalogue.listing import listing_rows
from sifa.catalogue.models import CatalogueItem, ItemListing, ItemVersion


def refresh_items(item_ids: Iterable[int]) -> None:
    """Rewrite the entries of these items (dropping those no longer listed): four queries."""
    ids = sorted(set(item_ids))
    if not ids:
        return
    rows = listing_rows(CatalogueItem, ItemVersion, ids)
    ItemListing.objects.filter(item_id__in=ids).delete()
    ItemListing.objects.bulk_create([ItemListing(**row) for row in rows])


def refresh_owned_by(organisation_ids: Iterable[int]) -> None:
    """Rewrite the entries of the items these organisations own (their name is in the entry)."""
    ids = list(organisation_ids)
    if ids:
        refresh_items(CatalogueItem.objects.filter(owner_id__in=ids).values_list("pk", flat=True))


@transaction.atomic
def rebuild_all() -> int:
    """Rebuild the whole read model in one transaction; returns the number of listed items."""
    rows = listing_rows(CatalogueItem, ItemVersion)
    ItemListing.objects.all().delete()
    ItemListing.objects.bulk_create([ItemListing(**row) for row in rows], batch_size=500)
    return len(rows)


def organisations_renamed(sender: object, *, ids: list[int], **kwargs: object) -> None:
    """The receiver of ``organisations.signals.organisations_renamed`` (the tree's bulk update)."""
    refresh_owned_by(ids)


def organisation_saved(sender: object, *, instance: object, created: bool, **kwargs: object) -> None:
    """The receiver of ``post_save`` of an ``Organisation`` saved on its own (its name may be new;
    a new organisation owns no item yet)."""
    if not created:
        refresh_owned_by([instance.pk])
