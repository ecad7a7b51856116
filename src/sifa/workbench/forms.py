"""The action forms of the case page. Each form only checks what a person can fix on the page
(required fields, choices); the services stay the judge of everything else (state, role, scope).

The field names are the command body's names (docs/workflow.md), so ``cleaned_data`` is passed on
as it is.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.forms import DeclarativeFieldsMetaclass

from sifa.applications.serializers import materials_checklist
from sifa.deadlines.clocks import SuspensionKind
from sifa.web import jsonschema_forms as jf
from sifa.web.journey import schema_of
from sifa.workflow.services import DECISIONS, DELIVERY_METHODS, REVIEW_OUTCOMES
from sifa.workflow.services.notices import needs_experience


def _required(label: str) -> dict[str, str]:
    return {"required": f"请填写{label}", "invalid_choice": f"请选择有效的{label}"}


def _choose(label: str) -> dict[str, str]:
    return {"required": f"请选择{label}", "invalid_choice": f"请选择有效的{label}"}


def decorate(form: forms.Form) -> None:
    """House classes on the inputs, and ``aria-describedby`` pointing at the hint and the error
    (WCAG 1.3.1 / 3.3.1: a screen reader announces both with the field)."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, (forms.HiddenInput, forms.RadioSelect)):
            continue
        css = "sifa-select" if isinstance(widget, forms.Select) else "sifa-input"
        if isinstance(widget, forms.Textarea):
            css += " wb-textarea"
        widget.attrs["class"] = css
        bound = form[name]
        ids = ([f"{bound.auto_id}-hint"] if field.help_text else []) + (
            [f"{bound.auto_id}-error"] if form.is_bound and name in form.errors else []
        )
        if ids:
            widget.attrs["aria-describedby"] = " ".join(ids)
        else:
            widget.attrs.pop("aria-describedby", None)


class _DecoratedFormMetaclass(DeclarativeFieldsMetaclass):
    """Decorates an unbound form once it is built: after the ``__init__`` of every subclass, so
    the choices, added fields and widget attributes a subclass sets there are all in place."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        form = super().__call__(*args, **kwargs)
        if not form.is_bound:
            decorate(form)
        return form


class DecoratedForm(forms.Form, metaclass=_DecoratedFormMetaclass):
    """A workbench form whose inputs carry the house classes and their hint and error ids
    (``decorate``), bound or not: an unbound form once it is built, a bound one each time it is
    cleaned. A bound form is therefore never validated in ``__init__`` (``decorate`` reads
    ``errors``): a subclass sets its choices and fields there, and needs no ``decorate`` of its own."""

    def full_clean(self) -> None:
        super().full_clean()
        decorate(self)


class ActionForm(DecoratedForm):
    """Base: carries the optimistic-concurrency version and, for parallel tasks, the task id."""

    row_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    task = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, item: Any = None, case: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        self.case = case

    def command_data(self) -> dict[str, Any]:
        """The command body: blank optional fields left out, so the service sees only answers."""
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}

    def summary(self) -> list[tuple[str, str]]:
        """(field label, shown value) pairs for the confirmation page."""
        rows = []
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.HiddenInput):
                continue
            value = self.cleaned_data.get(name)
            if value in ("", None, []):
                continue
            if isinstance(value, bool):
                value = "是" if value else "否"
            elif isinstance(field, forms.ChoiceField):
                value = dict(field.choices).get(value, value)
            elif isinstance(value, list):
                value = "；".join(str(v) for v in value)
            rows.append((str(field.label), str(value)))
        return rows


def _radio(choices: dict[str, str] | list[tuple[str, str]], label: str) -> forms.ChoiceField:
    items = list(choices.items()) if isinstance(choices, dict) else list(choices)
    return forms.ChoiceField(
        label=label, choices=items, widget=forms.RadioSelect, error_messages=_choose(label)
    )


def _text(label: str, *, required: bool = True, rows: int = 4, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=2000,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages=_required(label),
    )


class AcceptForm(ActionForm):
    """受理. A 即办件 is decided on the spot, so its form asks for the decision too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.item is not None and self.item.kind == "accept_decide":
            self.fields["decision"] = _radio(DECISIONS, "当场决定")
            self.fields["reasons"] = _text("理由（不予时必填）", required=False)


class RefuseForm(ActionForm):
    reasons = _text("不予受理的理由", help_text="将写入不予受理决定书并告知申请人（行政许可法第三十二条）")


