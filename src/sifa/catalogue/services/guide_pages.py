"""The guide page's read model (``GuidePage``, docs/catalogue.md "Guide read model").

The body of an entry's public 办事指南 — the 21 elements with their links to the law articles, as a
visitor sees it before answering the 情形 questions — is rendered once per (entry, published
version, law-library version, code and settings) and stored. ``publish_version`` writes the rows of
the item's entries in its transaction; ``withdraw_version`` deletes them; a page whose row is
missing or stale renders the guide the slow way and stores it (:func:`store`). A row is stale once
anything it was rendered from moved on, whatever wrote the change: the entry's version or its
``updated_at``, the version's or the item's ``updated_at``, the name of one of its three
organisations, the law library's version (raised by every import that changed a statute) or the
:func:`fingerprint` of the templates, the guide code and the settings the body depends on. The
page's one query (``selectors.guide_page``) compares all of them, so a stale row is never served.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import get_template, render_to_string

from sifa.catalogue import guides
from sifa.catalogue.models import CatalogueItem, EntryStatus, GuidePage, ImplementationEntry, ItemVersion
from sifa.catalogue.processes import bpmn_file_of
from sifa.catalogue.selectors import guide_version
from sifa.laws.models import LibraryVersion

FORMAT = 1
"""Raise when what a row holds changes shape (its ``head`` keys, the split between body and page)."""

BODY_TEMPLATE = "catalogue/_guide_body.html"
HEAD_TEMPLATES = {
    "breadcrumbs": "catalogue/_guide_breadcrumbs.html",
    "heading": "catalogue/_guide_heading.html",
    "links": "catalogue/_guide_links.html",
}
"""The parts of the page's head that are stored too (HTML); the page is ``guide_stored.html``."""
_SOURCES = (BODY_TEMPLATE, "catalogue/_checklist.html", *HEAD_TEMPLATES.values())
_source_digest: str | None = None


def _sources() -> str:
    """The digest of the code that renders a body: the templates and ``sifa.catalogue.guides``
    (read once per process: a deployment restarts the processes)."""
    global _source_digest
    if _source_digest is None:
        digest = hashlib.sha256(Path(guides.__file__).read_bytes())
        for name in _SOURCES:
            digest.update(get_template(name).template.source.encode())
        _source_digest = digest.hexdigest()
    return _source_digest


def fingerprint() -> str:
    """What shapes a body besides the data: the format, the code and the settings it reads."""
    key = f"{FORMAT}|{_sources()}|{settings.PARTNER_DATA}|{settings.PUBLIC_URL}|{settings.TIME_ZONE}"
    return hashlib.sha256(key.encode()).hexdigest()


def library_version() -> int:
    return LibraryVersion.objects.filter(pk=1).values_list("value", flat=True).first() or 0


def render(entry: ImplementationEntry, version: ItemVersion) -> tuple[dict[str, Any], str]:
    """The head facts and the body HTML of ``entry``'s guide under ``version`` (no answers)."""
    guide = guides.build(entry, version)
    body = render_to_string(BODY_TEMPLATE, {"guide": guide, "checklist_errors": []})
    head = {
        "name": guide["name"],
        "implementation_code": guide["implementation_code"],
        "process_file": bpmn_file_of(version),
        **{key: render_to_string(name, {"guide": guide}) for key, name in HEAD_TEMPLATES.items()},
    }
    return head, body


def store(entry: ImplementationEntry, version: ItemVersion) -> tuple[dict[str, Any], str]:
    """Render ``entry``'s guide and store it as its row; returns what :func:`render` returns.

    The library version is read before the guide is rendered, so a library imported meanwhile
    leaves a row marked with the older version (served never, rendered again). Two first visitors
    at once: the second insert loses and is dropped, the row being the same."""
    library = library_version()
    head, body = render(entry, version)
    values = {
        "version_id": version.pk,
        "entry_updated_at": entry.updated_at,
        "version_updated_at": version.updated_at,
        "item_updated_at": version.item.updated_at,
        "organisation_name": entry.organisation.name,
        "accepting_name": entry.accepting_organisation.name,
        "deciding_name": entry.deciding_organisation.name,
        "library_version": library,
        "fingerprint": fingerprint(),
        "head": json.dumps(head, ensure_ascii=False),
        "body": body,
    }
    try:
        with transaction.atomic():
            GuidePage.objects.update_or_create(entry_id=entry.pk, defaults=values)
    except IntegrityError:
        pass
    return head, body


def rebuild_item(item: CatalogueItem, version: ItemVersion) -> int:
    """Write the rows of every active entry of ``item`` under its live ``version`` (publish)."""
    version = guide_version(version.pk)
    entries = ImplementationEntry.objects.filter(item=item, status=EntryStatus.ACTIVE).select_related(
        "organisation", "accepting_organisation", "deciding_organisation"
    )
    count = 0
    for entry in entries:
        store(entry, version)
        count += 1
    return count


def forget_item(item: CatalogueItem) -> None:
    """Drop the rows of ``item``'s entries (the item is no longer offered)."""
    GuidePage.objects.filter(entry__item=item).delete()
