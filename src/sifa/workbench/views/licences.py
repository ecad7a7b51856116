"""The licence register for decision makers: list, one licence, and its actions (吊销, 注销, 停止执业,
恢复执业, 换发, 补办, 变更), each a form, then a confirmation page, then the service.

Reads go through ``sifa.licences.staff_api``'s selectors (the issuer's subtree); every action goes
through ``sifa.licences.services`` (role, input and state checked there, audited, holder told).
Only staff holding a 审批决定人员 role see these pages; anyone else is answered 404, like a page
that does not exist for them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_safe

from sifa.core.errors import NotFound, ServiceError
from sifa.core.identifiers import IdentifierError
from sifa.core.masking import mask_name
from sifa.licences import services
from sifa.licences.models import HolderCodeType, HolderKind, Licence, LicenceType
from sifa.licences.staff_api import (
    ACTION_FIELDS,
    STATUS_FILTERS,
    filter_licences,
    licence_for_staff,
    log_read,
    staff_licences,
    versions_of,
)
from sifa.organisations.models import Role
from sifa.workbench.access import staff_required
from sifa.workbench.forms import DecoratedForm
from sifa.workbench.views.common import error_summary, field_anchor, page, paginate

NAV = "licences"
WARNINGS = {
    "revoke": "吊销是行政处罚，确认后证照立即显示为“已吊销”，不能在本系统撤销。",
    "cancel": "注销后证照立即显示为“已注销”，不能在本系统撤销。",
    "suspend": "确认后证照立即显示为“停止执业”，直到恢复执业。",
    "reinstate": "确认后证照立即恢复为“有效”。",
    "reissue": "将签发新版本，当前版本立即显示为“已换发新版本”。",
    "replace": "将签发内容相同的新版本，当前版本立即显示为“已换发新版本”。",
    "change": "将签发记载变更后的新版本，当前版本立即显示为“已换发新版本”。",
}


def _deciders_only(request: HttpRequest) -> None:
    # Hidden from everyone else's menu; asking anyway is answered like an unknown page.
    if not (request.actor.is_superuser or request.actor.has_role(Role.DECISION_MAKER)):
        raise Http404("未找到该页面")


def _licence(request: HttpRequest, identifier: str) -> Licence:
    try:
        return licence_for_staff(request.actor, identifier)
    except (NotFound, IdentifierError):
        raise Http404("未找到该电子证照") from None


class FilterForm(DecoratedForm):
    """The list's filters; ``filter_licences`` is the judge, this only draws the inputs."""

    status = forms.ChoiceField(label="状态", required=False)
    type = forms.ChoiceField(label="证照类型", required=False)
    holder_code = forms.CharField(
        label="持证主体代码",
        required=False,
        max_length=18,
        help_text="公民身份号码或统一社会信用代码，精确匹配",
    )
    number = forms.CharField(label="证照编号", required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "全部"), *STATUS_FILTERS.items()]
        self.fields["type"].choices = [("", "全部"), *LicenceType.objects.values_list("key", "name")]


class LicenceActionForm(DecoratedForm):
    """One action's answers; the fields are those the action takes (``staff_api.ACTION_FIELDS``)."""

    reason = forms.CharField(
        label="原因",
        max_length=services.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="将告知持证人，并记入审计日志（不超过500字）",
        error_messages={"required": "请填写原因", "max_length": "原因不能超过500字"},
    )
    effective_date = forms.DateField(
        label="生效日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="不填则为今天；可以早于今天（决定已作出），不能晚于今天",
        error_messages={"invalid": "请按“年-月-日”填写生效日期"},
    )
    until = forms.DateField(
        label="停止执业至",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="不填则至恢复执业时为止",
        error_messages={"invalid": "请按“年-月-日”填写日期"},
    )
    holder_name = forms.CharField(
        label="变更后的持证主体名称", required=False, max_length=200, help_text="不变更则不填"
    )
    practice_organisation = forms.CharField(
        label="执业机构", required=False, max_length=200, help_text="如“某某律师事务所”；不变更则不填"
    )
    valid_until = forms.DateField(
        label="有效期截止日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="不填则沿用当前有效期",
        error_messages={"invalid": "请按“年-月-日”填写日期"},
    )

    def __init__(self, *args: Any, action: str, licence: Licence, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        wanted = set(ACTION_FIELDS[action])
        if "particulars" in wanted and licence.licence_type.holder_kind == HolderKind.PERSON:
            wanted.add("practice_organisation")  # the particular a person's licence records (律师法 §10)
        for name in [n for n in self.fields if n not in wanted]:
            del self.fields[name]

    def command_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}
        organisation = data.pop("practice_organisation", None)
        if organisation:
            data["particulars"] = {"practice_organisation": organisation}
        return data

    def summary(self) -> list[tuple[str, str]]:
        return [
            (str(self.fields[name].label), f"{value:%Y-%m-%d}" if hasattr(value, "year") else str(value))
            for name, value in self.cleaned_data.items()
            if value not in ("", None)
        ]


