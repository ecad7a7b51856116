"""Write path for regions and the organisation tree: the import and the build, both idempotent.

Both commands compare what is in the database with what should be there and write only the
difference, in bulk, inside one transaction — so a first run loads ~42k regions / ~50k
organisations in seconds, and a second run reads, compares and writes nothing. A run that
changes something records one audit event with the counts, in the same transaction.
They never delete: other tables point at regions and organisations with PROTECT.
"""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from sifa.audit.services import record
from sifa.organisations.models import Organisation, Region
from sifa.organisations.orgtree import OrgSpec, RegionRow, plan
from sifa.organisations.signals import organisations_renamed, tree_changed

REGIONS_FILE = Path(__file__).parent.parent / "data" / "regions.csv.gz"
BATCH_SIZE = 2000
_CODE_BY_LEVEL = {
    1: re.compile(r"^\d{2}0000$"),
    2: re.compile(r"^\d{6}$"),
    3: re.compile(r"^\d{6}$"),
    4: re.compile(r"^\d{12}$"),
}


class RegionFileError(ValueError):
    """The region file is unusable; the message (Chinese) names the line."""


@dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def read_region_file(path: Path = REGIONS_FILE) -> list[tuple[str, str, int, str | None, str]]:
    """Rows ``(code, name, level, parent_code, vintage)`` of a region file, parents first, validated."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = []
        seen: set[str] = set()
        for line, record in enumerate(reader, start=2):
            try:
                code, name, level = record["code"], record["name"].strip(), int(record["level"])
                parent, vintage = record["parent_code"] or None, record["vintage"]
            except (KeyError, TypeError, ValueError):
                raise RegionFileError(f"区划文件第{line}行格式错误") from None
            pattern = _CODE_BY_LEVEL.get(level)
            if pattern is None or not pattern.match(code) or not name:
                raise RegionFileError(f"区划文件第{line}行的代码、名称或层级无效：{code}")
            if (level == 1) != (parent is None) or (parent is not None and parent not in seen):
                raise RegionFileError(f"区划文件第{line}行的上级区划不存在或顺序错误：{code}")
            seen.add(code)
            rows.append((code, name, level, parent, vintage))
    return rows


@transaction.atomic
def import_regions(path: Path = REGIONS_FILE) -> SyncResult:
    """Upsert every region of the file; rows that already match are not written."""
    rows = read_region_file(path)
    existing = {
        code: (name, level, parent, vintage)
        for code, name, level, parent, vintage in Region.objects.order_by().values_list(
            "code", "name", "level", "parent_id", "vintage"
        )
    }
    changed = [
        Region(code=code, name=name, level=level, parent_id=parent, vintage=vintage)
        for code, name, level, parent, vintage in rows
        if existing.get(code) != (name, level, parent, vintage)
    ]
    created = sum(1 for region in changed if region.code not in existing)
    Region.objects.bulk_create(
        changed,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "level", "parent", "vintage"],
    )
    result = SyncResult(created=created, updated=len(changed) - created, unchanged=len(rows) - len(changed))
    _audit("organisation.regions_imported", Region, result, source=path.name)
    return result


_ORG_FIELDS = (
    "name",
    "short_name",
    "kind",
    "level",
    "region_id",
    "parent_id",
    "path",
    "uscc",
    "uscc_source",
    "document_code",
)


def _row_for(spec: OrgSpec, pk: int, parent_pk: int | None, path: str) -> dict:
    return {
        "name": spec.name,
        "short_name": spec.short_name,
        "kind": spec.kind,
        "level": spec.level,
        "region_id": spec.region_code,
        "parent_id": parent_pk,
        "path": path,
        "uscc": spec.uscc,
        "uscc_source": spec.uscc_source,
        "document_code": spec.document_code,
    }


@transaction.atomic
def build_organisations() -> SyncResult:
    """Create or correct the five-level tree implied by the regions (see docs/regions.md).

    A 机关代字 already set (configured, or derived by an earlier build) is never changed; the
    others are derived so that no two organisations share one (docs/documents.md).
    Primary keys are chosen here, so every materialized path is known before the insert: an
    organisation already in the tree keeps its id (matched on kind and region); a new one gets the
    next free id, in level/region-code order.
    """
    regions = [
        RegionRow(*values)
        for values in Region.objects.order_by().values_list("code", "name", "level", "parent_id")
    ]
    existing: dict[tuple[str, str], dict] = {}
    for values in Organisation.objects.order_by("id").values("id", *_ORG_FIELDS):
        existing.setdefault((values["kind"], values["region_id"] or ""), values)
    # Organisations outside the plan (made by hand) keep their 代字 too: reserve them under their own key.
    codes = {key: values["document_code"] for key, values in existing.items() if values["document_code"]}
    specs = plan(regions, codes)
    next_id = Organisation.objects.aggregate(top=Max("id"))["top"] or 0

    ids: dict[tuple[str, str], int] = {}
    paths: dict[tuple[str, str], str] = {}
    to_create: list[Organisation] = []
    to_update: list[Organisation] = []
    renamed: list[int] = []
    for spec in specs:
        current = existing.get(spec.key)
        if current is None:
            next_id += 1
            pk = next_id
        else:
            pk = current["id"]
        parent_pk = ids[spec.parent_key] if spec.parent_key else None
        path = (paths[spec.parent_key] if spec.parent_key else "/") + f"{pk}/"
        ids[spec.key], paths[spec.key] = pk, path
        row = _row_for(spec, pk, parent_pk, path)
        if current is None:
            to_create.append(Organisation(id=pk, **row))
        elif any(current[field] != row[field] for field in _ORG_FIELDS):
            to_update.append(Organisation(id=pk, **row))
            if current["name"] != row["name"]:
                renamed.append(pk)

    Organisation.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    Organisation.objects.bulk_update(
        to_update, [field.removesuffix("_id") for field in _ORG_FIELDS], batch_size=BATCH_SIZE
    )
    if to_create:
        _reset_id_sequence()
    if to_create or to_update:
        tree_changed()  # bulk writes send no post_save
    if renamed:
        organisations_renamed.send(sender=Organisation, ids=renamed)
    result = SyncResult(
        created=len(to_create), updated=len(to_update), unchanged=len(specs) - len(to_create) - len(to_update)
    )
    _audit("organisation.tree_built", Organisation, result)
    return result


def _audit(action: str, model: type, result: SyncResult, **detail: str) -> None:
    """One event for a run that changed something (the system acts: no actor, no jurisdiction)."""
    if result.created or result.updated:
        record(
            action,
            subject=model,  # a batch of rows: the type, no id
            detail={"created": result.created, "updated": result.updated, **detail},
        )


def _reset_id_sequence() -> None:
    """Explicit ids do not advance PostgreSQL's identity sequence; move it past them so that later
    ``Organisation.objects.create()`` calls do not collide. (SQLite's AUTOINCREMENT follows by itself.)"""
    statements = connection.ops.sequence_reset_sql(no_style(), [Organisation])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
