"""数据使用记录查阅 (``/workbench/window/data-use/``): a window clerk, or a supervisor, of the
organisation that holds the record hands a person or organisation a copy of who used their data
(个人信息保护法第四十五条) — above all a walk-in without an account, who cannot open 我的数据使用记录.

The clerk types the name and the identifier from the document shown, and the request's reason; the
answer to that POST lists the rows in the clerk's jurisdiction (``workflow.data_use``), printable
from the browser, and a second button posts the same fields for the PDF copy (Noto CJK fonts, as
the 通报 and the documents). Nothing goes in an address: the identifier is never in a URL or a
log line. Each copy is logged in the person's own record.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from sifa.audit.labels import data_type_label, role_label
from sifa.audit.selectors import reader_name
from sifa.core.errors import ServiceError
from sifa.documents.rendering import render_pdf
from sifa.organisations.models import Role
from sifa.workbench.access import staff_required
from sifa.workbench.forms_window import DataUseForm
from sifa.workbench.views.common import error_summary, page
from sifa.workflow import data_use

PDF_TEMPLATE = "workbench/window/data_use_pdf.html"


def _rows(rows: list[Any]) -> list[dict[str, str]]:
    return [
        {
            "time": timezone.localtime(row.accessed_at),
            "organisation": row.reader_organisation.name if row.reader_organisation else "",
            "reader": reader_name(row),
            "role": role_label(row.reader_role),
            "kind": row.get_kind_display(),
            "purpose": row.purpose,
            "data_type": data_type_label(row.object_type),
            "receiver": row.receiver,
            "legal_basis": row.legal_basis,
            "case_number": row.case_number,
            "message_id": row.message_id,
        }
        for row in rows
    ]


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def data_use_view(request: HttpRequest) -> HttpResponse:
    if not data_use.may_look_up(request.actor):
        raise Http404("未找到该页面")
    form = DataUseForm(request.POST if request.method == "POST" else None)
    clerk = request.actor.has_role(Role.WINDOW_CLERK)
    context: dict[str, Any] = {
        "nav": "window" if clerk else "data-use",
        "clerk": clerk,
        "form": form,
        "errors": [],
        "copy": None,
    }
    if request.method == "GET":
        return page(request, "workbench/window/data_use.html", context)
    if not form.is_valid():
        context["errors"] = error_summary(form)
        return page(request, "workbench/window/data_use.html", context, status=400)
    data = form.cleaned_data
    printed = request.POST.get("format") == "pdf"
    try:
        party, copy = data_use.look_up(
            request.actor,
            request.user,
            kind=data["kind"],
            name=data["name"],
            identifier=form.identifier(),
            reason=data["reason"],
            printed=printed,
        )
    except ServiceError as refused:
        for problem in refused.errors:
            if problem.get("field") in form.fields:
                form.add_error(problem["field"], problem["message"])
        context["errors"] = error_summary(form, None if refused.errors else refused)
        return page(request, "workbench/window/data_use.html", context, status=refused.status)
    context["copy"] = {
        "party": party,
        "reason": data["reason"],
        "rows": _rows(copy["rows"]),
        "more": copy["more"],
        "max_rows": data_use.MAX_ROWS,
        "printed_at": timezone.localtime(),
    }
    if printed:
        pdf = render_pdf(PDF_TEMPLATE, {"title": "个人信息使用记录", **context["copy"]})
        response = HttpResponse(pdf, content_type="application/pdf")
        stamp = context["copy"]["printed_at"].strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="data-use-{stamp}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response
    return page(request, "workbench/window/data_use.html", context)
