"""办事指南: every element of the national guide template for one implementation entry.

One structure feeds the web page, the PDF and the JSON, so the three never disagree. Element
numbers and names follow 行政许可标准化指引（2016版）附录2 (standards.md §2.2); the national 实施清单
fields each element is filled from are listed in docs/guides.md.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from sifa.catalogue.models import (
    AcrossScope,
    CaseType,
    ExerciseLevel,
    HandlingForm,
    ImplementationEntry,
    ItemType,
    ItemVersion,
    Material,
    OnlineDepthLevel,
    ResultType,
    ReviewType,
    Situation,
    TimeUnit,
)
from sifa.catalogue.processes import NO_PROCESS_MESSAGE, process_available, unavailable_note

_HOLDS_LAWYER_LICENCE = (
    "已持有有效律师执业证书的（包括停止执业期间），不能再申请本事项：律师只能在一个律师事务所执业，"
    "律师变更执业机构的，应当申请换发律师执业证书（律师法第十条），请申请“律师执业变更许可（变更执业机构）”。"
)
ONE_LICENCE_NOTICES = {
    "000100001001": _HOLDS_LAWYER_LICENCE,  # 律师执业许可（专职律师执业）
    "000100001002": _HOLDS_LAWYER_LICENCE,  # 律师执业许可（兼职律师执业）
    "000100008000": _HOLDS_LAWYER_LICENCE,  # 特许律师执业许可
    "000100004000": (  # 律师事务所设立许可
        "已持有有效律师事务所执业证书的律师事务所，不能再申请设立：名称、负责人、章程等变更的，"
        "应当报原审核部门批准（律师法第二十一条），请申请“律师事务所变更许可”。"
    ),
}
"""The one-licence rule (律师法第十条; docs/licences.md "One licence at a time") told on the guide of the
items it refuses to a holder of the licence in force, by 基本编码: page text, not version content, so
it needs no new version. The items are those ``sifa.licences.one_per_holder`` refuses (its tests keep
the two lists equal); that module is above the catalogue and cannot be read from here."""

NOT_APPLICABLE = "不适用"
SET_BY_IMPLEMENTER = "由实施机构确定"
# (key, number in 附录2, element name). "codes" is not numbered: 基本编码/实施编码/版本 head the guide.
ELEMENTS: tuple[tuple[str, int, str], ...] = (
    ("scope", 1, "适用范围"),
    ("review_type", 2, "事项审查类型"),
    ("legal_basis", 3, "审批依据"),
    ("accepting_organisation", 4, "受理机构"),
    ("deciding_organisation", 5, "决定机构"),
    ("quantity_limit", 6, "数量限制"),
    ("conditions", 7, "申请条件"),
    ("prohibitions", 8, "禁止性要求"),
    ("materials", 9, "申请材料目录"),
    ("intake", 10, "申请接收"),
    ("process", 11, "办理基本流程"),
    ("handling", 12, "办理方式"),
    ("time_limits", 13, "审批时限"),
    ("fees", 14, "收费依据及标准"),
    ("result", 15, "审批结果"),
    ("result_delivery", 16, "结果送达"),
    ("rights_and_duties", 17, "申请人权利和义务"),
    ("consultation", 18, "咨询途径"),
    ("complaint", 19, "监督投诉渠道"),
    ("office", 20, "办公地址和时间"),
    ("public_query", 21, "公开查询"),
)


def limit_text(value: int | None, unit: str) -> str:
    """ "30个工作日", "7个自然日", "2个月"; empty when there is no limit."""
    if value is None:
        return ""
    if unit == TimeUnit.MONTH:
        return f"{value}个月"
    return f"{value}个{TimeUnit(unit).label if unit in TimeUnit.values else '日'}"


def extension_text(version: ItemVersion) -> str:
    """Whether the deciding organisation may extend the limit (行政许可法 §42), with the basis;
    empty for items that are not 行政许可."""
    if version.item.item_type != ItemType.LICENSING:
        return ""
    if version.extension_applies:
        return f"可以延长十日：{version.extension_basis or '行政许可法第四十二条第一款'}"
    return f"不适用延长：{version.extension_basis or '法律、法规另有规定'}"


def _date_text(value: Any) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{local.year}年{local.month}月{local.day}日"


def _label(choices: Any, value: str, default: str = "") -> str:
    return choices(value).label if value in choices.values else default


def situation_text(version_situations: list[Situation], condition: str) -> str:
    """ "拟设立的律师事务所组织形式是？合伙律师事务所" for ``firm_form=partnership``."""
    code, _, value = condition.partition("=")
    for situation in version_situations:
        if situation.code == code:
            label = next((o.get("label", value) for o in situation.options if o.get("value") == value), value)
            return f"{situation.question}{label}"
    return condition


def _material(row: Material, situations: list[Situation], answers: dict[str, str]) -> dict[str, Any]:
    once_only = []
    if row.satisfiable_by_licence_type:
        once_only.append("已有相应电子证照的，无需提交")
    if row.satisfiable_by_partner_data and settings.PARTNER_DATA == "exchange":
        # Over the exchange only the police answer (applications.partner_data), with consent.
        if row.satisfiable_by_partner_data.startswith("police."):
            once_only.append("同意向公安机关核验且核验通过的，无需提交")
    elif row.satisfiable_by_partner_data and settings.PARTNER_DATA:
        # Promised only where a partner adapter is configured (SIFA_PARTNER_DATA); without one the
        # material is asked for, so the guide must not say otherwise.
        once_only.append("可通过部门共享数据核验的，无需提交")
    unanswered = [s for s in row.situations if s.partition("=")[0] not in answers]
    return {
        "name": row.name,
        "source": row.get_source_display(),
        "issuing_body": row.issuing_body,
        "necessity": row.get_necessity_display(),
        "original_count": row.original_count,
        "copy_count": row.copy_count,
        "medium": row.get_medium_display(),
        "file_format": row.file_format,
        "page_size": row.page_size,
        "filling_notes": row.filling_notes,
        "blank_form": row.blank_form,
        "sample": row.sample,
        "legal_basis": row.legal_basis,
        "situations": [situation_text(situations, s) for s in row.situations],
        "conditional": bool(row.situations) and bool(unanswered),
        "once_only": "；".join(once_only),
    }


def applies(row: Material, answers: dict[str, str]) -> bool:
    """A material stays on the checklist unless every situation it depends on has been answered
    and none of the answers match."""
    if not row.situations or row.applies_to(answers):
        return True
    return any(s.partition("=")[0] not in answers for s in row.situations)


def parse_answers(params: Any, situations: list[Situation]) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The applicant's 情形 answers from a query string; unknown values are reported, not ignored."""
    answers: dict[str, str] = {}
    errors: list[dict[str, str]] = []
    for situation in situations:
        value = (params.get(situation.code) or "").strip()
        if not value:
            continue
        if value in {o.get("value") for o in situation.options}:
            answers[situation.code] = value
        else:
            errors.append(
                {
                    "field": situation.code,
                    "code": "catalogue.guide.situation",
                    "message": f"“{situation.question}”的选项无效，请重新选择",
                }
            )
    return answers, errors


