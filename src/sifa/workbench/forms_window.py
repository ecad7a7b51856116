"""The forms of 窗口受理 (一窗受理): which item, which receiving organisation, who the walk-in applicant
is. They check what the clerk can fix on the page (required fields, choices, the phone's shape);
``applications.services.start_draft`` stays the judge of identifiers, names on record and whether
this window may receive for the organisation."""

from __future__ import annotations

from typing import Any

from django import forms

from sifa.accounts import consents
from sifa.accounts.services.common import PHONE_RE, normalize_phone
from sifa.workbench.forms import DecoratedForm

PERSON, COMPANY = "person", "company"
KINDS = [(PERSON, "自然人"), (COMPANY, "法人或其他组织")]
RADIO_LIMIT = 8
"""Up to this many receiving organisations are radios; more become a drop-down list."""


def _messages(label: str, verb: str = "填写") -> dict[str, str]:
    return {"required": f"请{verb}{label}", "invalid_choice": f"请选择有效的{label}"}


def _kind_field(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=KINDS, widget=forms.RadioSelect, error_messages=_messages(label, "选择")
    )


def _name_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=200,
        help_text="与身份证件或营业执照（登记证书）上的一致",
        error_messages=_messages(label),
    )


def _id_number_field() -> forms.CharField:
    return forms.CharField(
        label="公民身份号码", required=False, max_length=30, help_text="自然人填写：18位，末位为X的请大写"
    )


def _uscc_field() -> forms.CharField:
    return forms.CharField(
        label="统一社会信用代码", required=False, max_length=30, help_text="法人或其他组织填写：18位"
    )


def _require_identifier(form: forms.Form, data: dict[str, Any]) -> None:
    """The identifier of the kind chosen is required (a person's 公民身份号码, an organisation's USCC)."""
    if data.get("kind") == COMPANY and not (data.get("uscc") or "").strip():
        form.add_error("uscc", "请填写统一社会信用代码")
    elif data.get("kind") == PERSON and not (data.get("id_number") or "").strip():
        form.add_error("id_number", "请填写公民身份号码")


class ItemChoiceForm(DecoratedForm):
    """Step 1: the item (only items the clerk's windows may receive for are offered)."""

    item = forms.ChoiceField(label="办理事项", error_messages=_messages("办理事项", "选择"))

    def __init__(self, *args: Any, items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "请选择"), *items]


class WalkInForm(DecoratedForm):
    """Step 2: the receiving organisation and the applicant's identity (and phone, when the item's
    form asks for one: it is filled into the form for the clerk to check on the next pages)."""

    entry = forms.ChoiceField(label="受理机构", error_messages=_messages("受理机构", "选择"))
    kind = _kind_field("申请人类型")
    name = _name_field("申请人姓名或单位名称")
    id_number = _id_number_field()
    uscc = _uscc_field()
    legal_representative = forms.CharField(
        label="法定代表人或负责人",
        required=False,
        max_length=100,
        help_text="法人或其他组织填写；该单位已在平台登记的可不填",
    )
    phone = forms.CharField(label="联系电话", required=False, max_length=20, help_text="11位手机号码")
    id_number_consent = forms.BooleanField(
        label="申请人已当面阅读并单独同意处理其身份证件号码", required=False
    )
    id_number_consent_version = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args: Any, entries: list[tuple[str, str]], ask_phone: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["entry"]
        field.choices = entries
        if len(entries) <= RADIO_LIMIT:
            field.widget = forms.RadioSelect(choices=entries)
        else:
            field.choices = [("", "请选择"), *entries]
        if len(entries) == 1 and not self.is_bound:
            self.initial["entry"] = entries[0][0]
        self.initial.setdefault("kind", PERSON)
        # 个人信息保护法 §29: the same separate consent, text and version, as online registration
        # (consents.REGISTER_ID_NUMBER); never ticked in advance. The version shown travels with
        # the form, so a text changed in between is asked again (consent.stale_version).
        text = consents.current(consents.REGISTER_ID_NUMBER)
        self.fields["id_number_consent"].help_text = (
            f"自然人填写。请申请人阅读：{text.text}（{text.legal_basis}；告知文本版本 {text.version}）"
            "申请人可以随时撤回同意（在网上办事大厅“我的—授权与个人数据”或到窗口）。"
        )
        self.initial["id_number_consent_version"] = text.version
        self.initial["id_number_consent"] = False
        self.ask_phone = ask_phone
        if not ask_phone:
            del self.fields["phone"]
        else:
            self.fields["phone"].required = True
            self.fields["phone"].error_messages["required"] = "请填写联系电话"

    def clean_phone(self) -> str:
        phone = normalize_phone(self.cleaned_data.get("phone", ""))
        if phone and not PHONE_RE.match(phone):
            raise forms.ValidationError("联系电话应为11位中国大陆手机号（以13–19开头）")
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _require_identifier(self, data)
        if data.get("kind") == PERSON:
            if not data.get("id_number_consent"):
                text = consents.current(consents.REGISTER_ID_NUMBER)
                self.add_error(
                    "id_number_consent",
                    f"请申请人阅读“{text.title}”，同意后勾选（{text.legal_basis}）",
                )
        return data

    def walk_in(self) -> dict[str, str]:
        """The ``walk_in`` argument of ``start_draft``."""
        data = self.cleaned_data
        if data["kind"] == COMPANY:
            return {
                "kind": COMPANY,
                "name": data["name"],
                "uscc": data["uscc"],
                "legal_representative": data["legal_representative"],
            }
        return {
            "kind": PERSON,
            "name": data["name"],
            "id_number": data["id_number"],
            # The version of the text shown (empty: not ticked) — start_draft records it.
            "id_number_consent": data["id_number_consent_version"] if data.get("id_number_consent") else "",
        }


class WithdrawForm(DecoratedForm):
    """撤回申请 at the window: the reason the walk-in applicant gives (recorded on the timeline and
    in the audit event); ``confirmed`` is set by the confirmation step's hidden field."""

    reason = forms.CharField(
        label="撤回理由",
        max_length=200,
        help_text="申请人提出撤回的理由，如实记录（200字以内）；记入办理过程和审计记录",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写撤回理由", "max_length": "撤回理由不能超过200字"},
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data.get("reason", "").split())
        if not reason:
            raise forms.ValidationError("请填写撤回理由")
        return reason


DATA_USE_REASON = "应本人申请查阅、复制其个人信息使用记录（个人信息保护法第四十五条）"


class DataUseForm(DecoratedForm):
    """数据使用记录查阅: who the record is for (the person or organisation in front of the clerk,
    identified by the document they show) and the request's reason. ``workflow.data_use`` judges
    the identifiers and whether anything in the clerk's jurisdiction is about them."""

    kind = _kind_field("当事人类型")
    name = _name_field("姓名或单位名称")
    id_number = _id_number_field()
    uscc = _uscc_field()
    reason = forms.CharField(
        label="申请事由",
        max_length=150,
        help_text="记入当事人的数据使用记录，如：本人到窗口申请查阅、复制；受委托代为申请的，写明委托人",
        error_messages={"required": "请填写申请事由", "max_length": "申请事由不能超过150字"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("kind", PERSON)
        self.initial.setdefault("reason", "本人到窗口申请查阅、复制")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _require_identifier(self, data)
        data["reason"] = " ".join(str(data.get("reason") or "").split())
        return data

    def identifier(self) -> str:
        data = self.cleaned_data
        return str(data["uscc"] if data["kind"] == COMPANY else data["id_number"]).strip().upper()
