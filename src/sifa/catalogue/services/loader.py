"""Load the shipped catalogue content and generate the implementation lists (``sifa load-catalogue``).

Idempotent: an item whose live version was loaded from the same content (same SM3 digest) is left
alone; changed content becomes a new version through the normal draft → quality gate → publish
path. The item's ``source`` note is not version content: it is kept out of the digest, and a changed
text is written to the item in place (``update_item_source``), without a new version (docs/catalogue.md,
"内容来源 is public too"). Entries are generated for every organisation that implements an item at its
level, in bulk (≈ 50k rows for a full national tree), and existing entries are kept.
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
    update_item_source,
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
    sources_updated: list[str] = field(default_factory=list)  # 内容来源 rewritten in place
    entries_created: int = 0
    skipped_organisations: list[str] = field(default_factory=list)
    synonyms_seeded: int = 0


def _code(parts: tuple[str, int, int]) -> str:
    return basic_code(*parts)


# Keys of an item's spec that are the item's, not its versions', and that the loader writes to the
# item in place when they change (a published version's frozen content does not include them).
ITEM_IN_PLACE = ("source",)

# Live versions loaded before ``source`` left the digest whose ``source`` has been corrected since
# (a design-document reference taken out of five items' 内容来源, 2026-12-07): the digest of the
# content as shipped now → the digest the version was loaded under (the whole spec with the old
# ``source``). A pair only matches while the content stays exactly as it was; any later change of
# the content gives another digest, and a new version, as always.
LOADED_BEFORE_SOURCE_CORRECTION = {
    "1bb0f72d844d8774c8f565e24a482e7fa5f79da32725c68da198d5b7174ef7ca": "52d362209b483e5087e08d87e042482f94d6a56d3bd4fb9fd2eac1761d3e674b",  # 特许律师执业许可
    "ea0938c89e7e19c26514dd826986203bc655c2768223e2024170e4306a20ac4d": "a9a699e099f21ddde67f5195cc6d9e7473166a654f3b18c16c8f713ac9ac128b",  # 司法鉴定机构登记
    "d37be29c46b411f8ca0803b3a4d475fd9631bca78aba5ab51895ed582c4ec76a": "b32a2275b7e3e8e1593ce57be7de3235c6c3dd784f5f496e84ce6c717a27ca45",  # 司法鉴定人执业登记
    "f15fb1fa8432c2d0db31c013693bb08b25ace79b449e301667eeadcc449bf380": "5bdcba57a94df30e3c14e0dc761e4de33fdb369b6553461830c064e626f4c0b1",  # 基层法律服务工作者执业核准
    "5d9cc69f6399f9f3d66a6918b7a0b986fad5365290cc9ade3cc6f506a8275997": "b2b03aaac44162f71fe1382b4040ddf84d18f94ffdbcc24932aa13d9aca45a3b",  # 法律职业资格认定
}


def _digest(spec: dict) -> str:
    return sm3_hex(json.dumps(spec, ensure_ascii=False, sort_keys=True, default=str).encode())


def content_digest(spec: dict) -> str:
    """The SM3 digest a live version loaded from ``spec`` carries: the spec without the keys the
    item keeps itself (``ITEM_IN_PLACE``)."""
    return _digest({key: value for key, value in spec.items() if key not in ITEM_IN_PLACE})


def _loaded_from(live_digest: str, spec: dict) -> bool:
    """Whether a live version with ``live_digest`` was loaded from the content of ``spec``. Versions
    loaded before 2026-12-07 carry the digest of the whole spec, ``source`` included: they match
    while their ``source`` is unchanged, or through ``LOADED_BEFORE_SOURCE_CORRECTION``."""
    digest = content_digest(spec)
    return live_digest in (digest, _digest(spec), LOADED_BEFORE_SOURCE_CORRECTION.get(digest))


def _load_item(spec: dict, owner: Organisation, result: LoadResult) -> tuple[CatalogueItem, bool]:
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
    if item.source != spec["source"]:
        item = update_item_source(item, spec["source"], system=True)
        result.sources_updated.append(code)
    digest = content_digest(spec)
    live = current_version(item)
    if live is not None and _loaded_from(live.source_digest, spec):
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
            item, changed = _load_item(spec, owner, result)
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
