"""The quality gate a version must pass before it is published (provincial data-quality rules).

Every rule runs and every problem is reported at once, so a catalogue admin fixes a draft in one
round (the same habit as 行政许可法 §32's 一次性告知). Rules (standards.md §1.4, §2.2, §7.3):

* every required element of the guide template (行政许可标准化指引 附录2) is present;
* 网上办理深度 Ⅳ级 (全程网办) needs 到办事现场次数 = 0;
* a charged item has at least one fee, each with its standard and basis;
* 承诺办结时限 ≤ 法定办结时限, compared in the same unit, or conservatively across units;
* every material has a source (来源渠道);
* the consultation phone differs from the complaint phone;
* the form schema is a valid JSON Schema; stage and entry limits are consistent.
"""

from __future__ import annotations

import math

from sifa.catalogue import forms
from sifa.catalogue.models import (
    CaseType,
    ImplementationEntry,
    ItemType,
    ItemVersion,
    OnlineDepthLevel,
    TimeUnit,
)

# (field, label, item types it applies to — None = every type). Labels follow the guide template.
REQUIRED_ELEMENTS: tuple[tuple[str, str, frozenset[str] | None], ...] = (
    ("scope", "适用范围", None),
    ("review_type", "事项审查类型", frozenset({ItemType.LICENSING})),
    ("quantity_limit", "数量限制", frozenset({ItemType.LICENSING})),
    ("application_conditions", "申请条件", None),
    ("prohibitions", "禁止性要求", frozenset({ItemType.LICENSING})),
    ("accept_conditions", "受理条件", None),
    ("intake", "申请接收", None),
    ("handling_flow", "办理基本流程", None),
    ("handling_forms", "办理方式", None),
    ("case_type", "办件类型", None),
    ("result_name", "审批结果名称", None),
    ("result_type", "审批结果类型", None),
    ("result_delivery", "结果送达", None),
    ("rights", "申请人依法享有的权利", None),
    ("duties", "申请人依法履行的义务", None),
    ("consultation_phone", "咨询途径（咨询电话）", None),
    ("complaint_phone", "监督投诉渠道（投诉电话）", None),
    ("office_hours", "办公时间", None),
)

# The longest run of non-working days a working-day period can straddle: weekends plus the
# 春节/国庆 holidays with their 调休 (全国年节及纪念日放假办法 2024, standards.md §7.2).
_LONGEST_HOLIDAY_RUN = 9


def calendar_bounds(value: int, unit: str) -> tuple[int, int]:
    """(fewest, most) calendar days a period of ``value`` ``unit`` can last."""
    if unit == TimeUnit.CALENDAR_DAY:
        return value, value
    if unit == TimeUnit.MONTH:
        return 28 * value, 31 * value
    return value, math.ceil(value * 7 / 5) + _LONGEST_HOLIDAY_RUN


def compare_limits(promised: tuple[int, str], legal: tuple[int, str]) -> str:
    """ "ok", "exceeds" or "incomparable" for 承诺 vs 法定 (converted conservatively across units)."""
    (p_value, p_unit), (l_value, l_unit) = promised, legal
    if p_unit == l_unit:
        return "ok" if p_value <= l_value else "exceeds"
    p_min, p_max = calendar_bounds(p_value, p_unit)
    l_min, l_max = calendar_bounds(l_value, l_unit)
    if p_max <= l_min:
        return "ok"
    if p_min > l_max:
        return "exceeds"
    return "incomparable"


