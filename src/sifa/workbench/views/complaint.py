"""投诉举报 in the workbench: the complaints handled in my jurisdiction (supervisors only).

* ``/workbench/complaints/`` — the queue, one tab per ``complaints.selectors.QUEUES`` with its
  count; the level above sees its subtree's complaints, so its 已逾期 tab is its overdue list.
* ``/workbench/complaints/<number>/`` — one complaint (``selectors.for_staff``, which logs the read
  of the complainant's data): what was complained about, the complainant (masked, and to the staff
  member complained about never shown at all), the 督办 and the history, and the forms: 受理,
  情况报告 and 答复 and 办结 for the supervisors of the handling organisation; 督办 (deadline, report
  required) for the supervisors of the level above only. The staff member complained about sees
  no form (回避).

Every form is a plain POST through ``sifa.complaints.services``; a refusal comes back in the error
summary, a success redirects with a message. Out of scope is 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from sifa.complaints import selectors, services
from sifa.complaints.models import Complaint, Status
from sifa.core.errors import ServiceError
from sifa.organisations.models import Role
from sifa.organisations.scope import Actor
from sifa.workbench.access import staff_required
from sifa.workbench.forms import DecoratedForm
from sifa.workbench.views.common import action_forms, page, paginate, posted_action


class AcceptForm(DecoratedForm):
    pass


class CloseForm(DecoratedForm):
    pass


class SuperviseForm(DecoratedForm):
    instruction = forms.CharField(
        label="督办意见",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="4至500字",
        error_messages={"required": "请填写督办意见"},
    )
    deadline = forms.DateField(
        label="督办期限",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="办理机构应在此日期前办结（或报告办理情况）",
        error_messages={"required": "请填写督办期限", "invalid": "督办期限应为日期，格式：年-月-日"},
    )
    requires_report = forms.BooleanField(label="要求报告办理情况", required=False, initial=True)


class ReportForm(DecoratedForm):
    text = forms.CharField(
        label="情况报告",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="向督办的上级机关报告办理情况，10至3000字",
        error_messages={"required": "请填写情况报告"},
    )


class ReplyForm(DecoratedForm):
    text = forms.CharField(
        label="答复内容",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="办理结果，将告知投诉举报人，10至3000字",
        error_messages={"required": "请填写答复内容"},
    )


FORMS: dict[str, tuple[type[forms.Form], str]] = {
    "accept": (AcceptForm, "已受理。"),
    "supervise": (SuperviseForm, "已督办，办理机构的监督人员将收到通知。"),
    "report": (ReportForm, "已报告办理情况。"),
    "reply": (ReplyForm, "已答复投诉举报人。"),
    "close": (CloseForm, "已办结。"),
}


def _handles_here(actor: Actor, complaint: Complaint) -> bool:
    """A supervisor of the handling organisation itself (the level above supervises instead)."""
    return actor.is_superuser or any(
        path == complaint.scope_path for _o, path, role in actor.memberships if role == Role.SUPERVISOR
    )


def _above(actor: Actor, complaint: Complaint) -> bool:
    return actor.is_superuser or any(
        complaint.scope_path.startswith(path) and path != complaint.scope_path
        for _o, path, role in actor.memberships
        if role == Role.SUPERVISOR
    )


def allowed(actor: Actor, user: Any, complaint: Complaint) -> list[str]:
    """The commands shown to this supervisor now (the service checks again)."""
    if complaint.staff_member_id is not None and complaint.staff_member_id == user.pk:
        return []
    found: list[str] = []
    here = _handles_here(actor, complaint)
    pending = complaint.supervisions.filter(requires_report=True, reported_at__isnull=True).exists()
    if here and complaint.status == Status.SUBMITTED:
        found.append("accept")
    if _above(actor, complaint) and complaint.status != Status.CLOSED:
        found.append("supervise")
    if here and pending:
        found.append("report")
    if here and complaint.status == Status.ACCEPTED:
        found.append("reply")
    if here and complaint.status == Status.REPLIED and not pending:
        found.append("close")
    return found


# --- the queue ----------------------------------------------------------------------------------


@require_safe
@staff_required
def queue_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not selectors.can_work_queue(actor):
        raise Http404("未找到该页面")
    status = request.GET.get("status", "open")
    if status not in selectors.QUEUES:
        status = "open"
    tabs = [
        {
            "key": key,
            "label": label,
            "count": selectors.queue(actor, status=key).count(),
            "query": urlencode({"status": key}),
        }
        for key, label in selectors.QUEUES.items()
    ]
    page_obj = paginate(request, selectors.queue(actor, status=status))
    page_obj.object_list = [selectors.summary(c, viewer=request.user) for c in page_obj.object_list]
    return page(
        request,
        "workbench/complaint/queue.html",
        {
            "nav": "complaints",
            "tabs": tabs,
            "status": status,
            "status_label": selectors.QUEUES[status],
            "page_obj": page_obj,
            "query": urlencode({"status": status}),
        },
    )


# --- one complaint ------------------------------------------------------------------------------


def _complaint(request: HttpRequest, number: str) -> Complaint:
    if not selectors.can_work_queue(request.actor):
        raise Http404("未找到该投诉举报")
    try:
        return selectors.for_staff(request.user, number)
    except ServiceError as missing:
        raise Http404(missing.message) from missing


def _render(
    request: HttpRequest,
    complaint: Complaint,
    *,
    bound: forms.Form | None = None,
    action: str = "",
    error: ServiceError | None = None,
    status: int = 200,
) -> HttpResponse:
    commands = allowed(request.actor, request.user, complaint)
    initial = {"supervise": {"deadline": timezone.localdate() + dt.timedelta(days=7)}}
    return page(
        request,
        "workbench/complaint/detail.html",
        {
            "nav": "complaints",
            "data": selectors.view(complaint, viewer=request.user, staff=True),
            "accused": complaint.staff_member_id is not None and complaint.staff_member_id == request.user.pk,
            **action_forms(FORMS, commands, bound=bound, action=action, error=error, initial=initial),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def detail_view(request: HttpRequest, number: str) -> HttpResponse:
    complaint = _complaint(request, number)
    if request.method == "GET":
        return _render(request, complaint)
    action, form, done = posted_action(request, FORMS)
    if not form.is_valid():
        return _render(request, complaint, bound=form, action=action, status=400)
    data = form.cleaned_data
    try:
        if action == "accept":
            services.accept(request.user, complaint.number)
        elif action == "supervise":
            services.supervise(
                request.user,
                complaint.number,
                instruction=data["instruction"],
                deadline=data["deadline"],
                requires_report=data["requires_report"],
            )
        elif action == "report":
            services.report(request.user, complaint.number, text=data["text"])
        elif action == "reply":
            services.reply(request.user, complaint.number, text=data["text"])
        else:
            services.close(request.user, complaint.number)
    except ServiceError as refused:
        return _render(
            request,
            _complaint(request, number),
            bound=form,
            action=action,
            error=refused,
            status=refused.status,
        )
    messages.success(request, done)
    return redirect("workbench-complaint", number=complaint.number)