@require_safe
@staff_required
def licences_view(request: HttpRequest) -> HttpResponse:
    _deciders_only(request)
    form = FilterForm(request.GET or None)
    rows = staff_licences(request.actor)
    errors: list[tuple[str, str]] = []
    status = 200
    try:
        rows = filter_licences(rows, request.GET)
    except ServiceError as bad:
        # The service names each bad filter; the form's own checks would only repeat them.
        errors = [(field_anchor(form, e["field"]), e["message"]) for e in bad.errors]
        rows, status = rows.none(), 400
    page_obj = paginate(request, rows)
    for licence in page_obj:
        # Lists show a person's name masked (the detail page, whose reading is logged, in full).
        person = licence.holder_code_type == HolderCodeType.ID_NUMBER
        licence.holder_masked = mask_name(licence.holder_name) if person else licence.holder_name
    params = request.GET.copy()
    params.pop("page", None)
    query = params.urlencode()
    return page(
        request,
        "workbench/licences.html",
        {"nav": NAV, "form": form, "page_obj": page_obj, "errors": errors, "query": query},
        status=status,
    )


@require_safe
@staff_required
def licence_view(request: HttpRequest, identifier: str) -> HttpResponse:
    _deciders_only(request)
    licence = _licence(request, identifier)
    log_read(request.user, request.actor, licence)
    actions = [
        (name, services.ACTION_LABELS[name], LicenceActionForm(action=name, licence=licence))
        for name in services.actions_for(request.user, licence)
    ]
    return page(
        request,
        "workbench/licences_detail.html",
        {"nav": NAV, "licence": licence, "versions": versions_of(licence), "actions": actions},
    )


def _action_page(request, licence, action, form, *, error: ServiceError | None = None, status: int = 200):
    return page(
        request,
        "workbench/licences_action.html",
        {
            "nav": NAV,
            "licence": licence,
            "action": action,
            "label": services.ACTION_LABELS[action],
            "form": form,
            "errors": error_summary(form, error),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def licence_action_view(request: HttpRequest, identifier: str, action: str) -> HttpResponse:
    _deciders_only(request)
    licence = _licence(request, identifier)
    if action not in services.actions_for(request.user, licence):
        messages.error(request, "该操作当前不可办理，可能证照状态已变化，请查看最新情况。")
        return redirect("workbench-licence", identifier=licence.identifier)
    if request.method == "GET":
        return _action_page(request, licence, action, LicenceActionForm(action=action, licence=licence))
    form = LicenceActionForm(request.POST, action=action, licence=licence)
    if not form.is_valid():
        return _action_page(request, licence, action, form, status=400)
    if request.POST.get("confirmed") != "1":
        return page(
            request,
            "workbench/licences_confirm.html",
            {
                "nav": NAV,
                "licence": licence,
                "action": action,
                "label": services.ACTION_LABELS[action],
                "form": form,
                "summary": form.summary(),
                "warning": WARNINGS[action],
            },
        )
    try:
        if action in services.STATUS_ACTIONS:
            result = services.change_status(licence, action, actor=request.user, **form.command_data())
        else:
            result = services.new_version(licence, action, actor=request.user, **form.command_data())
    except ServiceError as refused:
        return _action_page(request, licence, action, form, error=refused, status=refused.status)
    messages.success(request, f"证照 {result.number}：已{services.ACTION_LABELS[action]}。")
    return redirect("workbench-licence", identifier=result.identifier)
