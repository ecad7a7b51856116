"""Materials: upload through the safe-upload gate, replace in place during correction."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, BinaryIO

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from sifa.applications.models import (
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    MaterialProvenance,
)
from sifa.applications.onceonly import subject_material
from sifa.applications.services.common import audit, invalid, require_actor
from sifa.applications.services.draft_materials import forget_materials
from sifa.applications.uploads import store_upload
from sifa.applications.uploads.sniff import kinds_of
from sifa.audit.models import AuditResult
from sifa.audit.services import record
from sifa.catalogue.models import Material
from sifa.core.db import FixedInsert, PreparedQuery, fixed_cursor
from sifa.core.errors import Conflict

EDITABLE = (ApplicationStatus.DRAFT, ApplicationStatus.CORRECTION_REQUIRED)


_MATERIAL_OF_VERSION = PreparedQuery(
    lambda version, pk: Material.objects.filter(version_id=version, pk=pk)[:1],
    -(10**12) - 1,
    -(10**12) - 2,
)
"""``Material.objects.filter(version_id=…, pk=…).first()`` (the model's ordering, ``LIMIT 1``),
compiled once per database: building it cost more than running it."""


def _material_row(version_id: int, wanted: int) -> Material | None:
    low, high = connection.ops.integer_field_range(Material._meta.pk.get_internal_type())
    if not (low is None or low <= wanted) or not (high is None or wanted <= high):
        # Out of the column's range: the ORM answers "no row" (Django's overflow rule) without
        # asking the database; a bound parameter would fail instead.
        return Material.objects.filter(version_id=version_id, pk=wanted).first()
    found = _MATERIAL_OF_VERSION.rows(version_id, wanted)
    return found[0] if found else None


def _material_of(application: Application, material_id: Any) -> Material:
    """The catalogue material ``material_id`` if the application asks for it: one of its version's
    materials that applies under its 情形 answers (what ``applicable_to`` lists, read as one row)."""
    try:
        wanted = int(material_id)
    except (TypeError, ValueError):
        wanted = None
    material = _material_row(application.version_id, wanted) if wanted is not None else None
    if material is None or not material.applies_to(application.situation_answers or {}):
        raise invalid(
            [{"field": "material", "code": "material.unknown", "message": "该事项在所选情形下不需要此材料"}]
        )
    return material


_LOCKED_COLUMNS = ("status", "channel", "accepting_organisation_id", "scope_path")
"""What the upload's writes read of the application (the status check, the provenance, the audit
event): read again under the row lock, the rest of the instance does not change meanwhile."""


@functools.cache
def _lock_sql(vendor: str) -> str:
    """``Application.objects.select_for_update().filter(pk=…).values_list(*_LOCKED_COLUMNS)``,
    written once (the columns need no converter; SQLite has no row locks: its transaction
    already holds the database's write lock)."""
    quote = connection.ops.quote_name
    meta = Application._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in _LOCKED_COLUMNS)
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    return sql + (" FOR UPDATE" if connection.features.has_select_for_update else "")


@functools.cache
def _supersede_sql(vendor: str) -> str:
    """``application.materials.filter(material=…, superseded=False).update(superseded=True)``."""
    quote = connection.ops.quote_name
    meta = ApplicationMaterial._meta
    flag = quote(meta.get_field("superseded").column)
    return (
        f"UPDATE {quote(meta.db_table)} SET {flag} = %s "  # noqa: S608 (names only)
        f"WHERE {quote(meta.get_field('application').column)} = %s "
        f"AND {quote(meta.get_field('material').column)} = %s AND {flag} = %s"
    )


def _lock(application: Application) -> None:
    """Lock the application's row and refresh what the writes read (``_LOCKED_COLUMNS``), in one
    narrow statement of fixed text instead of the command lock's joined read of the whole row."""
    with fixed_cursor(connection) as cursor:
        cursor.execute(
            _lock_sql(connection.vendor), [Application._meta.pk.get_db_prep_value(application.pk, connection)]
        )
        row = cursor.fetchone()
    if row is None:
        raise Application.DoesNotExist("Application matching query does not exist.")
    for name, value in zip(_LOCKED_COLUMNS, row, strict=True):
        setattr(application, name, value)


