"""我的投诉: a signed-in complainant's own complaints and reports in 我的空间 (list, then one with
its progress, the reply and the history the complainant may see). Anonymous ones are not here:
they are followed by tracking code at ``/complaints/track/``. Someone else's complaint is 404."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from sifa.complaints import selectors
from sifa.portal.citizen.common import applicant_required, page

PAGE_SIZE = 20


@never_cache
@require_safe
@applicant_required
def complaints(request: HttpRequest) -> HttpResponse:
    page_obj = Paginator(selectors.mine(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [selectors.summary(complaint) for complaint in page_obj]
    context = {"title": "我的投诉", "page_obj": page_obj, "rows": rows, "section": "complaints"}
    return page(request, "portal/citizen/me_complaints.html", context)


@never_cache
@require_safe
@applicant_required
def complaint_detail(request: HttpRequest, number: str) -> HttpResponse:
    complaint = selectors.for_complainant(request.user, number)
    context = {
        "title": f"投诉举报 {complaint.number}",
        "complaint": selectors.view(complaint),
        "section": "complaints",
    }
    return page(request, "portal/citizen/me_complaint.html", context)
