"""What the case page shows, prepared for the template: form answers under the schema's labels,
materials with their preview kind, clocks in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from sifa.applications.models import Application, ApplicationMaterial, SubmissionChannel
from sifa.deadlines.calendar import TimeUnit
from sifa.deadlines.clocks import SuspensionKind
from sifa.deadlines.models import ClockPurpose, ClockState

IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
YES_NO = {True: "是", False: "否"}


def _schema(case: Application) -> dict[str, Any]:
    try:
        return case.version.form.schema or {}
    except ObjectDoesNotExist:
        return {}


def _show(value: Any, spec: dict[str, Any]) -> str:
    """A value as a person reads it: enum codes under their titles (the labels the form offered),
    booleans as 是/否, lists joined."""
    if isinstance(value, bool):
        return YES_NO[value]
    if isinstance(value, list):
        return "；".join(_show(v, spec.get("items") or {}) for v in value)
    if isinstance(value, dict):
        props = spec.get("properties") or {}
        return "；".join(
            f"{(props.get(k) or {}).get('title', k)}：{_show(v, props.get(k) or {})}"
            for k, v in value.items()
        )
    # The catalogue's forms name their options in ``x-ui.labels`` (as the form showed them).
    names = spec.get("x-enumNames") or spec.get("enumNames") or (spec.get("x-ui") or {}).get("labels")
    if names and "enum" in spec and value in spec["enum"][: len(names)]:
        return str(names[spec["enum"].index(value)])
    for option in spec.get("oneOf") or []:
        if isinstance(option, dict) and option.get("const") == value:
            return str(option.get("title", value))
    return "" if value is None else str(value)


NOTICE_LABELS = {
    "notifier_uscc": "通知机关统一社会信用代码",
    "notified_at": "通知日期",
    "notice_message_id": "通知消息编号",
}
"""The particulars an organ's 通知辩护 keeps beside its form's fields
(``sifa.workflow.services.notices``), under Chinese names; its ``ground`` code is shown by its
words, 通知情形 (``ground_text``), so not twice."""
NOTICE_HIDDEN = frozenset({"ground"})


def form_rows(case: Application) -> list[tuple[str, str]]:
    """(label, value) in the schema's order; answers the schema does not know come last, by name.
    A case filed from an organ's notice names the suspect or defendant first: nobody filled in a
    form, and the centre must know whom it assigns a lawyer to."""
    schema = _schema(case)
    props = schema.get("properties") or {}
    data = case.form_data if isinstance(case.form_data, dict) else {}
    notice = case.channel == SubmissionChannel.EXCHANGE
    order = list(props) + [k for k in data if k not in props and not (notice and k in NOTICE_HIDDEN)]
    rows = [
        (
            str((props.get(k) or {}).get("title") or (NOTICE_LABELS.get(k, k) if notice else k)),
            _show(data[k], props.get(k) or {}),
        )
        for k in order
        if k in data
    ]
    if notice and "applicant_name" not in data and case.applicant_person_id is not None:
        rows.insert(0, ("犯罪嫌疑人、被告人", case.applicant_person.name))
    return rows


def situation_rows(case: Application) -> list[tuple[str, str]]:
    """(question, the option chosen) for each 情形 of the case's item version the applicant
    answered, in the version's order: the answers that decided which materials were asked for
    (e.g. 法律援助法第四十二条's 免予核查), shown to the reviewer as the applicant chose them."""
    answers = case.situation_answers if isinstance(case.situation_answers, dict) else {}
    if not answers:
        return []
    rows = []
    for situation in case.version.situations.all():
        if situation.code not in answers:
            continue
        value = answers[situation.code]
        labels = {
            str(o.get("value")): str(o.get("label", o.get("value")))
            for o in situation.options or []
            if isinstance(o, dict)
        }
        rows.append((str(situation.question), labels.get(str(value), str(value))))
    return rows


@dataclass(frozen=True)
class MaterialRow:
    row: ApplicationMaterial

    @property
    def is_image(self) -> bool:
        return bool(self.row.storage_key) and self.row.content_type in IMAGE_TYPES

    @property
    def is_file(self) -> bool:
        return bool(self.row.storage_key)

    @property
    def size_kb(self) -> int:
        return max(1, (self.row.size + 1023) // 1024)


def materials(case: Application) -> list[MaterialRow]:
    rows = (
        case.materials.filter(superseded=False)
        .select_related("material")
        .order_by("material__order", "created_at")
    )
    return [MaterialRow(r) for r in rows]


@dataclass(frozen=True)
class ClockRow:
    clock: ClockState

    @property
    def name(self) -> str:
        if self.clock.purpose == ClockPurpose.STAGE:
            # Stored as "<order>.<round>:<name>" (sifa.workflow.caseclocks).
            label = self.clock.stage.split(":", 1)[-1]
            round_no = self.clock.stage.split(":", 1)[0].split(".")[-1]
            return f"环节时限：{label}" + (f"（第{round_no}轮）" if round_no not in ("", "1") else "")
        return self.clock.get_purpose_display()

    @property
    def state(self) -> str:
        if self.clock.stopped_on:
            return f"已停止（{self.clock.stopped_on:%Y-%m-%d}）"
        return "已中止计时" if self.clock.paused else "计时中"

    @property
    def left(self) -> str:
        """What is left, in the limit's own unit: a 3-day 通知辩护 (法律援助法 §36, 自然日) in days,
        a working-day limit in working days (the recount's figure); — while paused or stopped."""
        clock = self.clock
        if clock.stopped_on or clock.due_on is None or clock.working_days_left is None:
            return "—"
        if clock.limit_unit == TimeUnit.CALENDAR_DAYS:
            days, unit = (clock.due_on - timezone.localdate()).days, "天"
        else:
            days, unit = clock.working_days_left, "个工作日"
        if days < 0:
            return f"已超期{-days}{unit}"
        return "今日到期" if days == 0 else f"{days}{unit}"

    @property
    def suspensions(self) -> list[str]:
        out = []
        for s in self.clock.suspensions or []:
            kind = s.get("kind", "")
            label = SuspensionKind(kind).label if kind in SuspensionKind.values else kind
            out.append(f"{label}：{s.get('started_on', '')} 至 {s.get('ended_on') or '今'}")
        return out

    @property
    def extensions(self) -> list[str]:
        return [
            f"延长{e.get('days', '')}个工作日（批准人：{e.get('approved_by', '')}）"
            for e in self.clock.extensions or []
        ]


def clocks(case: Application) -> list[ClockRow]:
    from sifa.workflow import caseclocks

    return [ClockRow(c) for c in caseclocks.case_clocks(case).order_by("id")]
