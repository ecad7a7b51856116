"""撤回申请 at the window (``/workbench/window/<id>/withdraw/``): a walk-in applicant, who has no
account and so no 撤回 button of their own, asks the window that received the application to
withdraw it before it is accepted (``applications.services.withdraw``: the receiving window may;
after acceptance the case's own withdrawal applies). Two plain POSTs, no JavaScript: the reason,
then a confirmation page repeating it; only the confirmed POST writes (timeline and audit event
``application.withdraw`` with the reason).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from sifa.applications import services
from sifa.applications.services.drafts import PRE_ACCEPTANCE
from sifa.core.errors import ServiceError
from sifa.workbench.access import staff_required
from sifa.workbench.forms_window import WithdrawForm
from sifa.workbench.views.common import error_summary
from sifa.workbench.views.window import _applicant_name, _refused, _walk_in, _window_page

TEMPLATE = "workbench/window/withdraw.html"


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def withdraw_view(request: HttpRequest, app_id: Any) -> HttpResponse:
    app = _walk_in(request, app_id)
    if app.status not in PRE_ACCEPTANCE:
        messages.info(request, f"该申请当前状态为“{app.status_label}”，不能在窗口撤回。")
        return redirect("workbench-window-receipt", app_id=app.pk)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"app": app, "applicant": _applicant_name(app), "form": form, "confirm": False}
    if request.method == "GET":
        return _window_page(request, TEMPLATE, {**context, "errors": []})
    if not form.is_valid():
        return _window_page(request, TEMPLATE, {**context, "errors": error_summary(form)}, status=400)
    if request.POST.get("edit"):  # 返回修改: the reason's form again, filled in
        return _window_page(request, TEMPLATE, {**context, "errors": []})
    if not form.cleaned_data["confirmed"]:  # the reason given: confirm it
        return _window_page(request, TEMPLATE, {**context, "errors": [], "confirm": True})
    try:
        app = services.withdraw(app, request.user, reason=form.cleaned_data["reason"])
    except ServiceError as refused:
        return _refused(request, refused)
    label = app.number or "该草稿"
    messages.success(request, f"已撤回{_applicant_name(app)}的申请 {label}，不再办理。")
    if app.number:
        return redirect("workbench-window-receipt", app_id=app.pk)
    return redirect("workbench-window")
