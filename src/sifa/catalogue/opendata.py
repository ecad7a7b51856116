"""Open data and backup of the catalogue: one JSON document, CSV files derived from it, import.

``export_catalogue(published_only=True)`` is the open-data view (items with their live version,
active entries); ``published_only=False`` is the full backup ``sifa export-catalogue`` writes (every
version, drafts included). Organisations are referred to by USCC (and name), so a file moves
between databases whose organisation trees were built from the same data. Timestamps that the
database sets on write (``updated_at``) and ``exported_at`` differ after a round trip; everything
else is reproduced exactly (docs/catalogue.md, "Export and import").
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from sifa.audit.services import record
from sifa.catalogue import search
from sifa.catalogue.models import (
    CatalogueItem,
    EntryStatus,
    Fee,
    FormSchema,
    ImplementationEntry,
    ItemVersion,
    Material,
    ProcessDefinition,
    Situation,
    Stage,
    VersionStatus,
)
from sifa.catalogue.opendata_columns import CSV_FILES
from sifa.core.errors import ServiceError
from sifa.organisations.models import Organisation, Region

FORMAT = "sifa.catalogue"
FORMAT_VERSION = 1
# Set by the database on every write, so they cannot survive an import unchanged.
VOLATILE_KEYS = ("exported_at", "updated_at")
_VERSION_SKIP = {"id", "item_id", "published_by_id", "created_at", "updated_at"}
_CHILD_SKIP = {"id", "version_id", "process_id"}
_ENTRY_FIELDS = (
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
    body = _row(version, _VERSION_SKIP)
    body["materials"] = [_row(m, _CHILD_SKIP) for m in version.materials.all()]
    body["situations"] = [_row(s, _CHILD_SKIP) for s in version.situations.all()]
    body["fees"] = [_row(f, _CHILD_SKIP) for f in version.fees.all()]
    form = getattr(version, "form", None)
    body["form"] = form.schema if form is not None else None
    process = getattr(version, "process", None)
    body["process"] = (
        {"bpmn_file": process.bpmn_file, "stages": [_row(s, _CHILD_SKIP) for s in process.stages.all()]}
        if process is not None
        else None
    )
    return body


def export_catalogue(*, published_only: bool = True) -> dict[str, Any]:
    """The catalogue as one JSON-ready dict (see the module docstring for the two uses)."""
    versions = ItemVersion.objects.select_related("form", "process").prefetch_related(
        "materials", "situations", "fees", "process__stages"
    )
    if published_only:
        versions = versions.filter(status=VersionStatus.PUBLISHED)
    items_qs = CatalogueItem.objects.select_related("owner", "parent").order_by("basic_code")
    if published_only:
        items_qs = items_qs.filter(versions__status=VersionStatus.PUBLISHED)
    items = items_qs.prefetch_related(models.Prefetch("versions", queryset=versions.order_by("number")))
    entries = ImplementationEntry.objects.select_related(
        "item", "version", "organisation", "accepting_organisation", "deciding_organisation"
    ).order_by("implementation_code")
    if published_only:
        entries = entries.filter(status=EntryStatus.ACTIVE, version__status=VersionStatus.PUBLISHED)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "scope": "published" if published_only else "all",
        "exported_at": timezone.now().isoformat(),
        "items": [
            {
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
            for item in items
        ],
        "implementations": [
            {
                **{name: _value(getattr(entry, name)) for name in _ENTRY_FIELDS},
                "basic_code": entry.item.basic_code,
                "version": entry.version.number,
                "organisation": _org_ref(entry.organisation),
                "accepting_organisation": _org_ref(entry.accepting_organisation),
                "deciding_organisation": _org_ref(entry.deciding_organisation),
                "region": entry.region_id,
                "updated_at": _value(entry.updated_at),
            }
            for entry in entries.iterator(chunk_size=2000)
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
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


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


# --- import -----------------------------------------------------------------------------------


def _bad_file(message: str) -> ServiceError:
    return ServiceError("catalogue.import.invalid", f"导入文件无效：{message}")


def _organisation(ref: Any, cache: dict[tuple[str, str], Organisation]) -> Organisation:
    if not isinstance(ref, dict) or not ref.get("uscc"):
        raise _bad_file("机构应包含统一社会信用代码（uscc）")
    key = (ref["uscc"], ref.get("name", ""))
    if key not in cache:
        candidates = list(Organisation.objects.filter(uscc=ref["uscc"]))
        match = next((o for o in candidates if o.name == key[1]), candidates[0] if candidates else None)
        if match is None:
            raise ServiceError(
                "catalogue.import.organisation_missing",
                f"导入失败：机构“{key[1]}”（{key[0]}）不存在，请先建立机构树",
            )
        cache[key] = match
    return cache[key]


def _datetimes(row: dict[str, Any], model: type[models.Model]) -> dict[str, Any]:
    out = dict(row)
    for f in model._meta.concrete_fields:
        if isinstance(f, models.DateTimeField) and isinstance(out.get(f.attname), str):
            out[f.attname] = parse_datetime(out[f.attname])
    return out


def _children(model: type[models.Model], rows: list[dict[str, Any]], **owner: Any) -> list[models.Model]:
    names = {f.attname for f in model._meta.concrete_fields} - _CHILD_SKIP
    return [model(**{k: v for k, v in row.items() if k in names}, **owner) for row in rows]


def _import_version(item: CatalogueItem, body: dict[str, Any]) -> ItemVersion:
    names = {f.attname for f in ItemVersion._meta.concrete_fields} - _VERSION_SKIP
    version = ItemVersion(item=item, **_datetimes({k: v for k, v in body.items() if k in names}, ItemVersion))
    version.save()
    # bulk_create writes the rows of an already-published version without the edit guards: this
    # is a restore of content that was validated when it was first published.
    Material.objects.bulk_create(_children(Material, body.get("materials", []), version=version))
    Situation.objects.bulk_create(_children(Situation, body.get("situations", []), version=version))
    Fee.objects.bulk_create(_children(Fee, body.get("fees", []), version=version))
    if body.get("form") is not None:
        FormSchema.objects.bulk_create([FormSchema(version=version, schema=body["form"])])
    if body.get("process") is not None:
        process = ProcessDefinition.objects.bulk_create(
            [ProcessDefinition(version=version, bpmn_file=body["process"].get("bpmn_file", ""))]
        )[0]
        Stage.objects.bulk_create(_children(Stage, body["process"].get("stages", []), process=process))
    return version


@transaction.atomic
def import_catalogue(data: Any, *, by: Any = None) -> dict[str, int]:
    """Restore an export into a database whose catalogue is empty; returns what was created."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _bad_file(f"不是 {FORMAT} 格式的目录文件")
    if data.get("format_version") != FORMAT_VERSION:
        raise _bad_file(f"格式版本应为 {FORMAT_VERSION}")
    if CatalogueItem.objects.exists() or ImplementationEntry.objects.exists():
        raise ServiceError(
            "catalogue.import.not_empty", "导入失败：目标数据库的事项目录不为空，只能导入到空目录"
        )
    orgs: dict[tuple[str, str], Organisation] = {}
    try:
        items: dict[str, CatalogueItem] = {}
        versions: dict[tuple[str, int], ItemVersion] = {}
        for body in data["items"]:
            item = CatalogueItem.objects.create(
                basic_code=body["basic_code"],
                name=body["name"],
                item_type=body["item_type"],
                level=body["level"],
                legal_basis=body["legal_basis"],
                exercise_levels=body["exercise_levels"],
                service_objects=body["service_objects"],
                topics=body["topics"],
                owner=_organisation(body["owner"], orgs),
                source=body.get("source", ""),
            )
            items[item.basic_code] = item
            for version_body in body["versions"]:
                versions[(item.basic_code, version_body["number"])] = _import_version(item, version_body)
        for body in data["items"]:
            if body.get("parent"):
                CatalogueItem.objects.filter(basic_code=body["basic_code"]).update(
                    parent=items[body["parent"]]
                )
        regions = set(
            Region.objects.filter(code__in={e.get("region") for e in data["implementations"]}).values_list(
                "code", flat=True
            )
        )
        rows = []
        for body in data["implementations"]:
            if body.get("region") and body["region"] not in regions:
                raise _bad_file(f"行政区划 {body['region']} 不存在")
            rows.append(
                ImplementationEntry(
                    **{name: body[name] for name in _ENTRY_FIELDS},
                    item=items[body["basic_code"]],
                    version=versions[(body["basic_code"], body["version"])],
                    organisation=_organisation(body["organisation"], orgs),
                    accepting_organisation=_organisation(body["accepting_organisation"], orgs),
                    deciding_organisation=_organisation(body["deciding_organisation"], orgs),
                    region_id=body.get("region"),
                )
            )
        ImplementationEntry.objects.bulk_create(rows, batch_size=2000)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _bad_file(f"缺少或无法识别的内容（{exc.__class__.__name__}: {exc}）") from None
    search.reindex_all()
    counts = {"items": len(items), "versions": len(versions), "implementations": len(rows)}
    record(
        "catalogue.import",
        actor=by,
        object_type="catalogue.catalogue",
        object_id=data.get("exported_at", ""),
        detail=counts,
    )
    return counts
