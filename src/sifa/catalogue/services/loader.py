"""Load the shipped catalogue content and generate the implementation lists (``sifa load-catalogue``).

Idempotent: an item whose live version was loaded from the same content (same SM3 digest) is left
alone; changed content becomes a new version through the normal draft → quality gate → publish
path. The item's own fields — 事项名称, 设定依据, 行使层级, 服务对象, 服务主题 and the ``source`` note
(``ITEM_IN_PLACE``) — are not version content: they are kept out of the digest, and a changed value
is written to the item in place (``update_item``, audited), without a new version (docs/catalogue.md,
"The item's own fields are written in place"). Entries are generated for every organisation that
implements an item at its level, in bulk (≈ 50k rows for a full national tree), and existing entries
are kept.
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
    update_item,
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
    items_updated: list[str] = field(default_factory=list)  # other own fields rewritten in place
    entries_created: int = 0
    skipped_organisations: list[str] = field(default_factory=list)
    synonyms_seeded: int = 0


def _code(parts: tuple[str, int, int]) -> str:
    return basic_code(*parts)


# Keys of an item's spec that are the item's own fields, not its versions' (a published version's
# frozen content does not include them), with the item's column each one is written to in place when
# it changes.
ITEM_IN_PLACE = {
    "name": "name",
    "legal_basis": "legal_basis",
    "levels": "exercise_levels",
    "objects": "service_objects",
    "topics": "topics",
    "source": "source",
}

# Live versions loaded while ``source`` was in the digest (until 2026-12-07) whose ``source`` has been
# corrected since: the digest of the content as shipped now (``content_digest``) → the digest the
# version was loaded under (the whole spec with the old ``source``). A design-document reference
# left four items' 内容来源 (2026-12-07; the fifth, 司法鉴定人执业登记, has a new version since) and an
# editors' note (“法律条文核对自 LawRefBook/Laws（2f4c5c2）”, data/common.py) seventeen items'. A pair
# only matches while the content stays exactly as it was; any later change of the content gives
# another digest, and a new version, as always.
LOADED_BEFORE_SOURCE_CORRECTION = {
    "7c94f80f37f8c8418610d3f4800840a2b7b9eca91b4eb1dba61e6b86758fff5f": "a63b754661fb0eebd5be1789aeaa99178651336acca4a8af402a6b17b093f89c",  # 律师执业许可
    "98378ddf743035f4d8230b15fdc5f6a36916cc812e79d103b5da44f1dbafd23d": "af2e279a5ad72d3bbc16e61d6864d0f56266b4614efcec5307dca9bb53a820fd",  # 律师执业许可（专职律师执业）
    "ff4938bd47c08d968c4b5ebd63b8587b96da71570f6786d50570a6b924cf637f": "6e363d2685c8314f66666c621e6780c79f27b5a24268ab9ddcd5ed0000e818d0",  # 律师执业许可（兼职律师执业）
    "d01130eb3b51ab0e2625a982694b797395567aba4ed2ce91eb8131a8b2d833ca": "4ae130cdc442e950cb41065504e4c15719ab2c7393bb98b76bde46cb4cd4820a",  # 律师执业变更许可（变更执业机构）
    "973d185af958fee4453e71312479eff6a8bd8bfe5e6d7a90bc708f223faeaf82": "c27c70496ca06d86812750598a6a1ecf4365a04480f8316ae6a5cbc65422ef13",  # 律师执业注销
    "b6530669b92597bf0b6ab2202812d7fe19bd48b43c27f5e89b0b91b59c7698b7": "203731b0d3ee00167452fd813d4fe5852e5c1609f7962fd89ddbc655744ea9b4",  # 律师事务所设立许可
    "c8b9008296885ffe11c319278c3839fa9a179e825f9e701bf71ba0042cbfdf3d": "1df89894a1f6a0fb3d82b26ab2817c42b1bac1b2b5d54529a54b60c2fe5a0646",  # 律师事务所分所设立许可
    "ac9b31f82ae0e51df9dd1c8c08d8c95a6d034a80c8d503e886bfa58ce2cab9a7": "5c38fe0da62863ce29b56acf00ccf2fd5cf1d17910d621925aa88a47bf2a5db9",  # 律师事务所变更许可
    "2e08b02dc2518c5628ed2ccd70b128b97204de7a913026762d34bddf497574c4": "ae8fe6bc89c04b1e633b160624e0d9a6ff55fcd73a9a499c3f6145638703bf7a",  # 律师事务所注销
    "4509b76861201ed6d2790e375e592230f0de4becad3f7bfc07cfe37f93ca76fe": "52d362209b483e5087e08d87e042482f94d6a56d3bd4fb9fd2eac1761d3e674b",  # 特许律师执业许可
    "98e52d3d9128c8685968c7d8c4f67facdc6fdfa58851999712ae7c212de2cb12": "5a1ab62952895156105648148c6e65a2ba70ec4fda3ae71df1e256953090f233",  # 公证员执业许可（任职）
    "3177462d8c175fe3942e77221b1850d81b78a7e91a6e49af2e34e2b8341c9853": "02d4143b935b8fdbab6fe7019b6daf67daf205f83998db4a4efdbcdfe091b02a",  # 公证机构设立审批
    "cc3b2af1e7a675d9c4b66cb89cb24e9e3050d5043d58e8b54fac67126f3a099b": "a9a699e099f21ddde67f5195cc6d9e7473166a654f3b18c16c8f713ac9ac128b",  # 司法鉴定机构登记
    "bb804c4b0f87e96b1b5bf42b12fbc21cf752f1cb8c32a2900962a4a723f0231d": "5bdcba57a94df30e3c14e0dc761e4de33fdb369b6553461830c064e626f4c0b1",  # 基层法律服务工作者执业核准
    "4acfa97d340d0e788578832ee23ef403a898ea5ed23444b47761c768ee18bc07": "b2b03aaac44162f71fe1382b4040ddf84d18f94ffdbcc24932aa13d9aca45a3b",  # 法律职业资格认定
    "5d7d60fedb217f18418d1d7a759ef1cb0213cae5a5426ab6c9c8d94b32ba5cc4": "339ac3813743d75258908bb38ef2a424359bd96cbf1b090b261f11ebec7e7c04",  # 外国律师事务所驻华代表机构设立许可
    "9995b1b32631933277ace3be2bab323fd75c224712cfe7beb10d55150105469b": "6f4fc1bfd04a2c283039c5ff596ada94691fb54e23cd208f6ee505d3a026a1d1",  # 法律援助申请
    "61832c89f1fd1fbbf1e5e090cf15c37d4e07a3e06ed599d6f12acd71392e2634": "3955123234706a7dc6ab30f07300ff96493db8b5c99d6fe6d63a1a5a6d53a6b6",  # 通知辩护指派律师
    "d5dbd9003aac1137953459e134e1dc17089fc79e0b4db9c6651d374b2e1ce409": "ef4e6de2c9f1c2ac9238437f42164a76fe854230c143557e97dca871bad38d71",  # 法律援助异议处理
    "79845678d7d6361113b858d7d87e7cd865b437c74d4cda9f6a4be77f6d767ade": "fc45f1f32748e13a02fc14e6f74ce6060a769bca64350f5c9a864d4df1714e75",  # 人民调解申请
}


def _digest(spec: dict) -> str:
    return sm3_hex(json.dumps(spec, ensure_ascii=False, sort_keys=True, default=str).encode())


def content_digest(spec: dict) -> str:
    """The SM3 digest a live version loaded from ``spec`` carries: the spec without the item's own
    fields (``ITEM_IN_PLACE``)."""
    return _digest({key: value for key, value in spec.items() if key not in ITEM_IN_PLACE})


def _loaded_from(live_digest: str, spec: dict) -> bool:
    """Whether a live version with ``live_digest`` was loaded from the content of ``spec``. Older
    versions carry the digest of more of the spec: of all of it until 2026-12-07 (matched while their
    ``source`` is unchanged, or through ``LOADED_BEFORE_SOURCE_CORRECTION``), then of all of it but
    ``source`` until the item's other own fields left it too (matched while those are unchanged)."""
    digest = content_digest(spec)
    without_source = _digest({key: value for key, value in spec.items() if key != "source"})
    return live_digest in (digest, without_source, _digest(spec), LOADED_BEFORE_SOURCE_CORRECTION.get(digest))


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
    fields = {
        column: spec[key] for key, column in ITEM_IN_PLACE.items() if getattr(item, column) != spec[key]
    }
    if fields:
        item = update_item(item, fields, system=True)
        if "source" in fields:
            result.sources_updated.append(code)
        if set(fields) - {"source"}:
            result.items_updated.append(code)
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
