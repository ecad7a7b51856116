"""Pre-review (预审) and the one-time correction notice (一次性告知, 行政许可法 §32).

The automatic pre-review runs as a task after the submission commits. It never rejects on its
own: problems become :class:`PreReviewFinding` rows for a window clerk, who adds any of their own
and issues ONE notice listing every open finding. No problems → ``pending_acceptance`` and the
``ready_for_acceptance`` signal (after the commit) for the workflow.

Every notice sends ``correction_notice_issued(sender, notice, actor)`` *inside* its transaction:
``sifa.workflow`` connects to it to owe the sealed 补正告知书 document, so the promise to issue
it commits with the notice (the rendering itself runs after the commit, in a task).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from sifa.applications.models import (
    Application,
    ApplicationStatus,
    CorrectionNotice,
    PreReviewFinding,
)
from sifa.applications.services import numbers
from sifa.applications.services.common import (
    at_receiving_window,
    audit,
    invalid,
    notify_applicant,
    require_actor,
    staff_in_scope,
)
from sifa.applications.services.draft_materials import (
    current_materials,
    missing_material_errors,
    resolve_once_only,
)
from sifa.applications.services.drafts import _enqueue_pre_review, check_complete, lock
from sifa.applications.services.timeline import transition
from sifa.applications.signals import ready_for_acceptance
from sifa.catalogue.forms import has_field, validate_form
from sifa.core.errors import Conflict, NotFound, ServiceError
from sifa.core.identifiers import IdentifierError, parse_id_number, validate_uscc

NOTICE_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.PENDING_ACCEPTANCE)

_FORMAT_OF_TYPE = {
    "application/pdf": {"pdf"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/png": {"png"},
    "application/ofd": {"ofd"},
}
_RANGE_PAIRS = (("_from", "_until"), ("_from", "_to"), ("_start", "_end"))


def _identifier_findings(schema: dict[str, Any], data: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    properties = (schema or {}).get("properties") or {}
    for name, value in data.items():
        if not isinstance(value, str) or not value:
            continue
        spec = properties.get(name) or {}
        title = spec.get("title") or name
        widget = (spec.get("x-ui") or {}).get("widget")
        try:
            if name == "id_number" or name.endswith("_id_number") or widget == "id-number":
                parse_id_number(value)
            elif name == "uscc" or name.endswith("_uscc") or widget == "uscc":
                validate_uscc(value)
        except IdentifierError as exc:
            out.append({"field": name, "code": exc.code, "message": f"{title}：{exc.message}"})
    return out


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _range_findings(schema: dict[str, Any], data: dict[str, Any]) -> list[dict[str, str]]:
    """Generic cross-field rule: ``x_from``/``x_start`` must not be after ``x_until``/``x_to``/``x_end``."""
    out = []
    properties = (schema or {}).get("properties") or {}
    for name in data:
        for start, end in _RANGE_PAIRS:
            if not name.endswith(start):
                continue
            other = name[: -len(start)] + end
            first, last = _date(data.get(name)), _date(data.get(other))
            if first and last and first > last:
                title = (properties.get(name) or {}).get("title") or name
                other_title = (properties.get(other) or {}).get("title") or other
                out.append(
                    {
                        "field": other,
                        "code": "form.date_range",
                        "message": f"{other_title}不能早于{title}",
                    }
                )
    return out


def _material_findings(application: Application, today: dt.date) -> list[dict[str, str]]:
    out = []
    for row in current_materials(application).values():
        material = row.material
        allowed = {f.strip().lower() for f in (material.file_format or "").split(",") if f.strip()}
        if row.storage_key and allowed and not (_FORMAT_OF_TYPE.get(row.content_type, set()) & allowed):
            out.append(
                {
                    "field": f"materials.{material.pk}",
                    "code": "material.format",
                    "message": f"{material.name}的文件格式不符合要求（应为{material.file_format}）",
                }
            )
        if row.valid_until and row.valid_until < today:
            out.append(
                {
                    "field": f"materials.{material.pk}",
                    "code": "material.expired",
                    "message": f"{material.name}已于{row.valid_until.year}年{row.valid_until.month}月{row.valid_until.day}日过期，请提交有效期内的材料",
                }
            )
    return out


def automatic_findings(application: Application, today: dt.date | None = None) -> list[dict[str, str]]:
    """Completeness, formats, identifiers, date ranges and expiry — every problem found."""
    today = today or timezone.localdate()
    schema = getattr(application.version, "form", None)
    schema = schema.schema if schema is not None else {}
    data = application.form_data if isinstance(application.form_data, dict) else {}
    problems = validate_form(application.version, data)
    problems += missing_material_errors(application)
    problems += _identifier_findings(schema, data)
    problems += _range_findings(schema, data)
    problems += _material_findings(application, today)
    return problems


def _send_ready(application_id: Any) -> None:
    application = Application.objects.get(pk=application_id)
    ready_for_acceptance.send(sender=Application, application=application)


@transaction.atomic
def run_pre_review(application_id: Any) -> list[PreReviewFinding]:
    """The automatic pre-review. Safe to run twice: it acts only on a submitted application
    without open findings."""
    application = Application.objects.filter(pk=application_id).first()
    if application is None:
        return []
    application = lock(application)
    if application.status != ApplicationStatus.SUBMITTED:
        return []
    if application.findings.filter(resolved=False).exists():
        return list(application.findings.filter(resolved=False))
    problems = automatic_findings(application)
    organisation = application.accepting_organisation
    if not problems:
        transition(
            application,
            status=ApplicationStatus.PENDING_ACCEPTANCE,
            event="pre_review_passed",
            title="预审通过，等待受理",
            detail="申请材料齐全、符合法定形式，等待受理机构受理",
            organisation=organisation,
        )
        audit("pre_review.passed", application, None)
        transaction.on_commit(functools.partial(_send_ready, application.pk))
        return []
    findings = PreReviewFinding.objects.bulk_create(
        [
            PreReviewFinding(
                application=application,
                source="auto",
                field=p["field"][:200],
                code=p["code"][:80],
                message=p["message"][:500],
            )
            for p in problems
        ]
    )
    transition(
        application,
        status=None,
        event="pre_review_findings",
        title="材料预审中",
        detail="工作人员将核实预审结果，如需补正将一次性告知全部需补正的内容",
        organisation=organisation,
    )
    audit("pre_review.findings", application, None, {"codes": sorted({p["code"] for p in problems})})
    # The window must see it: the acceptance work item opens as for a passed pre-review, and the case
    # page lists the findings for the one-time notice (or for 受理 when the clerk finds them
    # unfounded). Without it the application waited in no worklist — a legal-aid one for ever, its
    # limit running from receipt (法律援助法 §43) — and a licensing one until §32 deemed it accepted.
    transaction.on_commit(functools.partial(_send_ready, application.pk))
    return findings


def _staff_application(application: Application, actor: Any) -> Application:
    """Pre-review findings and the one-time correction notice are the work of a window that
    received the application: in its jurisdiction, or the window below that filed the walk-in
    (``receiving_window``, 一窗受理). Anyone else: 404."""
    if actor is None or not (staff_in_scope(actor, application) or at_receiving_window(actor, application)):
        raise NotFound()
    return application


@transaction.atomic
def add_finding(
    application: Application, *, actor: Any, field: str, message: str, code: str = ""
) -> PreReviewFinding:
    """A window clerk's own pre-review finding, to be listed in the one-time notice."""
    application = lock(_staff_application(application, actor))
    if application.status not in NOTICE_STATUSES:
        raise Conflict("application.not_in_pre_review", "该申请不在预审阶段")
    message = (message or "").strip()
    if not message:
        raise invalid([{"field": "message", "code": "field.required", "message": "请填写需补正的问题说明"}])
    finding = PreReviewFinding.objects.create(
        application=application,
        source="staff",
        field=(field or "")[:200],
        code=(code or "staff.finding")[:80],
        message=message[:500],
    )
    audit("pre_review.finding", application, actor, {"code": finding.code})
    return finding


