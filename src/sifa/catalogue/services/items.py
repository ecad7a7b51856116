"""Authoring commands on catalogue items: create, draft, edit a draft and its children, publish,
withdraw. Each is atomic, checks permission and is audited.

Permission: a catalogue admin (``Role.CATALOGUE_ADMIN``) of the item's owning organisation or of
an organisation above it (the membership path is a prefix of the owner's path), or a superuser.
``system=True`` is for the loader command, which acts for the platform itself.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from sifa.audit.services import record
from sifa.catalogue import forms
from sifa.catalogue.errors import quality_gate, version_immutable
from sifa.catalogue.identifiers import validate_basic_code
from sifa.catalogue.models import (
    CatalogueItem,
    ExerciseLevel,
    Fee,
    FormSchema,
    HandlingForm,
    ImplementationEntry,
    ItemVersion,
    Material,
    OnlineDepthCode,
    ProcessDefinition,
    ServiceObject,
    Situation,
    Stage,
    Topic,
    VersionStatus,
)
from sifa.catalogue.quality import check_version
from sifa.catalogue.services import guide_pages
from sifa.catalogue.services.listing import refresh_items
from sifa.catalogue.services.pages import changed
from sifa.catalogue.services.search_index import index_item
from sifa.core.errors import Conflict, Forbidden, ServiceError
from sifa.organisations.models import Organisation, Role
from sifa.organisations.scope import actor_for

# Fields of a version an admin may edit in a draft; the rest is set by commands.
_SET_BY_COMMANDS = ("item_id", "number", "published_at", "published_by_id", "source_digest", "created_at")
VERSION_EDITABLE = (*(n for n in ItemVersion.content_attnames() if n not in _SET_BY_COMMANDS), "valid_until")
_CODE_LISTS = {
    "handling_forms": HandlingForm.values,
    "online_depth_codes": OnlineDepthCode.values,
}
_ITEM_CODE_LISTS = {
    "exercise_levels": ExerciseLevel.values,
    "service_objects": ServiceObject.values,
    "topics": Topic.values,
}
_CHILD_EXCLUDE = ("id", "version", "process")


def can_author(user: Any, owner: Organisation) -> bool:
    """Whether ``user`` is a catalogue admin of ``owner`` or of an organisation above it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    actor = actor_for(user)
    return actor.is_superuser or any(
        owner.path.startswith(p) for p in actor.paths_for([Role.CATALOGUE_ADMIN])
    )


def _authorise(user: Any, owner: Organisation, system: bool) -> None:
    if system or can_author(user, owner):
        return
    raise Forbidden(
        "只有事项所属机构或上级机构的事项管理员才能维护该事项", code="catalogue.permission_denied"
    )


def audit_item(
    action: str, user: Any, subject: CatalogueItem | ItemVersion, detail: dict | None = None
) -> None:
    """The audit event ``catalogue.<action>`` of a change to an item or one of its versions, in the
    caller's transaction (the event names the version when a version changed)."""
    item = subject.item if isinstance(subject, ItemVersion) else subject
    changed()
    record(
        f"catalogue.{action}",
        actor=user,
        organisation=item.owner,
        role=Role.CATALOGUE_ADMIN if user is not None else "",
        subject=subject,
        detail=detail or {},
        scope_path=item.owner.path,
    )


