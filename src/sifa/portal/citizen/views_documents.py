"""我的空间 → 文书: the notices and decision letters sent to me (受理通知书, 补正告知书,
准予行政许可决定书 …), each a sealed PDF.

Reads go through ``sifa.documents.selectors`` (the caller's data scope), narrowed to documents
addressed to the caller; another person's document answers 404 like an unknown one.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from sifa.core.errors import NotFound
from sifa.documents.selectors import document_for, documents_for, read_pdf
from sifa.portal.citizen.common import applicant_required, page

PAGE_SIZE = 20


def my_documents(user):
    return documents_for(user).filter(recipient=user).order_by("-created_at", "-id")


@never_cache
@require_safe
@applicant_required
def documents(request: HttpRequest) -> HttpResponse:
    page_obj = Paginator(my_documents(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"title": "我的文书", "page_obj": page_obj, "section": "documents"}
    return page(request, "portal/citizen/me_documents.html", context)


@require_safe
@applicant_required
def document_file(request: HttpRequest, public_id: str) -> HttpResponse:
    document = document_for(request.user, public_id)
    if document.recipient_id != request.user.pk:
        raise NotFound("未找到该文书", code="documents.not_found")
    response = HttpResponse(read_pdf(document), content_type="application/pdf")
    # Attachment: a PDF is never rendered inline from our origin (docs/security.md).
    response["Content-Disposition"] = f'attachment; filename="{document.kind}-{document.public_id}.pdf"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-SM3"] = document.sm3
    return response