_MATERIAL = FixedInsert(ApplicationMaterial, with_pk=True)


def _store_row(application: Application, material: Material, row: ApplicationMaterial) -> None:
    """Supersede the material's live row and insert ``row`` (``ApplicationMaterial`` has no save
    override and nothing listens to its saves): the ORM's UPDATE and ``save(force_insert=True)``
    as statements of fixed text, each value prepared as the ORM prepares it."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: each field's preparation reads it
    boolean = ApplicationMaterial._meta.get_field("superseded")
    with fixed_cursor(db) as cursor:
        cursor.execute(
            _supersede_sql(db.vendor),
            [
                boolean.get_db_prep_save(True, db),
                Application._meta.pk.get_db_prep_value(application.pk, db),
                material.pk,
                boolean.get_db_prep_save(False, db),
            ],
        )
        cursor.execute(_MATERIAL.sql(db), _MATERIAL.params(row, db))
        _MATERIAL.saved(row, cursor, db)


def upload_material(
    application: Application,
    *,
    actor: Any,
    material_id: Any,
    fileobj: BinaryIO,
    filename: str,
    valid_until: dt.date | None = None,
    declared_content_type: str | None = None,
    fresh: bool = False,
) -> ApplicationMaterial:
    """Store one uploaded file for a material (replacing the current one, if any).

    The gate checks and stores the file before the row is written; a rejected file stores nothing
    and raises the gate's error (4xx with its code). If the transaction then fails the stored file
    is an orphan the storage sweep removes — never a row without a file.

    ``fresh``: the caller read ``application`` (with its version) in this request, e.g. the API's
    scoped read, so it is not read again before the checks. Either way the row is locked and its
    status checked again before anything is written.
    """
    forget_materials(application)  # the caller's instance no longer knows its live materials
    if not fresh:
        application = Application.objects.select_related("version").get(pk=application.pk)
    require_actor(actor, application)
    if application.status not in EDITABLE:
        raise Conflict("application.materials_locked", "当前状态下不能修改申请材料")
    material = _material_of(application, material_id)
    if subject_material(application, material):
        raise invalid(
            [
                {
                    "field": "material",
                    "code": "material.from_licence_library",
                    "message": f"{material.name}由电子证照库提供（本申请变更或注销的就是该证照），不能上传替换",
                }
            ]
        )
    if valid_until is not None and valid_until < timezone.localdate():
        # Said now, not only at pre-review: the applicant has the document in hand and can upload
        # one still valid (a material that expires while the draft waits is pre-review's finding).
        raise invalid(
            [
                {
                    "field": "valid_until",
                    "code": "material.expired",
                    "message": f"{material.name}已于{valid_until.year}年{valid_until.month}月{valid_until.day}日"
                    "过期，请上传有效期内的材料",
                }
            ]
        )
    verdict = store_upload(
        fileobj, filename, declared_content_type=declared_content_type, kinds=kinds_of(material.file_format)
    )
    if not verdict.accepted:
        # A security event (等保 入侵防范 f): the gate's code only, never the file's name or bytes.
        record(
            "application.material.upload_rejected",
            actor=actor,
            organisation=application.accepting_organisation_id,
            subject=application,
            result=AuditResult.DENIED,
            detail={"material": material.name, "code": verdict.code or ""},
            scope_path=application.scope_path,
        )
    verdict.raise_if_rejected()
    stored = verdict.stored
    with transaction.atomic():
        _lock(application)
        if application.status not in EDITABLE:
            raise Conflict("application.materials_locked", "当前状态下不能修改申请材料")
        row = ApplicationMaterial(
            application=application,
            material=material,
            provenance=MaterialProvenance.WINDOW_SCAN
            if application.channel == "window" and getattr(actor, "kind", "") == "staff"
            else MaterialProvenance.UPLOAD,
            storage_key=stored.key,
            display_name=stored.display_name,
            content_type=stored.content_type,
            size=stored.size,
            sm3=stored.sm3,
            valid_until=valid_until,
            uploaded_by=actor,
        )
        _store_row(application, material, row)
        audit(
            "material.upload",
            application,
            actor,
            {"material": material.name, "sm3": stored.sm3, "size": stored.size},
        )
    return row
