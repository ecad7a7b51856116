"""What an audit event is about: one naming rule for ``object_type`` and ``object_id``.

Every event names its object as ``object_type = "<app_label>.<ModelName>"`` (Django's
``_meta.label``, e.g. ``applications.Application``) and ``object_id`` = the identifier the object
shows to users and in the API (办件编号, 证照标识, a public UUID, a code). The internal primary key
is used only where a model has no other identifier, and the table below says so. Objects that are
not rows of a model (a seal certificate lives in the key store, an imported catalogue file is a
file) get a pseudo-label of the same shape, listed here and nowhere else.

:data:`OBJECT_TYPES` is the one table; :func:`subject_of` turns a model instance (or a model class,
for an event about a batch of rows: no id) or an :class:`AuditSubject` pair into the
``(object_type, object_id)`` that :func:`sifa.audit.services.record` stores. An unlisted type is
refused, so call sites cannot drift. docs/audit.md prints the same table.

The audit app sits below the domain apps, so the table names models by label and reads their
identifiers by attribute; it imports none of them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.apps import apps


@dataclass(frozen=True)
class ObjectType:
    """One kind of audited object.

    ``public_id`` reads the identifier from an instance. ``id_source`` says in words what it is
    (for the docs); ``internal`` is True where that is the primary key because the model exposes
    nothing else. ``name`` is the Chinese name of a pseudo-type (a model's is its verbose name).
    """

    label: str
    id_source: str
    public_id: Callable[[Any], Any] | None = None
    internal: bool = False
    name: str = ""

    @property
    def pseudo(self) -> bool:
        return self.public_id is None


def _attr(path: str) -> Callable[[Any], Any]:
    return operator.attrgetter(path)


def _application_id(application: Any) -> str:
    # A draft has no 办件编号 yet: its UUID (which the applicant's own draft URL carries) until one is assigned.
    return application.number or str(application.pk)


def _version_id(version: Any) -> str:
    return f"{version.item.basic_code}/v{version.number}"


_TYPES = [
    ObjectType("accounts.User", "公开标识 public_id（UUID）", _attr("public_id")),
    ObjectType("accounts.NaturalPerson", "自然人 id（UUID，API 中的 id；绝不用身份证号）", _attr("pk")),
    ObjectType("accounts.LegalPerson", "法人 id（UUID，API 中的 id）", _attr("pk")),
    ObjectType("accounts.Mandate", "委托 id（UUID，API 中的 id）", _attr("pk")),
    ObjectType("accounts.ConsentRecord", "同意记录 id（API 中的 id）", _attr("pk")),
    ObjectType("accounts.ApiToken", "令牌的内部主键（令牌本身不可公开）", _attr("pk"), internal=True),
    ObjectType("applications.Application", "办件编号（提交前为草稿的 UUID）", _application_id),
    ObjectType("catalogue.CatalogueItem", "基本编码 basic_code", _attr("basic_code")),
    ObjectType("catalogue.ItemVersion", "基本编码/v版本号（如 …/v2）", _version_id),
    ObjectType(
        "catalogue.SearchSynonym", "同义词的内部主键（工作台表单中的 id）", _attr("pk"), internal=True
    ),
    ObjectType("complaints.Complaint", "投诉编号 number（如 TS33010620261204000001）", _attr("number")),
    ObjectType("consultation.Faq", "公开标识 public_id（UUID）", _attr("public_id")),
    ObjectType("consultation.Ticket", "工单编号 number（如 ZX33010620261204000001）", _attr("number")),
    ObjectType("evaluation.Rating", "评价 id（API 中的 id）", _attr("pk")),
    ObjectType("evaluation.Rectification", "整改 id（API 地址中的 id）", _attr("pk")),
    ObjectType("evaluation.RatingLink", "评价邀请的内部主键（链接本身不可公开）", _attr("pk"), internal=True),
    ObjectType("disclosure.Notice", "公开标识 public_id（UUID，公开地址中的 id）", _attr("public_id")),
    ObjectType("inspections.MockApplication", "公开标识 public_id（UUID）", _attr("public_id")),
    ObjectType("inspections.RandomCheck", "公开标识 public_id（UUID）", _attr("public_id")),
    ObjectType("deadlines.CalendarDay", "日期（ISO 8601）", lambda day: day.date.isoformat()),
    ObjectType("deadlines.CalendarYear", "年份", _attr("year")),
    ObjectType("deadlines.CalendarNotice", "通知的内部主键（工作台地址中的 id）", _attr("pk"), internal=True),
    ObjectType("deadlines.ClockState", "时限的内部主键（时限不单独对外公开）", _attr("pk"), internal=True),
    ObjectType("documents.Document", "公开标识 public_id（UUID）", _attr("public_id")),
    ObjectType("exchange.OutboxItem", "消息标识 message_id（UUID）", _attr("message_id")),
    ObjectType("security.Incident", "公开标识 public_id（UUID）", _attr("public_id")),
    ObjectType("security.WeeklyReport", "公开标识 public_id（UUID）", _attr("public_id")),
    ObjectType("laws.Statute", "法规地址标识 slug（如 律师法-2017-09-01）", _attr("slug")),
    ObjectType(
        "indicators.MonthlyFigures", "内部主键；批量归并与重建（按类记录）时为空", _attr("pk"), internal=True
    ),
    ObjectType("licences.Licence", "证照标识 identifier（GB/T 36904）", _attr("identifier")),
    ObjectType("licences.LicenceAuthorisation", "用证授权 id（UUID，持证人撤销时使用）", _attr("pk")),
    ObjectType("licences.LicenceType", "证照类型代码 code", _attr("code")),
    ObjectType(
        "mediation.MediationCommittee", "人民调解委员会 id（API 中的 id）", _attr("pk"), internal=True
    ),
    ObjectType("mediation.Mediator", "人民调解员 id（API 中的 id）", _attr("pk"), internal=True),
    ObjectType("notifications.Delivery", "公开标识 public_id（UUID）", _attr("public_id")),
    ObjectType(
        "organisations.Organisation", "机构的内部主键（API 与工作台地址中的 id）", _attr("pk"), internal=True
    ),
    ObjectType("organisations.Region", "区划代码（GB/T 2260）", _attr("code")),
    # Pseudo-types: objects that are not rows of a model.
    ObjectType("documents.SealCertificate", "证书序列号（十六进制）", name="电子印章证书"),
    ObjectType("catalogue.Catalogue", "导出文件的 exported_at", name="事项目录导入文件"),
    ObjectType("conf.Backup", "备份目录名（如 postgresql-20261205T060000000000Z）", name="数据库备份"),
    ObjectType(
        "conf.Route",
        "地址名与地址中的标识（如 api-application-detail:TS…），答 404 的请求",
        name="页面或接口地址",
    ),
]

OBJECT_TYPES: dict[str, ObjectType] = {entry.label: entry for entry in _TYPES}
"""Every object type an audit event (or an access-log row) may name, by label."""


class AuditSubject(NamedTuple):
    """An explicit ``(object_type, object_id)`` pair: for pseudo-types, or an id already in hand."""

    object_type: str
    object_id: str = ""


NO_SUBJECT = AuditSubject("", "")
"""An event about no object (a login without a known account, an audit administrator's read)."""


def check_type(object_type: str) -> ObjectType:
    """The registered type, or ValueError naming the rule."""
    try:
        return OBJECT_TYPES[object_type]
    except KeyError:
        raise ValueError(
            f"audit object_type {object_type!r} is not registered: name objects '<app_label>.<ModelName>' "
            "and add the type to sifa.audit.subjects.OBJECT_TYPES (docs/audit.md)"
        ) from None


def subject_of(subject: Any) -> AuditSubject:
    """``(object_type, object_id)`` of a model instance, a model class (a batch: no id), an
    :class:`AuditSubject` or None."""
    if subject is None:
        return NO_SUBJECT
    if isinstance(subject, AuditSubject):
        if subject == NO_SUBJECT:
            return NO_SUBJECT
        check_type(subject.object_type)
        return AuditSubject(subject.object_type, str(subject.object_id or ""))
    meta = getattr(subject, "_meta", None)
    if meta is None:
        raise TypeError(
            f"an audit subject is a model instance, a model class or an AuditSubject, not {subject!r}"
        )
    kind = check_type(meta.label)
    if isinstance(subject, type):
        return AuditSubject(kind.label, "")
    if kind.public_id is None:  # pragma: no cover - pseudo-types have no model
        raise TypeError(f"{kind.label} is a pseudo-type: pass AuditSubject({kind.label!r}, id)")
    return AuditSubject(kind.label, str(kind.public_id(subject)))


def type_name(object_type: str) -> str:
    """The Chinese name of an object type (a model's verbose name, a pseudo-type's own), or the
    value itself when it is not a known type."""
    entry = OBJECT_TYPES.get(object_type)
    if entry is not None and entry.name:
        return entry.name
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type
