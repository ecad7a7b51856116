"""Documents the workflow issued (notices, decision letters, mediation documents), over the API.

Mounted under ``/api/v1/`` through ``sifa.workflow.api``:

* ``GET me/documents/`` — the documents sent to me (the applicant), newest first.
* ``GET documents/{public_id}/`` — the document's particulars and whether it is in force
  (``status`` issued / withdrawn, with who withdrew it, when and why);
* ``GET cases/{number}/licence/pdf/`` — the sealed PDF of the e-licence the case issued, for the
  staff who hand it over: anyone who sees the case (``selectors.case_licence``: for a window below
  the accepting organisation, the pickup window or the window that received it) while it is at its
  delivery step (准予决定, 已送达); anyone else, or before the decision, 404
  ``workflow.licence_not_found``. Each download is in the holder's access log, credited to the
  window it went through (``services.case_audit.record_case_licence_read``);
* ``GET documents/{public_id}/pdf/`` — the sealed PDF, as an attachment (``X-Sifa-Document-Status``
  says issued or withdrawn), to its recipient, to staff whose jurisdiction covers the case, to a
  window that sees the case at its step (the window that received it, at acceptance and delivery;
  the pickup window, at delivery — ``selectors.case_documents_q``) — and, for a 通报, to the staff
  of every organisation in its issuer's subtree; anyone else gets 404 ``documents.not_found``.

Reads go through ``sifa.documents.selectors`` (data scope, widened by the case's visibility); the
writes are the audit event of a staff read of a 通报 (``documents.services.record_read``) and, for a
staff download of a case's PDF, the applicant's access-log row, credited to the window it went
through (``services.case_audit.record_case_document_read``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.core.api.schema import LOGIN_ERRORS, error_responses, file_response, path_parameter
from sifa.documents.models import CIRCULATED_KINDS
from sifa.documents.selectors import document_for, documents_for, read_pdf
from sifa.documents.services import record_read
from sifa.licences.pdf import pdf_response
from sifa.organisations.scope import actor_for
from sifa.workflow.models import CaseDocument
from sifa.workflow.selectors import case_documents_q, case_licence, case_of_document
from sifa.workflow.services.case_audit import record_case_document_read, record_case_licence_read


def pdf_url(document: Any) -> str:
    return f"/api/v1/documents/{document.public_id}/pdf/"


def licence_pdf_url(number: str) -> str:
    return f"/api/v1/cases/{number}/licence/pdf/"


class DocumentSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(help_text="文书的公开标识（下载时使用）")
    kind = serializers.CharField(help_text="acceptance_notice / refusal_notice / correction_notice / …")
    title = serializers.CharField(help_text="如 受理通知书")
    number = serializers.CharField(help_text="文号（GB/T 9704-2012 §7.2.5），如 杭司受〔2026〕1号")
    organisation = serializers.CharField(source="organisation.name", help_text="发文机关")
    application_number = serializers.CharField(source="related_id", help_text="办件编号")
    issued_at = serializers.DateTimeField(source="created_at")
    sm3 = serializers.CharField(help_text="PDF 的 SM3 摘要（十六进制）")
    pdf = serializers.SerializerMethodField(help_text="下载地址")

    def get_pdf(self, document: Any) -> str:
        return pdf_url(document)


class CaseDocumentSerializer(serializers.Serializer):
    """One owed document of a case, for the staff case view (pending ones show their last error)."""

    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    number = serializers.CharField(source="document.number", default=None)
    public_id = serializers.UUIDField(source="document.public_id", default=None)
    pdf = serializers.SerializerMethodField()
    licence_identifier = serializers.CharField(source="licence.identifier", default=None)
    licence_number = serializers.CharField(source="licence.number", default=None)
    licence_pdf = serializers.SerializerMethodField(
        help_text="电子证照版式文件（PDF）的下载地址，供送达时打印交付（办件处于送达阶段时可下载）"
    )

    def get_pdf(self, row: CaseDocument) -> str | None:
        return pdf_url(row.document) if row.document_id else None

    def get_licence_pdf(self, row: CaseDocument) -> str | None:
        if row.licence_id is None or not row.licence.pdf_storage_key:
            return None
        return licence_pdf_url(row.application.number)


def case_documents(application: Any) -> list[dict[str, Any]]:
    """The case's owed documents, oldest first (for the staff case view and the workbench)."""
    rows = list(
        CaseDocument.objects.filter(application=application)
        .select_related("document", "licence")
        .order_by("created_at", "id")
    )
    for row in rows:
        row.application = application  # the case at hand: no join back to it
    return CaseDocumentSerializer(rows, many=True).data


