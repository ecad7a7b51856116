"""Load the shipped catalogue content and generate the implementation lists (``sifa load-catalogue``).

Idempotent: an item whose live version was loaded from the same content (same SM3 digest) is left
alone; changed content becomes a new version through the normal draft → quality gate → publish
path. Entries are generated for every organisation that implements an item at its level, in bulk
(≈ 50k rows for a full national tree), and existing entries are kept.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from sifa.catalogue.data.items import ITEMS
from sifa.catalogue.identifiers import basic_code
from sifa.catalogue.models import CatalogueItem, ImplementationEntry, ItemLevel, VersionStatus
from sifa.catalogue.services.items import (
    add_child,
    audit_item,
    create_item,
    current_version,
    new_draft,
    publish_version,
    remove_child,
    update_draft,
    withdraw_version,
)
from sifa.catalogue.services.listing import rebuild_all
from sifa.catalogue.services.search_index import reindex_all
from sifa.catalogue.services.synonyms import seed_synonyms
from sifa.core.crypto import sm3_hex
from sifa.core.errors import ServiceError
from sifa.core.identifiers import uscc_is_valid
from sifa.organisations.models import Organisation, OrganisationKind, OrganisationLevel

BATCH_SIZE = 2000


@dataclass
class LoadResult:
    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    entries_created: int = 0
    skipped_organisations: list[str] = field(default_factory=list)
    synonyms_seeded: int = 0


def _code(parts: tuple[str, int, int]) -> str:
    return basic_code(*parts)


def _digest(spec: dict) -> str:
    return sm3_hex(json.dumps(spec, ensure_ascii=False, sort_keys=True, default=str).encode())


def _load_item(spec: dict, owner: Organisation) -> tuple[CatalogueItem, bool]:
    code = _code(spec["code"])
    item = CatalogueItem.objects.filter(basic_code=code).first()
    if item is None:
        parent = CatalogueItem.objects.get(basic_code=_code(spec["parent"])) if spec.get("parent") else None
        item = create_item(
            system=True,
            owner=owner,
            basic_code=code,
            name=spec["name"],
            item_type=spec.get("type", spec["code"][0]),
            parent=parent,
            level=spec.get("level", ItemLevel.MAIN),
            legal_basis=spec["legal_basis"],
            exercise_levels=spec["levels"],
            service_objects=spec["objects"],
            topics=spec["topics"],
            source=spec["source"],
        )
    digest = _digest(spec)
    live = current_version(item)
    if live is not None and live.source_digest == digest:
        return item, False
    stale = item.versions.filter(status=VersionStatus.DRAFT).first()
    if stale is not None:
        withdraw_version(stale, system=True)
    draft = new_draft(item, system=True)
    for manager in (draft.fees, draft.materials, draft.situations):
        for row in manager.all():
            remove_child(row, system=True)
    if hasattr(draft, "process"):
        for row in draft.process.stages.all():
            remove_child(row, system=True)
    update_draft(draft, {**spec["version"], "form": spec["form"], "bpmn_file": spec["bpmn"]}, system=True)
    for kind, key in (
        ("situation", "situations"),
        ("material", "materials"),
        ("stage", "stages"),
        ("fee", "fees"),
    ):
        for order, row in enumerate(spec.get(key, []), start=1):
            add_child(draft, kind, {**row, "order": order}, system=True)
    # The digest is loader bookkeeping, not content an admin edits; the row is still a draft here.
    type(draft).objects.filter(pk=draft.pk, status=VersionStatus.DRAFT).update(source_digest=digest)
    draft.refresh_from_db()
    publish_version(draft, system=True)
    return item, True


def load_items(specs: Iterable[dict] = ITEMS) -> LoadResult:
    owner = Organisation.objects.filter(kind=OrganisationKind.MINISTRY, is_active=True).first()
    if owner is None:
        raise ServiceError("catalogue.no_ministry", "机构树中没有司法部，请先运行 sifa build-organisations")
    result = LoadResult()
    for spec in specs:
        with transaction.atomic():
            item, changed = _load_item(spec, owner)
        (result.published if changed else result.unchanged).append(item.basic_code)
    # Items loaded before the search index existed are unchanged, so publish did not index them.
    reindex_all()
    rebuild_all()  # the list's read model (publish kept it current; this also covers older loads)
    result.synonyms_seeded = seed_synonyms()
    return result


# --- implementation entries -------------------------------------------------------------------


def _ancestor_ids(org: dict) -> list[int]:
    return [int(part) for part in org["path"].strip("/").split("/") if part]


def _select(rule: str, orgs: list[dict], by_id: dict[int, dict]) -> list[dict]:
    """Organisations that implement an item under ``rule`` (see data/items.py)."""
    bureau = OrganisationKind.BUREAU

    def parent_level(org: dict) -> int | None:
        parent = by_id.get(org["parent_id"])
        return parent["level"] if parent else None

    predicates = {
        "ministry": lambda o: o["kind"] == OrganisationKind.MINISTRY,
        "province_bureaus": lambda o: o["kind"] == bureau and o["level"] == OrganisationLevel.PROVINCE,
        # 设区的市级或者直辖市的区 (律师法 §6, §18): city bureaus, and county-level bureaus directly
        # under a provincial-level bureau (the districts of a 直辖市).
        "prefecture_bureaus": lambda o: (
            o["kind"] == bureau
            and (
                o["level"] == OrganisationLevel.CITY
                or (o["level"] == OrganisationLevel.COUNTY and parent_level(o) == OrganisationLevel.PROVINCE)
            )
        ),
        "county_bureaus": lambda o: o["kind"] == bureau and o["level"] == OrganisationLevel.COUNTY,
        # 所在地的司法行政部门 (公证法 §9, §21): a notary office sits in a county, a city or a district
        # (§7), so the bureau of that place receives the application and reports it upwards.
        "local_bureaus": lambda o: (
            o["kind"] == bureau and o["level"] in (OrganisationLevel.CITY, OrganisationLevel.COUNTY)
        ),
        "legal_aid_centres": lambda o: o["kind"] == OrganisationKind.LEGAL_AID_CENTRE,
        "judicial_offices": lambda o: o["kind"] == OrganisationKind.JUDICIAL_OFFICE,
    }
    return [org for org in orgs if predicates[rule](org)]


def _decider(rule: str, org: dict, by_id: dict[int, dict]) -> int:
    ancestors = _ancestor_ids(org)
    if rule == "ministry":
        return ancestors[0]
    if rule == "province":
        return ancestors[1] if len(ancestors) > 1 else org["id"]
    if rule == "prefecture":
        parent = by_id.get(org["parent_id"])
        return parent["id"] if parent and parent["level"] == OrganisationLevel.CITY else org["id"]
    return org["id"]


def generate_entries(result: LoadResult | None = None) -> LoadResult:
    """Create the missing 实施清单 entries of every item that has an ``implement`` rule, with one
    audit event ``catalogue.entries.generate`` per item that got entries, in the same transaction."""
    result = result or LoadResult()
    orgs = list(
        Organisation.objects.filter(is_active=True)
        .order_by("path")
        .values("id", "name", "kind", "level", "parent_id", "path", "uscc", "region_id")
    )
    by_id = {org["id"]: org for org in orgs}
    valid_uscc = {org["id"] for org in orgs if uscc_is_valid(org["uscc"])}
    existing = set(ImplementationEntry.objects.values_list("item_id", "organisation_id"))
    items = {
        item.basic_code: item
        for item in CatalogueItem.objects.filter(versions__status=VersionStatus.PUBLISHED)
        .select_related("owner")
        .prefetch_related("versions")
    }
    rows: list[ImplementationEntry] = []
    for spec in ITEMS:
        rule = spec.get("implement")
        item = items.get(_code(spec["code"]))
        if not rule or item is None:
            continue
        version = next(v for v in item.versions.all() if v.status == VersionStatus.PUBLISHED)
        for org in _select(rule["implementer"], orgs, by_id):
            level = str(org["level"])
            if org["id"] not in valid_uscc or level not in item.exercise_levels:
                result.skipped_organisations.append(f"{item.basic_code}:{org['name']}")
                continue
            if (item.pk, org["id"]) in existing:
                continue
            decider = _decider(rule["decider"], org, by_id)
            rows.append(
                ImplementationEntry(
                    implementation_code=f"{org['uscc']}{level}{item.basic_code}",
                    item=item,
                    version=version,
                    organisation_id=org["id"],
                    exercise_level=level,
                    accepting_organisation_id=org["id"],
                    deciding_organisation_id=decider,
                    region_id=org["region_id"],
                    place=f"{org['name']}政务服务窗口",
                )
            )
    created = Counter(row.item.basic_code for row in rows)
    with transaction.atomic():
        ImplementationEntry.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        for code, count in sorted(created.items()):
            audit_item("entries.generate", None, items[code], {"entries_created": count})
    result.entries_created += len(rows)
    return result