def _stages(version: ItemVersion) -> list[dict[str, Any]]:
    process = getattr(version, "process", None)
    if process is None:
        return []
    return [
        {
            "order": s.order,
            "name": s.name,
            "level": _label(ExerciseLevel, s.organisation_level),
            "limit": limit_text(s.limit_value, s.limit_unit),
            "legal_basis": s.legal_basis,
            "not_counted": s.not_counted,
        }
        for s in process.stages.all()
    ]


def _channels(entry: ImplementationEntry | None, *keys: str) -> list[str]:
    channels = entry.channels if entry is not None and isinstance(entry.channels, dict) else {}
    return [str(channels[k]) for k in keys if channels.get(k)]


def _remedy(value: Any) -> dict[str, str]:
    value = value if isinstance(value, dict) else {}
    return {k: str(value.get(k, "")) for k in ("dept", "addr", "phone", "url", "basis")}


def build(
    entry: ImplementationEntry | None, version: ItemVersion, answers: dict[str, str] | None = None
) -> dict[str, Any]:
    """The guide of ``entry`` under ``version`` (``entry`` is None in an admin preview of a draft
    with no implementing organisation chosen); ``answers`` narrows the material checklist."""
    answers = answers or {}
    item = version.item
    situations = list(version.situations.all())
    all_materials = list(version.materials.all())
    chosen = [m for m in all_materials if applies(m, answers)]
    legal_value = entry.legal_limit_value if entry and entry.legal_limit_value else version.legal_limit_value
    legal_unit = entry.legal_limit_unit if entry and entry.legal_limit_value else version.legal_limit_unit
    promised_value = (
        entry.promised_limit_value if entry and entry.promised_limit_value else version.promised_limit_value
    )
    promised_unit = (
        entry.promised_limit_unit if entry and entry.promised_limit_value else version.promised_limit_unit
    )
    consultation_phone = (entry.consultation_phone if entry else "") or version.consultation_phone
    complaint_phone = (entry.complaint_phone if entry else "") or version.complaint_phone
    public_url = settings.PUBLIC_URL
    values: dict[str, Any] = {
        "scope": version.scope or NOT_APPLICABLE,
        "review_type": _label(ReviewType, version.review_type, NOT_APPLICABLE) or NOT_APPLICABLE,
        "legal_basis": [
            f"《{ref['law']}》{ref.get('article', '')}" for ref in item.legal_basis if isinstance(ref, dict)
        ],
        "accepting_organisation": entry.accepting_organisation.name if entry else SET_BY_IMPLEMENTER,
        "deciding_organisation": entry.deciding_organisation.name if entry else SET_BY_IMPLEMENTER,
        "quantity_limit": version.quantity_limit or "无数量限制",
        "conditions": {
            "application_conditions": version.application_conditions,
            "accept_conditions": version.accept_conditions,
        },
        "prohibitions": version.prohibitions or "无",
        "materials": [_material(m, situations, answers) for m in chosen],
        "intake": version.intake,
        "process": {"text": version.handling_flow, "stages": _stages(version)},
        "handling": {
            "forms": [
                _label(HandlingForm, code) for code in version.handling_forms if code in HandlingForm.values
            ],
            "case_type": _label(CaseType, version.case_type),
            "online_depth": _label(OnlineDepthLevel, version.online_depth_level, "不网办"),
            "visits": version.visits_required,
            "visits_reason": version.visits_reason,
            "across_scope": _label(AcrossScope, version.across_scope, "不通办") or "不通办",
            "online_url": (entry.online_url if entry else "") or public_url,
        },
        "time_limits": {
            "legal": limit_text(legal_value, legal_unit) or "无法定时限",
            "legal_note": version.legal_limit_note,
            "promised": limit_text(promised_value, promised_unit)
            or ("即办" if version.case_type == CaseType.IMMEDIATE else ""),
            "promised_note": version.promised_limit_note,
            "special_procedures": version.special_procedures,
            "extension": extension_text(version),
        },
        "fees": [
            {
                "name": f.name,
                "standard": f.standard,
                "basis": f.basis,
                "waivable": f.waivable,
                "waiver_basis": f.waiver_basis,
            }
            for f in version.fees.all()
        ]
        if version.is_charged
        else [],
        "result": {
            "name": version.result_name,
            "type": _label(ResultType, version.result_type),
            "sample": version.result_sample,
        },
        "result_delivery": version.result_delivery,
        "rights_and_duties": {"rights": version.rights, "duties": version.duties},
        "consultation": {
            "phone": consultation_phone,
            "other": _channels(entry, "net_consult", "consult_mail", "consult_wechat"),
            "place": (entry.place if entry else "") or SET_BY_IMPLEMENTER,
        },
        "complaint": {
            "phone": complaint_phone,
            "other": _channels(entry, "net_complain", "complain_mail", "complain_letter_addr"),
            "administrative_review": _remedy(version.administrative_review),
            "administrative_litigation": _remedy(version.administrative_litigation),
        },
        "office": {
            "place": (entry.place if entry else "") or SET_BY_IMPLEMENTER,
            "hours": (entry.office_hours if entry else "") or version.office_hours,
        },
        "public_query": "申请人可登录本平台，凭申请编号查询办理进度和结果；办理结果依法公开的，可在本平台查询",
    }
    online = entry is not None and process_available(version)
    return {
        "basic_code": item.basic_code,
        "implementation_code": entry.implementation_code if entry else "",
        "name": item.name,
        "item_type": {"code": item.item_type, "label": item.get_item_type_display()},
        "organisation": entry.organisation.name if entry else "",
        "version": {
            "number": version.number,
            "status": version.status,
            "status_label": version.get_status_display(),
            "valid_from": version.valid_from.isoformat() if version.valid_from else None,
            "valid_until": version.valid_until.isoformat() if version.valid_until else None,
            "valid_from_text": _date_text(version.valid_from),
        },
        "is_charged": version.is_charged,
        # An item whose version names no shipped process can not be applied for (no dead end).
        "online_application": online,
        "online_application_note": "" if online else (unavailable_note(version) or NO_PROCESS_MESSAGE),
        "one_licence_notice": ONE_LICENCE_NOTICES.get(item.basic_code, ""),
        "situations": [
            {
                "code": s.code,
                "question": s.question,
                "hint": s.hint,
                "basis": s.basis,
                "options": s.options,
                "answer": answers.get(s.code, ""),
            }
            for s in situations
        ],
        "materials_total": len(all_materials),
        "materials_shown": len(chosen),
        "elements": [
            {"key": key, "number": number, "label": label, "value": values[key]}
            for key, number, label in ELEMENTS
        ],
        "e": values,
    }


def as_json(guide: dict[str, Any]) -> dict[str, Any]:
    """The JSON shape: the same content without the template shortcut ``e``."""
    return {k: v for k, v in guide.items() if k != "e"}