class DocumentStatusSerializer(serializers.Serializer):
    """One document's particulars and whether it is still in force (a 通报 may be withdrawn)."""

    public_id = serializers.UUIDField(help_text="文书的公开标识")
    kind = serializers.CharField(help_text="acceptance_notice / … / performance_report")
    title = serializers.CharField()
    number = serializers.CharField(help_text="文号")
    organisation = serializers.CharField(source="organisation.name", help_text="发文机关")
    related = serializers.SerializerMethodField(help_text="关联对象，如 performance_report:2026-11")
    issued_at = serializers.DateTimeField(source="created_at")
    sm3 = serializers.CharField(help_text="PDF 的 SM3 摘要（十六进制）")
    status = serializers.SerializerMethodField(help_text="issued 有效 / withdrawn 已撤销")
    status_label = serializers.CharField(help_text="有效 / 已撤销")
    withdrawn_at = serializers.DateTimeField(allow_null=True, help_text="撤销时间")
    withdrawn_by = serializers.SerializerMethodField(help_text="撤销人（姓名）")
    withdrawal_reason = serializers.CharField(help_text="撤销理由")
    pdf = serializers.SerializerMethodField(help_text="下载地址（撤销后文件仍保留，可核验）")

    def get_related(self, document: Any) -> str:
        return f"{document.related_type}:{document.related_id}" if document.related_type else ""

    def get_status(self, document: Any) -> str:
        return "withdrawn" if document.withdrawn_at else "issued"

    def get_withdrawn_by(self, document: Any) -> str:
        user = document.withdrawn_by
        return (user.display_name or user.username) if user else ""

    def get_pdf(self, document: Any) -> str:
        return pdf_url(document)


def _log_circulated_read(request: Request, document: Any) -> None:
    """A staff read of a 通报 is in the audit trail (``documents.read``), whoever in its subtree reads it."""
    if document.kind in CIRCULATED_KINDS and request.user.is_authenticated and document.recipient_id is None:
        record_read(document, reader=request.user)


def _log_case_document_read(request: Request, actor: Any, document: Any) -> None:
    """A staff download of a case's document (not the applicant's own) is in the applicant's
    access log, credited to the window it went through when it went through one."""
    if document.recipient_id == request.user.pk or not actor.is_staff_actor:
        return
    case = case_of_document(actor, document)
    if case is not None:
        record_case_document_read(request.user, actor, case, document)


class DocumentDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="documents_detail",
        summary="文书信息与效力状态",
        description="文书的文号、发文机关、SM3 摘要和效力状态：已撤销的通报写明撤销时间、撤销人和理由（文件不删除）。",
        parameters=[path_parameter("public_id", "文书的公开标识（UUID）")],
        responses={
            200: DocumentStatusSerializer,
            **error_responses(*LOGIN_ERRORS, 404, notes={404: "documents.not_found：文书不存在或无权查看"}),
        },
    )
    def get(self, request: Request, public_id: str) -> Response:
        document = document_for(request.user, public_id, case_documents_q(actor_for(request.user)))
        _log_circulated_read(request, document)
        response = Response(DocumentStatusSerializer(document).data)
        response["Cache-Control"] = "private, no-store"
        return response


class MyDocuments(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: DocumentSerializer(many=True), **error_responses(*LOGIN_ERRORS)})
    def get(self, request: Request) -> Response:
        documents = documents_for(request.user).filter(recipient=request.user).order_by("-created_at", "-id")
        return Response(DocumentSerializer(documents, many=True).data)


class DocumentPdf(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[path_parameter("public_id", "文书的公开标识（UUID）")],
        responses={
            **file_response("application/pdf", "加盖电子印章的 PDF（附件）"),
            **error_responses(*LOGIN_ERRORS, 404, notes={404: "documents.not_found：文书不存在或无权查看"}),
        },
    )
    def get(self, request: Request, public_id: str) -> HttpResponse:
        actor = actor_for(request.user)
        document = document_for(request.user, public_id, case_documents_q(actor))
        _log_circulated_read(request, document)
        _log_case_document_read(request, actor, document)
        response = HttpResponse(read_pdf(document), content_type="application/pdf")
        response["X-Sifa-Document-Status"] = "withdrawn" if document.withdrawn_at else "issued"
        # Attachment: a PDF is never rendered inline from our origin (docs/security.md).
        response["Content-Disposition"] = f'attachment; filename="{document.kind}-{document.public_id}.pdf"'
        response["X-Content-SM3"] = document.sm3
        response["X-Content-SM2-Key-Id"] = document.sm2_key_id
        response["Cache-Control"] = "private, no-store"
        return response


class CaseLicencePdf(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="cases_licence_pdf",
        summary="下载办件所发电子证照的版式文件（送达时打印交付）",
        description=(
            "能看到该办件的工作人员在送达阶段（准予决定、已送达）下载办件所发电子证照的 PDF，"
            "用于窗口领取时打印交付；领取窗口在此之前看不到办件。每次下载记入持证人的个人信息使用记录。"
        ),
        parameters=[path_parameter("number", "办件编号")],
        responses={
            **file_response("application/pdf", "加盖电子印章的 PDF；X-Content-SM3 为其 SM3 摘要"),
            **error_responses(
                *LOGIN_ERRORS,
                404,
                notes={404: "workflow.licence_not_found：办件不存在、无权查看、未到送达阶段或尚无证照"},
            ),
        },
    )
    def get(self, request: Request, number: str) -> HttpResponse:
        actor = actor_for(request.user)
        case, licence = case_licence(actor, number)
        record_case_licence_read(request.user, actor, case, licence)
        return pdf_response(licence)


urlpatterns = [
    path("cases/<str:number>/licence/pdf/", CaseLicencePdf.as_view(), name="workflow-case-licence-pdf"),
    path("me/documents/", MyDocuments.as_view(), name="workflow-my-documents"),
    path("documents/<str:public_id>/", DocumentDetail.as_view(), name="workflow-document-detail"),
    path("documents/<str:public_id>/pdf/", DocumentPdf.as_view(), name="workflow-document-pdf"),
]
