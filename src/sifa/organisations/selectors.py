"""Read queries for regions and organisations.

Both are public data (``data_class = "public"``): the directory of justice bodies and the region
picker are shown to anyone, so these selectors take no actor and apply no data scope.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from sifa.organisations.models import Organisation, Region


def _with_has_children(queryset: QuerySet[Region]) -> QuerySet[Region]:
    return queryset.annotate(has_children=Exists(Region.objects.filter(parent_id=OuterRef("code"))))


def regions_under(parent_code: str | None) -> QuerySet[Region]:
    """Children of ``parent_code``; the 31 provinces when it is empty. Raises ``Region.DoesNotExist``
    for an unknown parent so that callers can tell "no children" from "no such region"."""
    if not parent_code:
        return _with_has_children(Region.objects.filter(parent__isnull=True)).order_by("code")
    if not Region.objects.filter(code=parent_code).exists():
        raise Region.DoesNotExist(parent_code)
    return _with_has_children(Region.objects.filter(parent_id=parent_code)).order_by("code")


def get_region(code: str) -> Region:
    """One region by its code (raises ``Region.DoesNotExist``)."""
    return _with_has_children(Region.objects.filter(code=code)).get()


def organisations(
    *, level: int | None = None, region_code: str | None = None, parent_id: int | None = None
) -> QuerySet[Organisation]:
    """Active organisations in tree order, optionally by level, region and direct parent."""
    queryset = Organisation.objects.filter(is_active=True).select_related("region")
    if level is not None:
        queryset = queryset.filter(level=level)
    if region_code:
        queryset = queryset.filter(region_id=region_code)
    if parent_id is not None:
        queryset = queryset.filter(parent_id=parent_id)
    return queryset.order_by("path")


def get_organisation(pk: int) -> Organisation:
    """One active organisation (raises ``Organisation.DoesNotExist``)."""
    return Organisation.objects.select_related("region").get(pk=pk, is_active=True)


def subtree_of(organisation: Organisation) -> QuerySet[Organisation]:
    """The organisation and all its descendants, as one indexed range on ``path``."""
    return Organisation.objects.filter(path__subtree=organisation.path).order_by("path")
