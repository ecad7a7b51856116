"""Catalogue models: code tables, items and versions with their content, implementation entries."""

from sifa.catalogue.models.codes import *  # noqa: F403
from sifa.catalogue.models.guide_pages import GuidePage
from sifa.catalogue.models.implementation import ImplementationEntry
from sifa.catalogue.models.items import (
    LOCKED_STATUSES,
    CatalogueItem,
    Fee,
    FormSchema,
    ItemVersion,
    Material,
    ProcessDefinition,
    Situation,
    Stage,
    version_summary,
)
from sifa.catalogue.models.listing import ItemListing
from sifa.catalogue.models.synonyms import SearchSynonym

__all__ = [
    "LOCKED_STATUSES",
    "CatalogueItem",
    "Fee",
    "FormSchema",
    "GuidePage",
    "ImplementationEntry",
    "ItemListing",
    "ItemVersion",
    "Material",
    "ProcessDefinition",
    "SearchSynonym",
    "Situation",
    "Stage",
    "version_summary",
]
