"""好差评 in the workbench: the rectifications (整改) of 差评 in my jurisdiction.

* ``/workbench/rectifications/`` — the queue, one tab per ``evaluation.selectors.TABS`` with its
  count (待整改, 已逾期, 逾期升级, 申诉中, …), oldest due first.
* ``/workbench/rectifications/<id>/`` — one rectification: the rating (level, comment, item,
  stage; the staff member rated is named to supervisors only), the time limits, what happened so
  far, and the forms of the commands the staff member may use (回访, 反馈整改情况, 办结, 申诉 by a
  supervisor of the organisation, 复核 by a supervisor of the level above).

Every form is a plain POST through ``sifa.evaluation.services.command``; a refusal comes back in
the error summary, a success redirects with a message. Out of scope is 404.
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
from sifa.deadlines.stored import WITHDRAWN, moved_text
from sifa.evaluation import selectors, services
from sifa.evaluation.models import Rectification, RectificationStatus
from sifa.evaluation.services.rectifications import APPEAL_ROLES, DECIDE_ROLES
from sifa.organisations.scope import Actor, scoped
from sifa.workbench.access import staff_required
from sifa.workbench.forms import DecoratedForm
from sifa.workbench.views.common import action_forms, page, paginate, posted_action


def can_work_rectifications(actor: Actor) -> bool:
    return actor.is_superuser or actor.has_role(*services.HANDLE_ROLES)


def _holds(actor: Actor, roles: tuple[str, ...], path: str, *, strictly_above: bool = False) -> bool:
    if actor.is_superuser:
        return True
    return any(path.startswith(p) and not (strictly_above and p == path) for p in actor.paths_for(roles))


# --- forms --------------------------------------------------------------------------------------


class CallbackForm(DecoratedForm):
    text = forms.CharField(
        label="回访记录",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="回访的时间、方式和评价人的意见，2至500字",
        error_messages={"required": "请填写回访记录"},
    )


class ReportForm(DecoratedForm):
    text = forms.CharField(
        label="整改情况",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="整改的措施和结果，将告知评价人，2至2000字",
        error_messages={"required": "请填写整改情况"},
    )


class CloseForm(DecoratedForm):
    pass


class AppealForm(DecoratedForm):
    text = forms.CharField(
        label="申诉理由和证据",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="认为是恶意差评的，写明理由和证据，由上级机构的监督人员复核，10至2000字",
        error_messages={"required": "请填写申诉理由和证据"},
    )


class DecideForm(DecoratedForm):
    decision = forms.ChoiceField(
        label="复核结论",
        choices=[("set_aside", "撤销差评（不计入统计）"), ("dismiss", "驳回申诉（继续整改）")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择复核结论", "invalid_choice": "请选择复核结论"},
    )
    text = forms.CharField(
        label="复核意见",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写复核意见"},
    )


FORMS: dict[str, tuple[type[forms.Form], str]] = {
    "callback": (CallbackForm, "已登记回访。"),
    "report": (ReportForm, "已反馈整改情况。"),
    "close": (CloseForm, "已办结。"),
    "appeal": (AppealForm, "已提交申诉，由上级机构复核。"),
    "set_aside": (DecideForm, "已复核。"),
}


def allowed(actor: Actor, rectification: Rectification) -> list[str]:
    """The commands this staff member may use now (the service checks again)."""
    path, status = rectification.scope_path, rectification.status
    handle = _holds(actor, services.HANDLE_ROLES, path)
    named = rectification.rating.rater_named
    found: list[str] = []
    if handle and status == RectificationStatus.OPEN:
        if named and rectification.callback_at is None:
            found.append("callback")
        if not named or rectification.callback_at is not None:
            found.append("report")
    if handle and status == RectificationStatus.REPORTED:
        found.append("close")
    if (
        status == RectificationStatus.OPEN
        and rectification.appealed_at is None
        and rectification.organisation.parent_id is not None  # someone above decides it
        and _holds(actor, APPEAL_ROLES, path)
    ):
        found.append("appeal")
    if status == RectificationStatus.APPEALED and _holds(
        actor, DECIDE_ROLES, rectification.organisation.path, strictly_above=True
    ):
        found.append("set_aside")
    return found


# --- the queue ----------------------------------------------------------------------------------


@require_safe
@staff_required
def queue_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not can_work_rectifications(actor):
        raise Http404("未找到该页面")
    status = request.GET.get("status", "open")
    if status not in selectors.TABS:
        status = "open"
    tabs = [
        {
            "key": key,
            "label": label,
            "count": selectors.rectifications(actor, status=key).count(),
            "query": urlencode({"status": key}),
        }
        for key, label in selectors.TABS.items()
    ]
    return page(
        request,
        "workbench/rectification/queue.html",
        {
            "nav": "rectifications",
            "tabs": tabs,
            "status": status,
            "status_label": selectors.TABS[status],
            "page_obj": paginate(request, selectors.rectifications(actor, status=status)),
            "query": urlencode({"status": status}),
        },
    )


# --- one rectification --------------------------------------------------------------------------


def _rectification(request: HttpRequest, rectification_id: int) -> Rectification:
    actor = request.actor
    if not can_work_rectifications(actor):
        raise Http404("未找到该差评整改")
    found = (
        scoped(Rectification.objects.all(), actor)
        .filter(pk=rectification_id)
        .select_related("rating", "rating__organisation", "rating__staff_member", "organisation")
        .select_related("escalated_to", "decided_by")
        .first()
    )
    if found is None:
        raise Http404("未找到该差评整改")
    return found


def _moved_note(r: Rectification) -> str:
    if r.due_before is None:
        return ""
    return moved_text(r.due_before, r.due_date, what="整改期限", provisional=r.due_provisional)


def history(rectification: Rectification) -> list[dict[str, Any]]:
    """What happened so far, from the rectification's own moments (each also an audit event)."""
    r = rectification
    rows = [
        ("收到差评", r.rating.created_at, ""),
        ("开始整改", r.created_at, f"整改期限{services.date_text(r.due_date, r.due_provisional)}"),
        ("回访评价人", r.callback_at, r.callback_note),
        ("逾期升级", r.escalated_at, f"升级至{r.escalated_to.name}" if r.escalated_to_id else ""),
        ("期限调整", r.due_moved_at, _moved_note(r)),
        ("撤销逾期升级", r.escalation_withdrawn_at, WITHDRAWN),
        ("申诉", r.appealed_at, r.appeal_evidence),
        ("反馈整改情况", r.reported_at, r.outcome),
        ("办结" if r.status == RectificationStatus.CLOSED else "差评已撤销", r.closed_at, ""),
    ]
    return sorted(
        ({"label": label, "at": at, "note": note} for label, at, note in rows if at is not None),
        key=lambda e: e["at"],
    )


