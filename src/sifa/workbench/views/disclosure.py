"""政务公开 in the workbench: the notices of my jurisdiction, drafting, 保密审查 and withdrawal.

* ``/workbench/disclosure/`` — the list, one tab per ``disclosure.selectors.TABS`` with its count;
* ``/workbench/disclosure/new/`` — a new draft (for one of my organisations);
* ``/workbench/disclosure/<public id>/`` — one notice: its text as it will read, the 保密审查
  record, and the forms of the commands I may use now (送审, 保密审查, 撤回);
* ``/workbench/disclosure/<public id>/edit/`` — the author edits a draft or a returned notice.

Every form is a plain POST through ``sifa.disclosure.services``; a refusal comes back in the error
summary, a success redirects with a message. Out of scope is 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_safe

from sifa.core.errors import ServiceError
from sifa.disclosure import markup, rules, selectors, services
from sifa.disclosure.models import CHECKLIST, Category, Decision, Notice, NoticeReview
from sifa.organisations.scope import Actor
from sifa.workbench.access import can_use_disclosure, staff_required
from sifa.workbench.forms import DecoratedForm
from sifa.workbench.views.common import action_forms, error_summary, page, paginate, posted_action


class NoticeForm(DecoratedForm):
    organisation = forms.TypedChoiceField(
        label="发布机构",
        coerce=int,
        error_messages={"required": "请选择发布机构", "invalid_choice": "请选择发布机构"},
    )
    category = forms.ChoiceField(
        label="栏目",
        choices=Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择栏目", "invalid_choice": "请选择栏目"},
    )
    title = forms.CharField(
        label="标题", max_length=100, help_text="4至100字", error_messages={"required": "请填写标题"}
    )
    body = forms.CharField(
        label="正文",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="纯文本。空一行分段；行首写“## ”为小标题，“- ”为列表项，“1. ”为编号列表；**文字** 加粗。不支持链接和图片。",
        error_messages={"required": "请填写正文"},
    )

    def __init__(
        self, *args: Any, organisations: list[Any] = (), editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]
            if len(organisations) == 1:
                self.fields["organisation"].initial = organisations[0].pk


class SubmitForm(DecoratedForm):
    pass


class ReviewForm(DecoratedForm):
    decision = forms.ChoiceField(
        label="审查结果",
        choices=Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择审查结果", "invalid_choice": "请选择审查结果"},
    )
    confirmed = forms.BooleanField(label=f"经审查，{CHECKLIST}", required=False)
    opinion = forms.CharField(
        label="审查意见",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="退回的，写明需要修改之处，2至500字",
        error_messages={"required": "请填写审查意见"},
    )


class WithdrawForm(DecoratedForm):
    reason = forms.CharField(
        label="撤回理由",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="撤回后信息不再公开，但保留记录，4至500字",
        error_messages={"required": "请填写撤回理由"},
    )


FORMS: dict[str, tuple[type[forms.Form], str]] = {
    "submit": (SubmitForm, "已送保密审查。"),
    "review": (ReviewForm, "已完成保密审查。"),
    "withdraw": (WithdrawForm, "已撤回，不再公开。"),
}


def _gate(request: HttpRequest) -> Actor:
    actor = request.actor
    if not can_use_disclosure(actor):
        raise Http404("未找到该页面")
    return actor


@require_safe
@staff_required
def list_view(request: HttpRequest) -> HttpResponse:
    actor = _gate(request)
    tab = request.GET.get("tab", "all")
    if tab not in selectors.TABS:
        tab = "all"
    tabs = [
        {
            "key": key,
            "label": label,
            "count": selectors.staff_notices(actor, key).count(),
            "query": urlencode({"tab": key}),
        }
        for key, label in selectors.TABS.items()
    ]
    return page(
        request,
        "workbench/disclosure/list.html",
        {
            "nav": "disclosure",
            "tabs": tabs,
            "tab": tab,
            "tab_label": selectors.TABS[tab],
            "can_draft": rules.may_draft(actor),
            "page_obj": paginate(request, selectors.staff_notices(actor, tab)),
            "query": urlencode({"tab": tab}),
        },
    )


def _form_page(request, form, notice=None, *, status=200, error=None) -> HttpResponse:
    return page(
        request,
        "workbench/disclosure/form.html",
        {"nav": "disclosure", "form": form, "notice": notice, "errors": error_summary(form, error)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def new_view(request: HttpRequest) -> HttpResponse:
    actor = _gate(request)
    organisations = rules.author_organisations(actor)
    if not organisations:
        raise Http404("未找到该页面")
    if request.method == "GET":
        return _form_page(request, NoticeForm(organisations=organisations))
    form = NoticeForm(request.POST, organisations=organisations)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    data = form.cleaned_data
    try:
        notice = services.save_draft(
            request.user,
            organisation=data["organisation"],
            category=data["category"],
            title=data["title"],
            body=data["body"],
        )
    except ServiceError as refused:
        return _form_page(request, form, status=refused.status, error=refused)
    messages.success(request, "已保存草稿。核对无误后，请送保密审查。")
    return redirect("workbench-disclosure-notice", public_id=notice.public_id)


def _notice(request: HttpRequest, public_id: str) -> Notice:
    notice = selectors.staff_notice(_gate(request), public_id)
    if notice is None:
        raise Http404("未找到该公开信息")
    return notice


@require_http_methods(["GET", "POST"])
@staff_required
def edit_view(request: HttpRequest, public_id: str) -> HttpResponse:
    notice = _notice(request, public_id)
    if not rules.may_edit(request.actor, notice):
        messages.error(request, "该信息已送审或已发布，或不是您起草的，不能修改。")
        return redirect("workbench-disclosure-notice", public_id=notice.public_id)
    if request.method == "GET":
        initial = {"category": notice.category, "title": notice.title, "body": notice.body}
        return _form_page(request, NoticeForm(initial=initial, editing=True), notice)
    form = NoticeForm(request.POST, editing=True)
    if not form.is_valid():
        return _form_page(request, form, notice, status=400)
    data = form.cleaned_data
    try:
        services.save_draft(
            request.user,
            notice_id=notice.public_id,
            category=data["category"],
            title=data["title"],
            body=data["body"],
        )
    except ServiceError as refused:
        return _form_page(request, form, notice, status=refused.status, error=refused)
    messages.success(request, "已保存修改。")
    return redirect("workbench-disclosure-notice", public_id=notice.public_id)


def _render(request, notice, *, bound=None, action="", error=None, status=200) -> HttpResponse:
    commands = [c for c in selectors.allowed(request.actor, notice) if c in FORMS]
    return page(
        request,
        "workbench/disclosure/detail.html",
        {
            "nav": "disclosure",
            "notice": notice,
            "body": markup.render(notice.body),
            "reviews": NoticeReview.objects.filter(notice=notice).select_related("reviewer"),
            "can_edit": rules.may_edit(request.actor, notice),
            **action_forms(FORMS, commands, bound=bound, action=action, error=error),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def notice_view(request: HttpRequest, public_id: str) -> HttpResponse:
    notice = _notice(request, public_id)
    if request.method == "GET":
        return _render(request, notice)
    action, form, done = posted_action(request, FORMS)
    if not form.is_valid():
        return _render(request, notice, bound=form, action=action, status=400)
    data = form.cleaned_data
    try:
        if action == "submit":
            services.submit(request.user, notice.public_id)
        elif action == "review":
            services.review(
                request.user,
                notice.public_id,
                decision=data["decision"],
                confirmed=data["confirmed"],
                opinion=data["opinion"],
            )
        else:
            services.withdraw(request.user, notice.public_id, reason=data["reason"])
    except ServiceError as refused:
        return _render(
            request,
            _notice(request, public_id),
            bound=form,
            action=action,
            error=refused,
            status=refused.status,
        )
    messages.success(request, done)
    return redirect("workbench-disclosure-notice", public_id=notice.public_id)
