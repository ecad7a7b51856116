"""Restoring a catalogue export (``sifa import-catalogue``) into a database whose catalogue is empty.

One transaction: the items, every version with its content, the 实施清单 entries, the search index
and the audit event ``catalogue.import`` commit together or not at all. The file format is the one
``sifa.catalogue.opendata.export_catalogue`` writes (docs/catalogue.md, "Export and import").
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils.dateparse import parse_datetime

from sifa.audit.services import AuditSubject, record
from sifa.catalogue.models import (
    CatalogueItem,
    Fee,
    FormSchema,
    ImplementationEntry,
    ItemVersion,
    Material,
    ProcessDefinition,
    Situation,
    Stage,
)
from sifa.catalogue.opendata import CHILD_SKIP, ENTRY_FIELDS, FORMAT, FORMAT_VERSION, VERSION_SKIP
from sifa.catalogue.services.listing import rebuild_all
from sifa.catalogue.services.search_index import reindex_all
from sifa.core.errors import ServiceError
from sifa.organisations.models import Organisation, Region


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
    names = {f.attname for f in model._meta.concrete_fields} - CHILD_SKIP
    return [model(**{k: v for k, v in row.items() if k in names}, **owner) for row in rows]


def _import_version(item: CatalogueItem, body: dict[str, Any]) -> ItemVersion:
    names = {f.attname for f in ItemVersion._meta.concrete_fields} - VERSION_SKIP
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
                    **{name: body[name] for name in ENTRY_FIELDS},
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
    reindex_all()
    rebuild_all()
    counts = {"items": len(items), "versions": len(versions), "implementations": len(rows)}
    record(
        "catalogue.import",
        actor=by,
        subject=AuditSubject("catalogue.Catalogue", data.get("exported_at", "")),
        detail=counts,
    )
    return counts