def _problem(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": f"catalogue.quality.{code}", "message": message}


def _limit_problems(field: str, promised: tuple[int, str], legal: tuple[int, str]) -> list[dict[str, str]]:
    verdict = compare_limits(promised, legal)
    if verdict == "exceeds":
        return [_problem(field, "promised_exceeds_legal", "承诺办结时限不得超过法定办结时限")]
    if verdict == "incomparable":
        return [
            _problem(
                field,
                "limit_units_incomparable",
                "承诺办结时限与法定办结时限单位不同且无法确定不超过法定时限，请使用相同单位",
            )
        ]
    return []


def check_version(version: ItemVersion) -> list[dict[str, str]]:
    """Every quality problem of ``version`` (empty list = publishable)."""
    problems: list[dict[str, str]] = []
    item = version.item
    if not item.legal_basis:
        problems.append(_problem("legal_basis", "missing_element", "缺少要素：设定依据"))
    for field, label, types in REQUIRED_ELEMENTS:
        if types is not None and item.item_type not in types:
            continue
        if not getattr(version, field):
            problems.append(_problem(field, "missing_element", f"缺少要素：{label}"))

    has_legal = version.legal_limit_value is not None and bool(version.legal_limit_unit)
    if not has_legal and not version.legal_limit_note:
        problems.append(
            _problem("legal_limit", "missing_element", "缺少要素：法定办结时限（或无法定时限的说明）")
        )
    if version.case_type == CaseType.PROMISED:
        if version.promised_limit_value is None or not version.promised_limit_unit:
            problems.append(_problem("promised_limit", "missing_element", "承诺件须填写承诺办结时限及单位"))
        elif has_legal:
            problems += _limit_problems(
                "promised_limit",
                (version.promised_limit_value, version.promised_limit_unit),
                (version.legal_limit_value, version.legal_limit_unit),
            )

    if version.online_depth_level == OnlineDepthLevel.IV and version.visits_required != 0:
        problems.append(
            _problem(
                "visits_required",
                "depth_iv_visits",
                "网上办理深度为Ⅳ级（全程网办）的事项，到办事现场次数应为0次",
            )
        )
    if version.visits_required is None:
        problems.append(_problem("visits_required", "missing_element", "缺少要素：到办事现场次数"))

    fees = list(version.fees.all())
    if version.is_charged:
        if not fees:
            problems.append(_problem("fees", "fee_missing", "收费事项须填写收费项目、收费标准和收费依据"))
        for index, fee in enumerate(fees):
            if not fee.standard.strip():
                problems.append(
                    _problem(
                        f"fees[{index}].standard", "fee_standard_missing", f"收费项目“{fee.name}”缺少收费标准"
                    )
                )
            if not fee.basis.strip():
                problems.append(
                    _problem(f"fees[{index}].basis", "fee_basis_missing", f"收费项目“{fee.name}”缺少收费依据")
                )

    materials = list(version.materials.all())
    if not materials:
        problems.append(_problem("materials", "missing_element", "缺少要素：申请材料目录"))
    situation_codes = {s.code: {o.get("value") for o in s.options} for s in version.situations.all()}
    for index, material in enumerate(materials):
        if not material.source:
            problems.append(
                _problem(
                    f"materials[{index}].source",
                    "material_source_missing",
                    f"申请材料“{material.name}”缺少来源渠道",
                )
            )
        for ref in material.situations:
            code, _, value = ref.partition("=")
            if code not in situation_codes or value not in situation_codes[code]:
                problems.append(
                    _problem(
                        f"materials[{index}].situations",
                        "unknown_situation",
                        f"申请材料“{material.name}”引用了不存在的情形“{ref}”",
                    )
                )

    if version.consultation_phone and version.consultation_phone == version.complaint_phone:
        problems.append(_problem("complaint_phone", "same_phones", "咨询电话与监督投诉电话不能相同"))

    form = getattr(version, "form", None)
    if form is not None:
        problems += forms.check_schema(form.schema)
    process = getattr(version, "process", None)
    stages = list(process.stages.all()) if process is not None else []
    if not stages:
        problems.append(_problem("stages", "missing_element", "缺少要素：办理环节"))
    for stage in stages:
        if stage.limit_value is not None and not stage.limit_unit:
            problems.append(
                _problem(
                    f"stages[{stage.order}]", "stage_unit_missing", f"办理环节“{stage.name}”缺少时限单位"
                )
            )

    if has_legal:
        # Entries that override the promise must stay within the new version's legal limit.
        overriding = ImplementationEntry.objects.filter(
            item_id=version.item_id, promised_limit_value__isnull=False
        )
        for entry in overriding.only("implementation_code", "promised_limit_value", "promised_limit_unit")[
            :50
        ]:
            for problem in _limit_problems(
                f"implementations.{entry.implementation_code}",
                (entry.promised_limit_value, entry.promised_limit_unit),
                (version.legal_limit_value, version.legal_limit_unit),
            ):
                problems.append(problem)
    return problems