def _errors_from(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    out = []
    for field, messages in exc.message_dict.items():
        name = f"{prefix}{field}" if field != "__all__" else prefix.rstrip(".")
        out += [{"field": name, "code": "field.invalid", "message": str(m)} for m in messages]
    return out


def _invalid(errors: list[dict[str, str]]) -> ServiceError:
    return ServiceError("validation_error", "提交的数据有误，请按提示修改", errors=errors)


def _check_code_list(field: str, value: Any, allowed: list[str]) -> list[dict[str, str]]:
    if not isinstance(value, list) or any(not isinstance(v, str) or v not in allowed for v in value):
        return [
            {
                "field": field,
                "code": "field.invalid_choice",
                "message": f"应为代码列表，可选值：{'、'.join(allowed)}",
            }
        ]
    return []


def _check_legal_basis(value: Any) -> list[dict[str, str]]:
    ok = isinstance(value, list) and all(
        isinstance(ref, dict)
        and isinstance(ref.get("law"), str)
        and ref["law"].strip()
        and isinstance(ref.get("article", ""), str)
        for ref in value
    )
    if ok:
        return []
    return [
        {
            "field": "legal_basis",
            "code": "field.invalid",
            "message": "设定依据应为列表，每项包含法律名称（law）和条款（article）",
        }
    ]


def _require_draft(version: ItemVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise version_immutable()


# --- items -----------------------------------------------------------------------------------


@transaction.atomic
def create_item(
    *,
    by: Any = None,
    system: bool = False,
    owner: Organisation,
    basic_code: str,
    name: str,
    item_type: str,
    parent: CatalogueItem | None = None,
    level: int = 1,
    legal_basis: list | None = None,
    exercise_levels: list | None = None,
    service_objects: list | None = None,
    topics: list | None = None,
    source: str = "",
) -> CatalogueItem:
    _authorise(by, owner, system)
    item = CatalogueItem(
        basic_code=validate_basic_code(basic_code),
        name=name,
        item_type=item_type,
        parent=parent,
        level=level,
        legal_basis=legal_basis or [],
        exercise_levels=exercise_levels or [],
        service_objects=service_objects or [],
        topics=topics or [],
        owner=owner,
        source=source,
    )
    errors = _check_legal_basis(item.legal_basis)
    for field, allowed in _ITEM_CODE_LISTS.items():
        errors += _check_code_list(field, getattr(item, field), allowed)
    try:
        item.full_clean()
    except ValidationError as exc:
        errors += _errors_from(exc)
    if errors:
        raise _invalid(errors)
    item.save()
    audit_item("item.create", by, item, {"name": name})
    return item


# The item's own columns (GB/T 39046 表4) a command may change in place: they are not part of a
# version's frozen content, so a change needs no new version. The type, the level and the parent
# are part of the 基本编码 and never change.
ITEM_EDITABLE = ("name", "legal_basis", "exercise_levels", "service_objects", "topics", "source")
# What the search index reads of an item (``search.document``): a change re-indexes it.
_INDEXED = {"name", "legal_basis", "topics"}


@transaction.atomic
def update_item(
    item: CatalogueItem, fields: dict[str, Any], *, by: Any = None, system: bool = False
) -> CatalogueItem:
    """Change the item's own fields (``ITEM_EDITABLE``: 事项名称, 设定依据, 行使层级, 服务对象, 服务主题,
    内容来源) in place, checked like :func:`create_item`. The list's read model, the search index
    (the item, and its 子项 when the name changed: their document carries it), the page cache and the
    open data follow; a field the guide shows (all but ``source``) touches the item's entries too (for
    ``changed_since`` and the guide PDF's cache key), and the stored guide pages are stale from the
    new ``updated_at`` and rendered again on their next visit (``guide_pages``). Audited as
    ``catalogue.item.update`` with the names of the changed fields and each one's old and new value;
    nothing changed, nothing written."""
    _authorise(by, item.owner, system)
    unknown = sorted(set(fields) - set(ITEM_EDITABLE))
    if unknown:
        raise _invalid(
            [{"field": n, "code": "field.unknown", "message": "不能修改该字段或字段不存在"} for n in unknown]
        )
    item = CatalogueItem.objects.select_for_update().get(pk=item.pk)
    changes = {name: value for name, value in fields.items() if getattr(item, name) != value}
    if not changes:
        return item
    before = {name: getattr(item, name) for name in changes}
    for name, value in changes.items():
        setattr(item, name, value)
    errors = _check_legal_basis(item.legal_basis) if "legal_basis" in changes else []
    for name in set(changes) & set(_ITEM_CODE_LISTS):
        errors += _check_code_list(name, changes[name], _ITEM_CODE_LISTS[name])
    try:
        unchanged = [f.name for f in CatalogueItem._meta.fields if f.name not in changes]
        item.full_clean(exclude=unchanged, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors += _errors_from(exc)
    if errors:
        raise _invalid(errors)
    item.save(update_fields=[*sorted(changes), "updated_at"])
    if set(changes) - {"source"}:
        # The guide shows them: its PDF's cache key and the entries' changed_since follow the entries.
        ImplementationEntry.objects.filter(item=item).update(updated_at=item.updated_at)
    if _INDEXED & set(changes):
        index_item(item)
        if "name" in changes:
            for child in item.children.select_related("parent"):
                index_item(child)
    refresh_items([item.pk])
    detail: dict[str, Any] = {"fields": sorted(changes)}
    detail.update({name: {"from": before[name], "to": changes[name]} for name in sorted(changes)})
    audit_item("item.update", by, item, detail)
    return item


def update_item_source(
    item: CatalogueItem, source: str, *, by: Any = None, system: bool = False
) -> CatalogueItem:
    """Replace the item's 内容来源 note (:func:`update_item` with ``source`` alone; audited with
    ``{"fields": ["source"], "source": {"from", "to"}}``)."""
    return update_item(item, {"source": source}, by=by, system=system)


def current_version(item: CatalogueItem) -> ItemVersion | None:
    return item.versions.filter(status=VersionStatus.PUBLISHED).first()


@transaction.atomic
def new_draft(item: CatalogueItem, *, by: Any = None, system: bool = False) -> ItemVersion:
    """A draft copied from the live version with all its children (or an empty one for a new item)."""
    _authorise(by, item.owner, system)
    CatalogueItem.objects.select_for_update().filter(pk=item.pk).first()
    if item.versions.filter(status=VersionStatus.DRAFT).exists():
        raise Conflict("catalogue.draft_exists", "该事项已有草稿版本，请先发布或撤回该草稿")
    base = current_version(item) or item.versions.order_by("-number").first()
    number = (item.versions.aggregate(top=models.Max("number"))["top"] or 0) + 1
    draft = ItemVersion(item=item, number=number, status=VersionStatus.DRAFT)
    if base is not None:
        for name in VERSION_EDITABLE:
            setattr(draft, name, getattr(base, name))
        draft.valid_until = None
    draft.save()
    if base is not None:
        _copy_children(base, draft)
    refresh_items([item.pk])  # the list shows every version of an item
    audit_item("version.draft", by, draft, {"from": base.number if base else None})
    return draft


def _clone(row: models.Model, **changes: Any) -> models.Model:
    values = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if f.name != "id"}
    values.update(changes)
    return type(row)(**values)


def _copy_children(base: ItemVersion, draft: ItemVersion) -> None:
    for manager in (base.fees, base.materials, base.situations):
        rows = [_clone(row, version_id=draft.pk) for row in manager.all()]
        if rows:
            type(rows[0]).objects.bulk_create(rows)
    form = getattr(base, "form", None)
    if form is not None:
        FormSchema.objects.create(version=draft, schema=form.schema)
    process = getattr(base, "process", None)
    if process is not None:
        copy = ProcessDefinition.objects.create(version=draft, bpmn_file=process.bpmn_file)
        Stage.objects.bulk_create([_clone(s, process_id=copy.pk) for s in process.stages.all()])


@transaction.atomic
def update_draft(
    version: ItemVersion, fields: dict[str, Any], *, by: Any = None, system: bool = False
) -> ItemVersion:
    """Change content fields of a draft; ``form`` (a JSON Schema) and ``bpmn_file`` are accepted too."""
    item = version.item
    _authorise(by, item.owner, system)
    version = ItemVersion.objects.select_for_update().get(pk=version.pk)
    _require_draft(version)
    errors: list[dict[str, str]] = []
    form_schema = fields.get("form")
    unknown = sorted(set(fields) - set(VERSION_EDITABLE) - {"form", "bpmn_file"})
    errors += [
        {"field": name, "code": "field.unknown", "message": "不能修改该字段或字段不存在"} for name in unknown
    ]
    for name in set(fields) & set(VERSION_EDITABLE):
        setattr(version, name, fields[name])
        if name in _CODE_LISTS:
            errors += _check_code_list(name, fields[name], _CODE_LISTS[name])
    if form_schema is not None:
        if not isinstance(form_schema, dict):
            errors.append({"field": "form", "code": "field.invalid", "message": "表单定义应为JSON对象"})
        else:
            errors += forms.check_schema(form_schema)
    if "bpmn_file" in fields and not isinstance(fields["bpmn_file"], str):
        errors.append({"field": "bpmn_file", "code": "field.invalid", "message": "BPMN 文件名应为字符串"})
    try:
        version.full_clean(exclude=["item", "published_by"], validate_constraints=False)
    except ValidationError as exc:
        errors += _errors_from(exc)
    if errors:
        raise _invalid(errors)
    version.save()
    if form_schema is not None:
        FormSchema.objects.update_or_create(version=version, defaults={"schema": form_schema})
    if "bpmn_file" in fields:
        ProcessDefinition.objects.update_or_create(
            version=version, defaults={"bpmn_file": fields["bpmn_file"]}
        )
    if {"valid_from", "valid_until"} & set(fields):
        refresh_items([item.pk])  # the list shows each version's dates
    audit_item("version.update", by, version, {"fields": sorted(fields)})
    return version


# --- children of a draft ----------------------------------------------------------------------


def _save_child(row: models.Model, data: dict[str, Any], label: str) -> models.Model:
    allowed = {f.name for f in row._meta.concrete_fields if f.name not in _CHILD_EXCLUDE}
    errors = [
        {"field": n, "code": "field.unknown", "message": "字段不存在"} for n in sorted(set(data) - allowed)
    ]
    for name in set(data) & allowed:
        setattr(row, name, data[name])
    try:
        row.full_clean(exclude=["version", "process"])
    except ValidationError as exc:
        errors += _errors_from(exc)
    if isinstance(row, Material) and (
        not isinstance(row.situations, list)
        or not all(isinstance(s, str) and "=" in s for s in row.situations)
    ):
        errors.append(
            {"field": "situations", "code": "field.invalid", "message": "适用情形应为“情形代码=选项值”的列表"}
        )
    if errors:
        raise _invalid(errors)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise Conflict(f"catalogue.{label}_duplicate", "同一版本中已存在相同代码或顺序的记录") from None
    return row


def _locked(version_id: int) -> ItemVersion:
    """The version row locked for this transaction (only its own row), with its item's owner."""
    return (
        ItemVersion.objects.select_for_update(of=("self",)).select_related("item__owner").get(pk=version_id)
    )


def _child_version(row: models.Model) -> ItemVersion:
    version = row.process.version if isinstance(row, Stage) else row.version
    return _locked(version.pk)


def _draft_process(version: ItemVersion) -> ProcessDefinition:
    return ProcessDefinition.objects.get_or_create(version=version)[0]


@transaction.atomic
def add_child(version: ItemVersion, kind: str, data: dict[str, Any], *, by: Any = None, system: bool = False):
    """Add a ``material``, ``stage``, ``situation`` or ``fee`` to a draft."""
    version = _locked(version.pk)
    _authorise(by, version.item.owner, system)
    _require_draft(version)
    model = _CHILD_MODELS.get(kind)
    if model is None:
        raise ServiceError("catalogue.unknown_child", "不支持的子项类型")
    row = model(process=_draft_process(version)) if model is Stage else model(version=version)
    row = _save_child(row, data, kind)
    audit_item(f"{kind}.add", by, version, {"id": row.pk})
    return row


@transaction.atomic
def update_child(row: models.Model, data: dict[str, Any], *, by: Any = None, system: bool = False):
    version = _child_version(row)
    _authorise(by, version.item.owner, system)
    _require_draft(version)
    kind = _CHILD_KINDS[type(row)]
    row = _save_child(type(row).objects.get(pk=row.pk), data, kind)
    audit_item(f"{kind}.update", by, version, {"id": row.pk})
    return row


@transaction.atomic
def remove_child(row: models.Model, *, by: Any = None, system: bool = False) -> None:
    version = _child_version(row)
    _authorise(by, version.item.owner, system)
    _require_draft(version)
    kind, pk = _CHILD_KINDS[type(row)], row.pk
    row.delete()
    audit_item(f"{kind}.remove", by, version, {"id": pk})


_CHILD_MODELS: dict[str, type[models.Model]] = {
    "material": Material,
    "stage": Stage,
    "situation": Situation,
    "fee": Fee,
}
_CHILD_KINDS = {model: kind for kind, model in _CHILD_MODELS.items()}


# --- publishing -------------------------------------------------------------------------------


@transaction.atomic
def publish_version(version: ItemVersion, *, by: Any = None, system: bool = False) -> ItemVersion:
    """Publish a draft through the quality gate; the live version (if any) is superseded."""
    version = _locked(version.pk)
    item = version.item
    _authorise(by, item.owner, system)
    _require_draft(version)
    problems = check_version(version)
    if problems:
        raise quality_gate(problems)
    now = timezone.now()
    live = ItemVersion.objects.select_for_update().filter(item=item, status=VersionStatus.PUBLISHED).first()
    if live is not None:
        live.status = VersionStatus.SUPERSEDED
        live.valid_until = now
        live.save()
    version.status = VersionStatus.PUBLISHED
    version.published_at = now
    version.published_by = by if getattr(by, "pk", None) else None
    version.valid_from = version.valid_from or now
    version.save()
    # Entries follow the live version; the timestamp lets provincial platforms sync (changed_since).
    ImplementationEntry.objects.filter(item=item).update(version=version, updated_at=now)
    CatalogueItem.objects.filter(pk=item.pk).update(updated_at=now)
    index_item(item)
    guide_pages.rebuild_item(item, version)
    refresh_items([item.pk])
    audit_item("version.publish", by, version, {"superseded": live.number if live else None})
    return version


@transaction.atomic
def withdraw_version(version: ItemVersion, *, by: Any = None, system: bool = False) -> ItemVersion:
    """Withdraw a published version (the item is no longer offered) or discard a draft."""
    version = _locked(version.pk)
    item = version.item
    _authorise(by, item.owner, system)
    if version.status not in (VersionStatus.DRAFT, VersionStatus.PUBLISHED):
        raise version_immutable()
    now = timezone.now()
    was_live = version.status == VersionStatus.PUBLISHED
    version.status = VersionStatus.WITHDRAWN
    version.valid_until = now
    version.save()
    ImplementationEntry.objects.filter(item=item).update(updated_at=now)
    CatalogueItem.objects.filter(pk=item.pk).update(updated_at=now)
    if was_live:
        guide_pages.forget_item(item)
    refresh_items([item.pk])
    audit_item("version.withdraw", by, version)
    return version
