"""补正: the one-time notice (一次性告知书, 行政许可法 §32) with everything fixed on one page — the
applicant's side of :mod:`sifa.web.correction` (the window has the same page for a walk-in)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from sifa.applications.models import ApplicationStatus
from sifa.portal.citizen.common import applicant_required, page
from sifa.portal.citizen.drafts import CITIZEN, my_application
from sifa.web.correction import correction_page
from sifa.web.journey import ref_of


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def correction(request: HttpRequest, ref: str) -> HttpResponse:
    app = my_application(request, ref, acting=True)
    if app.status != ApplicationStatus.CORRECTION_REQUIRED:
        messages.info(request, "该申请当前没有待补正的内容。")
        return redirect("citizen-application", ref=ref_of(app))
    done, context = correction_page(request, app, CITIZEN)
    if done:
        messages.success(request, "补正材料已提交，我们将重新预审，结果会通过消息通知您。")
        return redirect("citizen-application", ref=ref_of(app))
    context.update(ref=ref_of(app), section="applications")
    status = 400 if context["errors"] else 200
    return page(request, "portal/citizen/correction.html", context, status=status)