MATERIAL_PREFIX = "materials."
"""A correction item names a material as ``materials.<id>`` (the id of one of the item version's
materials), as the pre-review findings do; any other ``field`` is a field of the application form."""

_CORRECTION_ITEM_ERRORS = {
    "correction.item_unnamed": "第{n}项补正内容未指明所涉及的材料或申请表字段",
    "correction.item_unknown_material": "第{n}项补正内容所指的材料（{name}）不是该事项的申请材料",
    "correction.item_unknown_field": "第{n}项补正内容所指的字段（{name}）不是该申请表的字段",
    "correction.item_message_required": "请写明第{n}项需补正的内容",
}


def check_correction_items(application: Application, items: Any) -> list[dict[str, str]]:
    """The items of a one-time notice, each naming the material or form field it concerns
    (``field``: ``materials.<id>`` or a form field such as ``address`` or ``address.city``) and
    what to correct (``message``); returns them as the notice keeps them.

    Refuses (400) an item that names neither (``correction.item_unnamed``), a material that is not
    one of the item version's materials (``correction.item_unknown_material``), a field that is not
    on the application form (``correction.item_unknown_field``) or an item without a message
    (``correction.item_message_required``). Every problem is in ``errors`` (``items[i].field`` or
    ``items[i].message``); the answer's code and message are the first one's.
    """
    if items is None:
        return []
    if not isinstance(items, list):
        raise ServiceError(
            "correction.items_invalid", "补正内容应为列表，每项写明所涉及的材料或字段及补正要求"
        )
    version = application.version
    form = getattr(version, "form", None)  # none: the item has no application form
    schema = (form.schema if form is not None else None) or {}
    material_ids = {str(pk) for pk in version.materials.values_list("pk", flat=True)}
    problems: list[dict[str, str]] = []
    out: list[dict[str, str]] = []

    def refuse(index: int, key: str, code: str, name: str = "") -> None:
        shown = name if len(name) <= 40 else name[:40] + "…"
        message = _CORRECTION_ITEM_ERRORS[code].format(n=index + 1, name=shown)
        problems.append({"field": f"items[{index}].{key}", "code": code, "message": message})

    for index, item in enumerate(items):
        if not isinstance(item, dict):
            refuse(index, "field", "correction.item_unnamed")
            continue
        field = str(item.get("field") or "").strip()
        message = str(item.get("message") or "").strip()
        if not field:
            refuse(index, "field", "correction.item_unnamed")
        elif field.startswith(MATERIAL_PREFIX):
            if field[len(MATERIAL_PREFIX) :] not in material_ids:
                refuse(index, "field", "correction.item_unknown_material", field[len(MATERIAL_PREFIX) :])
        elif not has_field(schema, field):
            refuse(index, "field", "correction.item_unknown_field", field)
        if not message:
            refuse(index, "message", "correction.item_message_required")
        out.append(
            {
                "field": field[:200],
                "code": str(item.get("code") or "staff.finding")[:80],
                "message": message[:500],
            }
        )
    if problems:
        raise ServiceError(problems[0]["code"], problems[0]["message"], errors=problems)
    return out


