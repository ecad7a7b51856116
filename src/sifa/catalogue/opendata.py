"""Open data and backup of the catalogue: one JSON document and CSV files derived from it.

``export_catalogue(published_only=True)`` is the open-data view (items with their live version,
active entries); ``published_only=False`` is the full backup ``sifa export-catalogue`` writes (every
version, drafts included). Organisations are referred to by USCC (and name), so a file moves
between databases whose organisation trees were built from the same data. Timestamps that the
database sets on write (``updated_at``) and ``exported_at`` differ after a round trip; everything
else is reproduced exactly (docs/catalogue.md, "Export and import"). Nothing here writes: the
import is a command, ``sifa.catalogue.services.imports.import_catalogue``.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from django.db import models
from django.utils import timezone

from sifa.catalogue.models import (
    CatalogueItem,
    EntryStatus,
    ImplementationEntry,
    ItemVersion,
    VersionStatus,
)
from sifa.catalogue.opendata_columns import CSV_FILES
from sifa.core.csvcells import safe_cell
from sifa.organisations.models import Organisation

FORMAT = "sifa.catalogue"
FORMAT_VERSION = 1
# Set by the database on every write, so they cannot survive an import unchanged.
VOLATILE_KEYS = ("exported_at", "updated_at")
VERSION_SKIP = {"id", "item_id", "published_by_id", "created_at", "updated_at"}
CHILD_SKIP = {"id", "version_id", "process_id"}
ENTRY_FIELDS = (
    "implementation_code",
    "exercise_level",
    "implementer_nature",
    "legal_limit_value",
    "legal_limit_unit",
    "promised_limit_value",
    "promised_limit_unit",
    "place",
    "office_hours",
    "consultation_phone",
    "complaint_phone",
    "channels",
    "online_url",
    "status",
)


def _value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _row(obj: models.Model, skip: set[str]) -> dict[str, Any]:
    return {
        f.attname: _value(getattr(obj, f.attname)) for f in obj._meta.concrete_fields if f.attname not in skip
    }


def _org_ref(org: Organisation) -> dict[str, str]:
    return {"uscc": org.uscc, "name": org.name}


def _version(version: ItemVersion) -> dict[str, Any]:
    body = _row(version, VERSION_SKIP)
    body["materials"] = [_row(m, CHILD_SKIP) for m in version.materials.all()]
    body["situations"] = [_row(s, CHILD_SKIP) for s in version.situations.all()]
    body["fees"] = [_row(f, CHILD_SKIP) for f in version.fees.all()]
    form = getattr(version, "form", None)
    body["form"] = form.schema if form is not None else None
    process = getattr(version, "process", None)
    body["process"] = (
        {"bpmn_file": process.bpmn_file, "stages": [_row(s, CHILD_SKIP) for s in process.stages.all()]}
        if process is not None
        else None
    )
    return body


def item_rows(*, published_only: bool = True) -> models.QuerySet:
    """Items with their versions prefetched (only the live one for open data), by basic code."""
    versions = ItemVersion.objects.select_related("form", "process").prefetch_related(
        "materials", "situations", "fees", "process__stages"
    )
    if published_only:
        versions = versions.filter(status=VersionStatus.PUBLISHED)
    items_qs = CatalogueItem.objects.select_related("owner", "parent").order_by("basic_code")
    if published_only:
        items_qs = items_qs.filter(versions__status=VersionStatus.PUBLISHED)
    return items_qs.prefetch_related(models.Prefetch("versions", queryset=versions.order_by("number")))


def entry_rows(*, published_only: bool = True) -> models.QuerySet:
    """Implementation entries (only active entries of live versions for open data), by code."""
    entries = ImplementationEntry.objects.select_related(
        "item", "version", "organisation", "accepting_organisation", "deciding_organisation"
    ).order_by("implementation_code")
    if published_only:
        entries = entries.filter(status=EntryStatus.ACTIVE, version__status=VersionStatus.PUBLISHED)
    return entries


def item_dict(item: CatalogueItem) -> dict[str, Any]:
    return {
        "basic_code": item.basic_code,
        "name": item.name,
        "item_type": item.item_type,
        "parent": item.parent.basic_code if item.parent_id else None,
        "level": item.level,
        "legal_basis": item.legal_basis,
        "exercise_levels": item.exercise_levels,
        "service_objects": item.service_objects,
        "topics": item.topics,
        "owner": _org_ref(item.owner),
        "source": item.source,
        "updated_at": _value(item.updated_at),
        "versions": [_version(v) for v in item.versions.all()],
    }


def entry_dict(entry: ImplementationEntry) -> dict[str, Any]:
    return {
        **{name: _value(getattr(entry, name)) for name in ENTRY_FIELDS},
        "basic_code": entry.item.basic_code,
        "version": entry.version.number,
        "organisation": _org_ref(entry.organisation),
        "accepting_organisation": _org_ref(entry.accepting_organisation),
        "deciding_organisation": _org_ref(entry.deciding_organisation),
        "region": entry.region_id,
        "updated_at": _value(entry.updated_at),
    }


def export_catalogue(*, published_only: bool = True) -> dict[str, Any]:
    """The catalogue as one JSON-ready dict (see the module docstring for the two uses)."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "scope": "published" if published_only else "all",
        "exported_at": timezone.now().isoformat(),
        "items": [item_dict(item) for item in item_rows(published_only=published_only)],
        "implementations": [
            entry_dict(entry) for entry in entry_rows(published_only=published_only).iterator(chunk_size=2000)
        ],
    }


def dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode()


# --- CSV ----------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | dict):
        return safe_cell(json.dumps(value, ensure_ascii=False, sort_keys=True))
    if isinstance(value, int | float):
        return str(value)
    return safe_cell(str(value))


def csv_rows(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The export flattened into the tables of ``CSV_FILES`` (one row per item, version, …)."""
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in CSV_FILES}
    for item in data["items"]:
        tables["items.csv"].append(
            {**item, "owner_uscc": item["owner"]["uscc"], "owner": item["owner"]["name"]}
        )
        for version in item["versions"]:
            key = {"basic_code": item["basic_code"], "version": version["number"]}
            tables["versions.csv"].append({**version, **key})
            for name, rows in (("materials.csv", version["materials"]), ("fees.csv", version["fees"])):
                tables[name] += [{**row, **key} for row in rows]
            stages = (version["process"] or {}).get("stages", [])
            tables["stages.csv"] += [{**row, **key} for row in stages]
    for entry in data["implementations"]:
        flat = {**entry}
        for role in ("organisation", "accepting_organisation", "deciding_organisation"):
            flat[role], flat[f"{role}_uscc"] = entry[role]["name"], entry[role]["uscc"]
        tables["implementations.csv"].append(flat)
    return tables


def csv_zip(data: dict[str, Any]) -> bytes:
    """A zip of UTF-8 (with BOM, so spreadsheet programs detect it) CSV files, one per table."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in csv_rows(data).items():
            columns = [c.name for c in CSV_FILES[name].columns]
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(columns)
            writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
            archive.writestr(name, "\ufeff" + text.getvalue())
    return buffer.getvalue()


# --- changes since a time ---------------------------------------------------------------------

CHANGES_FORMAT = "sifa.catalogue.changes"
CHANGES_PAGE = 2000


def changes(since: Any, *, after: str = "", limit: int = CHANGES_PAGE) -> dict[str, Any]:
    """What changed in the published catalogue at or after ``since``, in the shapes of the export.

    Items and entries that are live are given whole (``items``, ``implementations``: replace your
    copy by ``basic_code`` / ``implementation_code``); those that stopped being offered — a
    withdrawn item, an entry withdrawn or of a withdrawn item — are listed by code
    (``removed_items``, ``removed_implementations``: delete your copy). Entries come in pages of
    ``limit`` by implementation code (``next_after``: pass it as ``after`` for the next page);
    items come on the first page. ``until`` is when this answer was read: the next ``since``.
    """
    until = timezone.now()
    result: dict[str, Any] = {
        "format": CHANGES_FORMAT,
        "format_version": FORMAT_VERSION,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "items": [],
        "removed_items": [],
    }
    if not after:
        live = item_rows().filter(updated_at__gte=since)
        result["items"] = [item_dict(item) for item in live]
        codes = {item["basic_code"] for item in result["items"]}
        result["removed_items"] = sorted(
            set(CatalogueItem.objects.filter(updated_at__gte=since).values_list("basic_code", flat=True))
            - codes
        )
    changed = ImplementationEntry.objects.filter(updated_at__gte=since).order_by("implementation_code")
    if after:
        changed = changed.filter(implementation_code__gt=after)
    page = list(changed.values_list("implementation_code", flat=True)[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    live_entries = [entry_dict(e) for e in entry_rows().filter(implementation_code__in=page)]
    live_codes = {e["implementation_code"] for e in live_entries}
    result["implementations"] = live_entries
    result["removed_implementations"] = [code for code in page if code not in live_codes]
    result["next_after"] = page[-1] if more else None
    return result
