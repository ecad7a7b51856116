"""The case page and its actions: every action is a form, a confirmation page, then the service.

POST without ``confirmed`` checks the form and shows what will be done; the confirmation page
posts the same answers again with ``confirmed=1`` and only then the service runs. Errors from the
form or the service come back on the action page in an error summary linked to the fields.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from sifa.applications.models import Application, ApplicationMaterial
from sifa.applications.uploads import attachment_response
from sifa.core.errors import NotFound, ServiceError
from sifa.exchange.selectors import case_messages
from sifa.licences.pdf import pdf_response
from sifa.mediation.selectors import case_summary
from sifa.organisations.models import Role
from sifa.workbench import presenters
from sifa.workbench.access import staff_required
from sifa.workbench.actions import Available, available_actions, find
from sifa.workbench.views.common import error_summary, page
from sifa.workflow.documents_api import case_documents
from sifa.workflow.models import WorkItem, WorkItemStatus
from sifa.workflow.selectors import DELIVERY_STEP, case_for_staff, case_licence, visible_cases
from sifa.workflow.services.case_audit import (
    record_case_licence_read,
    record_case_material_read,
    record_case_read,
)
from sifa.workflow.transitions import Offer, considered


def _case(request: HttpRequest, number: str) -> Application:
    try:
        return case_for_staff(request.actor, number)
    except NotFound:
        raise Http404("未找到该办件") from None


def _items(case: Application) -> list[WorkItem]:
    return list(case.work_items.select_related("organisation", "completed_by").order_by("id"))


def _available(request: HttpRequest, case: Application) -> tuple[list[Available], str]:
    """The actions offered, and why 送达 waits when it does ("" otherwise)."""
    open_items = [i for i in _items(case) if i.status == WorkItemStatus.OPEN]
    offered = considered(request.actor, case, open_items)
    return available_actions(request.actor, case, open_items, offered=offered), _held(offered)


def _held(offered: list[Offer]) -> str:
    return next((o.held for o in offered if o.held), "")


def _blank_form(case: Application, action: Available, *, on_case_page: bool = False):
    initial = {"row_version": case.row_version, "task": action.task}
    # The case page shows several action forms at once: field ids carry the action's key there so
    # two forms asking for the same field (e.g. mediators, reason) never share an id or a label.
    auto_id = f"id_{action.key}_%s" if on_case_page else "id_%s"
    return action.spec.form_class(item=action.item, case=case, initial=initial, prefix=None, auto_id=auto_id)


@require_safe
@staff_required
def case_view(request: HttpRequest, number: str) -> HttpResponse:
    case = _case(request, number)
    items = _items(case)
    open_items = [i for i in items if i.status == WorkItemStatus.OPEN]
    documents = case_documents(case)
    # 送达 waits for the decision's documents (transitions.delivery_hold): not offered; say why.
    offered = considered(request.actor, case, open_items, documents=documents)
    actions = available_actions(request.actor, case, open_items, offered=offered)
    delivery_hold = _held(offered)
    record_case_read(request.user, request.actor, case)
    clocks = presenters.clocks(case)
    # 颁发、送达: the licence the case issued, printed from the case page to hand it over.
    at_delivery = case.status in DELIVERY_STEP and any(doc["licence_pdf"] for doc in documents)
    licence_url = reverse("workbench-case-licence-pdf", args=[case.number]) if at_delivery else ""
    return page(
        request,
        "workbench/case.html",
        {
            "nav": "worklist",
            "case": case,
            "items": items,
            "roles": dict(Role.choices),
            "form_rows": presenters.form_rows(case),
            "situation_rows": presenters.situation_rows(case),
            "materials": presenters.materials(case),
            "findings": case.findings.order_by("id"),
            "notices": case.correction_notices.order_by("issued_at"),
            "timeline": case.timeline.select_related("organisation").order_by("occurred_at", "id"),
            "clocks": clocks,
            "any_provisional": any(row.clock.due_on and row.clock.provisional for row in clocks),
            "documents": documents,
            "licence_pdf_url": licence_url,
            "mediation": case_summary(case),
            "exchange_messages": case_messages(request.actor, case.number or ""),
            "actions": [(a, _blank_form(case, a, on_case_page=True)) for a in actions],
            "delivery_hold": delivery_hold,
        },
    )


def _action_page(request, case, action, form, *, error: ServiceError | None = None, status: int = 200):
    return page(
        request,
        "workbench/action.html",
        {
            "nav": "worklist",
            "case": case,
            "action": action,
            "form": form,
            "errors": error_summary(form, error),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def action_view(request: HttpRequest, number: str, key: str) -> HttpResponse:
    case = _case(request, number)
    available, held = _available(request, case)
    action = find(available, key)
    if action is None:
        if held and key.split("-", 1)[0] == "deliver":
            messages.error(request, held)  # 送达 waits for the decision's documents
        else:
            messages.error(request, "该操作当前不可办理，可能已由他人处理，请查看最新办理情况。")
        return redirect("workbench-case", number=case.number)
    if request.method == "GET":
        return _action_page(request, case, action, _blank_form(case, action))
    form = action.spec.form_class(request.POST, item=action.item, case=case)
    if not form.is_valid():
        return _action_page(request, case, action, form, status=400)
    if request.POST.get("confirmed") != "1":
        return page(
            request,
            "workbench/confirm.html",
            {"nav": "worklist", "case": case, "action": action, "form": form, "summary": form.summary()},
        )
    data = form.command_data()
    if action.task:
        data["task"] = action.task
    try:
        action.spec.run(request.user, case, data)
    except ServiceError as refused:
        return _action_page(request, case, action, form, error=refused, status=refused.status)
    messages.success(request, f"办件 {case.number}：{action.spec.done or action.spec.label}。")
    if not visible_cases(request.actor).filter(pk=case.pk).exists():
        # A window's step is done (accepted, delivered …) and the case has moved past what that
        # window sees (一窗受理, docs/workflow.md): back to the worklist, not to a 404.
        return redirect("workbench-worklist")
    return redirect("workbench-case", number=case.number)


@require_safe
@staff_required
def material_file(request: HttpRequest, number: str, material_id: str) -> HttpResponse:
    """A material of a case in my scope, always as an attachment (images still show in <img>)."""
    case = _case(request, number)
    try:
        key = uuid.UUID(material_id)
    except ValueError:
        raise Http404("未找到该材料") from None
    row = ApplicationMaterial.objects.filter(application=case, pk=key).exclude(storage_key="").first()
    if row is None:
        raise Http404("未找到该材料")
    try:
        response = attachment_response(row.storage_key, row.display_name, row.content_type)
    except NotFound:
        raise Http404("未找到该材料文件") from None
    record_case_material_read(request.user, request.actor, case, row)
    return response


@require_safe
@staff_required
def licence_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The e-licence the case issued, to print and hand over at delivery (颁发、送达): for whoever
    sees the case at its delivery step — the pickup window, or the window that received it —
    as an attachment; logged in the holder's access log, credited to that window. Anything else
    (another window, another county, before the decision) is 404."""
    try:
        case, licence = case_licence(request.actor, number)
    except NotFound:
        raise Http404("未找到该办件的电子证照") from None
    record_case_licence_read(request.user, request.actor, case, licence)
    return pdf_response(licence)