correction_notice_issued = Signal()
"""Sent with ``notice`` (a :class:`CorrectionNotice`) and ``actor`` in the notice's transaction."""


@transaction.atomic
def issue_correction_notice(
    application: Application, *, items: list[dict[str, Any]], actor: Any
) -> CorrectionNotice:
    """ONE 一次性告知书 listing every open finding plus ``items``; status → correction_required.

    Each of ``items`` names the material or form field it concerns (:func:`check_correction_items`).
    ``actor`` None is the system (an automatic notice); otherwise a window clerk in scope. The
    workflow's "request correction" command calls this too.
    """
    application = lock(application)
    if actor is not None:
        _staff_application(application, actor)
    if application.status not in NOTICE_STATUSES:
        raise Conflict("application.not_in_pre_review", "该申请当前不能发出补正告知")
    extra = check_correction_items(application, items)
    problems: list[dict[str, str]] = []
    seen = set()
    open_findings = list(application.findings.filter(resolved=False).order_by("id"))
    for entry in [{"field": f.field, "code": f.code, "message": f.message} for f in open_findings] + extra:
        key = (entry["field"], entry["message"])
        if entry["message"] and key not in seen:
            seen.add(key)
            problems.append(entry)
    if not problems:
        raise ServiceError("correction.empty", "补正告知至少应列出一项需补正的内容")
    now = timezone.now()
    organisation = application.accepting_organisation
    notice = CorrectionNotice.objects.create(
        application=application,
        items=problems,
        issued_by=actor if getattr(actor, "pk", None) else None,
        issued_at=now,
        document_number=numbers.notice_number(organisation, timezone.localdate(now)),
    )
    transition(
        application,
        status=ApplicationStatus.CORRECTION_REQUIRED,
        event="correction_requested",
        title="一次性告知：请补正材料",
        detail=f"一次性告知书 {notice.document_number}，共 {len(problems)} 项需补正："
        + "；".join(f"{i}. {p['message']}" for i, p in enumerate(problems, 1)),
        organisation=organisation,
        occurred_at=now,
    )
    audit(
        "correction.notice", application, actor, {"document": notice.document_number, "items": len(problems)}
    )
    notify_applicant(
        application, "application.correction_requested", {"problems": [p["message"] for p in problems]}
    )
    correction_notice_issued.send(sender=CorrectionNotice, notice=notice, actor=actor)
    return notice


@transaction.atomic
def submit_correction(
    application: Application,
    *,
    actor: Any,
    form_data: dict[str, Any] | None = None,
    situation_answers: dict[str, str] | None = None,
) -> Application:
    """The applicant's corrections, in place; then the pre-review runs again.

    The §32 window restarts from the receipt of the corrected materials (``received_at``).
    """
    application = lock(application)
    require_actor(actor, application)
    if application.status != ApplicationStatus.CORRECTION_REQUIRED:
        raise Conflict("application.no_correction_pending", "该申请当前没有待补正的内容")
    if form_data is not None:
        if not isinstance(form_data, dict):
            raise invalid([{"field": "form_data", "code": "form.type", "message": "申请表数据格式不正确"}])
        application.form_data = form_data
    if situation_answers is not None:
        if not isinstance(situation_answers, dict):
            raise invalid(
                [{"field": "situation_answers", "code": "situation.invalid", "message": "情形选择格式不正确"}]
            )
        application.situation_answers = situation_answers
    application.save(update_fields=["form_data", "situation_answers", "updated_at"])
    resolve_once_only(application)
    check_complete(application)
    now = timezone.now()
    application.correction_notices.filter(answered_at__isnull=True).update(answered_at=now)
    application.findings.filter(resolved=False).update(resolved=True)
    transition(
        application,
        status=ApplicationStatus.SUBMITTED,
        event="corrected",
        title="已提交补正材料",
        detail="已收到补正材料，将重新预审",
        organisation=application.accepting_organisation,
        occurred_at=now,
        fields={"received_at": now},
    )
    audit("correction.submit", application, actor)
    transaction.on_commit(functools.partial(_enqueue_pre_review, str(application.pk)))
    return application
