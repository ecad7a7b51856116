"""Action forms of the legal-aid objection and of mediation (see ``sifa.workflow.services.service_commands``).

Like the other action forms, they only check what a person can fix on the page; the service
judges the rest and its field errors come back linked to these fields (same names as the command
body). The mediation forms offer real records: the 司法所's roster, and the mediators assigned.
"""

from __future__ import annotations

from typing import Any

from django import forms

from sifa.mediation.models import MediationCase, Mediator
from sifa.mediation.selectors import roster
from sifa.mediation.services import preferred_names
from sifa.workbench.forms import ActionForm, _choose, _radio, _required, _text
from sifa.workflow.services import MEDIATION_RESULTS, RULINGS


def _label(mediator: Mediator) -> str:
    text = f"{mediator.name}（{mediator.committee.name}，{mediator.get_position_display()}"
    return text + (f"；擅长：{mediator.specialties}）" if mediator.specialties else "）")


def _checkboxes(label: str, choices: list[tuple[str, str]], help_text: str = "") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        help_text=help_text,
        widget=forms.CheckboxSelectMultiple,
        error_messages=_choose(label),
    )


class ServiceActionForm(ActionForm):
    def summary(self) -> list[tuple[str, str]]:
        rows = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if isinstance(field.widget, forms.HiddenInput) or value in ("", None, []):
                continue
            if isinstance(field, forms.MultipleChoiceField):
                labels = dict(field.choices)
                value = "、".join(labels.get(v, v) for v in value)
            elif isinstance(field, forms.ChoiceField):
                value = dict(field.choices).get(value, value)
            elif isinstance(value, list):
                value = "；".join(str(v) for v in value)
            rows.append((str(field.label), str(value)))
        return rows


class RuleForm(ServiceActionForm):
    """法律援助法 §49: 维持 or 责令改正, with the review's findings."""

    ruling = _radio(RULINGS, "审查决定")
    reasons = _text(
        "审查意见", help_text="每行一条；将写入法律援助异议审查决定书并送达申请人，抄送法律援助机构"
    )


class AssignMediatorsForm(ServiceActionForm):
    """人民调解法 §19, §23: one or more mediators of one committee; the applicant's choice first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        office = self.item.organisation if self.item is not None else None
        choices = [(str(m.pk), _label(m)) for m in roster(office)] if office else []
        wanted = preferred_names(self.item.application.form_data) if self.item is not None else []
        hint = f"申请人选择的调解员：{'、'.join(wanted)}。" if wanted else "申请人未选择调解员。"
        self.fields["mediators"] = _checkboxes(
            "指定的人民调解员", choices, hint + "请选择同一人民调解委员会的一名或者数名调解员。"
        )
        self.fields["preference_note"] = _text(
            "未按申请人选择指定的理由",
            required=False,
            help_text="申请人选择的调解员未予指定的，须说明理由（人民调解法第二十三条）",
        )


class TermsField(forms.CharField):
    """协议内容: one term per line → a list of terms."""

    widget = forms.Textarea(attrs={"rows": 5})

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value)
        return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _date(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={**_required(label), "invalid": f"{label}格式应为 年-月-日，如 2026-11-18"},
    )


class SessionForm(ServiceActionForm):
    """One mediation held (§22, §27). Every field is added here, after the base form is built:
    the choices depend on the case, and a bound form must not be cleaned before they exist."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        case = MediationCase.objects.filter(application=self.item.application).first() if self.item else None
        assigned = case.mediators.select_related("committee").order_by("name") if case else []
        self.fields["held_on"] = _date("调解日期")
        self.fields["place"] = forms.CharField(
            label="调解地点", max_length=200, error_messages=_required("调解地点")
        )
        self.fields["mediators"] = _checkboxes(
            "参加调解的人民调解员", [(str(m.pk), _label(m)) for m in assigned]
        )
        self.fields["parties_present"] = forms.CharField(
            label="到场当事人及其他参加人员", max_length=300, error_messages=_required("到场当事人")
        )
        self.fields["summary"] = _text(
            "调解情况", help_text="当事人陈述、调解过程和结果（人民调解法第二十七条）"
        )


class ConcludeForm(ServiceActionForm):
    """达成调解协议 (§28–§29) or 终止调解 (§26); the service says which fields each needs."""

    result = _radio(MEDIATION_RESULTS, "调解结果")
    facts = _text("纠纷的主要事实、争议事项以及各方当事人的责任（达成协议时必填）", required=False)
    terms = TermsField(
        label="协议内容（达成协议时必填）",
        required=False,
        help_text="每行一条，写明履行的方式和期限（人民调解法第二十九条）",
    )
    effective_on = _date("协议生效日期（达成协议时必填）", required=False)
    reason = _text("终止调解的原因（终止调解时必填）", required=False)