class CorrectionForm(ActionForm):
    """一次性告知补正 (行政许可法 §32): one optional input per material and per form field of the
    application, so that every item names the material or field it concerns (the applicant's
    correction page shows those first). At least one item is needed — an open 预审意见 counts, as
    the notice lists those too.
    """

    MATERIAL_PREFIX = "material_"
    FIELD_PREFIX = "field_"

    def __init__(self, *args: Any, case: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        self.targets: dict[str, tuple[str, str]] = {}  # form field name → (notice field, what)
        if case is None:
            return
        for row in materials_checklist(case):
            name = f"{self.MATERIAL_PREFIX}{row['material']}"
            self.targets[name] = (f"materials.{row['material']}", f"材料：{row['name']}")
        for index, field in enumerate(jf.all_fields(schema_of(case))):
            name = f"{self.FIELD_PREFIX}{index}"
            self.targets[name] = (field.name, f"申请表：{field.title}")
        for name, (_target, what) in self.targets.items():
            self.fields[name] = forms.CharField(
                label=f"{what}（需补正时填写）",
                max_length=500,
                required=False,
                error_messages={"max_length": "每项补正要求不能超过500字"},
            )
        first = next(iter(self.targets), None)
        if first is not None:
            self.fields[first].help_text = (
                "在需要补正的材料或字段后写明问题，如“照片不清晰，请重新上传”；未填写的不列入。"
                "未解决的预审意见会自动列入，一次性告知申请人全部需补正的内容（行政许可法第三十二条）。"
            )
        self.open_findings = list(case.findings.filter(resolved=False).values_list("message", flat=True))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        items = [
            {"field": target, "message": str(data.get(name) or "").strip()}
            for name, (target, _what) in self.targets.items()
            if str(data.get(name) or "").strip()
        ]
        if not items and not getattr(self, "open_findings", []):
            raise forms.ValidationError(
                "请至少在一项材料或申请表字段后填写需补正的内容", code="correction.empty"
            )
        data["items"] = items
        return data

    def command_data(self) -> dict[str, Any]:
        data = {k: v for k, v in super().command_data().items() if k in ("row_version", "task")}
        return {**data, "items": self.cleaned_data.get("items") or []}

    def summary(self) -> list[tuple[str, str]]:
        rows = [
            (self.targets[name][1], str(self.cleaned_data.get(name)).strip())
            for name in self.targets
            if str(self.cleaned_data.get(name) or "").strip()
        ]
        rows += [("预审意见（自动列入）", message) for message in getattr(self, "open_findings", [])]
        return rows


class ReviewForm(ActionForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        outcomes = REVIEW_OUTCOMES
        if self.item is not None and self.item.kind == "decide":
            # On the decision task a "review" can only send the case back (docs/workflow.md).
            outcomes = {"return": REVIEW_OUTCOMES["return"]}
        self.fields["outcome"] = _radio(outcomes, "审查意见")
        self.fields["opinion"] = _text("审查意见说明")


class DecideForm(ActionForm):
    decision = _radio(DECISIONS, "决定")
    reasons = _text("理由（不予时必填）", required=False, help_text="不予许可的，应当说明理由并告知救济途径")
    opinion = _text("审批意见", required=False, rows=3)


class AssignForm(ActionForm):
    assignee = forms.CharField(
        label="承办的法律援助人员", max_length=200, error_messages=_required("承办人员")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.item is not None and self.item.task_name == "assign_lawyer":
            # 通知辩护 (法律援助法 §36): a lawyer by 执业证号; the reply to the organ names them.
            del self.fields["assignee"]
            self.fields["licence_number"] = forms.CharField(
                label="指派律师的执业证号",
                max_length=40,
                error_messages=_required("律师执业证号"),
                help_text="指派后经数据交换通知办案机关：律师姓名、执业证号和律师事务所（法律援助法第三十六条）",
            )
            if needs_experience(self.item.application):
                self.fields["experience_confirmed"] = forms.BooleanField(
                    label="已核实该律师具有三年以上相关执业经历",
                    required=True,
                    error_messages={
                        "required": "请确认该律师具有三年以上相关执业经历（法律援助法第二十六条）"
                    },
                    help_text="通知情形为可能被判处无期徒刑、死刑的人或者死刑复核案件的被告人（法律援助法第二十六条）；"
                    "执业年限由平台按律师执业证核对，相关执业经历由本中心核实",
                )


class DeliverForm(ActionForm):
    method = _radio(DELIVERY_METHODS, "送达方式")
    tracking_number = forms.CharField(
        label="邮寄单号（邮寄送达时必填）",
        max_length=60,
        required=False,
        error_messages=_required("邮寄单号"),
    )

    def __init__(self, *args: Any, case: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        if case is not None and case.applicant_id is None:
            # A walk-in applicant without an account has no 申请人空间 (the service refuses it too).
            method = self.fields["method"]
            method.choices = [(k, v) for k, v in DELIVERY_METHODS.items() if k != "electronic"]
            method.help_text = "申请人在窗口申请、没有平台账户，不能电子送达"


class SuspendForm(ActionForm):
    kind = forms.ChoiceField(
        label="中止事由", choices=SuspensionKind.choices, error_messages=_choose("中止事由")
    )
    reason = _text("事由说明", help_text="行政许可法第四十五条：听证、检验、鉴定等所需时间不计入期限")


class ResumeForm(ActionForm):
    pass


class ExtendForm(ActionForm):
    approved_by = forms.CharField(
        label="批准延长的负责人", max_length=100, error_messages=_required("批准延长的负责人")
    )
    reason = _text("延长理由", help_text="行政许可法第四十二条：经本行政机关负责人批准，可以延长十日")


class FindingForm(ActionForm):
    field = forms.CharField(label="涉及的字段或材料（选填）", max_length=200, required=False)
    message = _text("问题说明", rows=3)