def _render(
    request: HttpRequest,
    rectification: Rectification,
    *,
    bound: forms.Form | None = None,
    action: str = "",
    error: ServiceError | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    commands = allowed(actor, rectification)
    return page(
        request,
        "workbench/rectification/detail.html",
        {
            "nav": "rectifications",
            "r": rectification,
            "data": selectors.rectification_out(rectification),
            "rating": selectors.rating_out(rectification.rating, actor),
            "history": history(rectification),
            **action_forms(FORMS, commands, bound=bound, action=action, error=error),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def detail_view(request: HttpRequest, rectification_id: int) -> HttpResponse:
    rectification = _rectification(request, rectification_id)
    if request.method == "GET":
        return _render(request, rectification)
    action, form, done = posted_action(request, FORMS)
    if not form.is_valid():
        return _render(request, rectification, bound=form, action=action, status=400)
    data = form.cleaned_data
    try:
        services.command(
            request.user,
            rectification.pk,
            action,
            text_value=data.get("text", ""),
            decision=data.get("decision", ""),
        )
    except ServiceError as refused:
        return _render(
            request,
            _rectification(request, rectification_id),
            bound=form,
            action=action,
            error=refused,
            status=refused.status,
        )
    messages.success(request, done)
    return redirect("workbench-rectification", rectification_id=rectification.pk)
