"""The monthly 绩效通报 over the API, included under ``/api/v1/`` by ``sifa.indicators.api``:

* ``GET indicators/report/{organisation}/{period}.pdf`` — the 通报 of the organisation (its id)
  for the month ``YYYY-MM``, as an attachment: once issued, the issued, numbered and sealed file
  (the same bytes every time; its number, UTF-8 percent-encoded, in the
  ``X-Sifa-Document-Number`` header; the read audited ``documents.read``); before, a
  draft marked 草稿，未印发 (``sifa.indicators.report``), never numbered nor sealed. Supervisors and
  decision makers of the organisation or of one above it (``viewers``); any other organisation,
  or any other caller, is 404 ``indicators.not_found``; a malformed period is 400
  ``indicators.bad_period``, a month not begun yet 400 ``indicators.future_period``.
* ``POST indicators/report/{organisation}/{period}/commands/issue/`` (no body) — 印发 the month's
  通报 (``services.issue_report``): 201 with the document; 200 with the same document when it was
  issued already (idempotent: nothing is written again); 403 ``indicators.not_issuer`` for a
  viewer who does not act for the organisation itself; 409 ``indicators.month_not_over`` while
  the month runs.
* ``POST indicators/report/{organisation}/{period}/commands/withdraw/`` (``{reason}``) — 撤销 the
  month's wrong 通报 (``services.withdraw_report``): 200 with the withdrawn document (kept, marked
  已撤销); the PDF URL then serves the draft again until a corrected 通报 is issued (next number).
  Same 403 / 404 as issuing; 409 ``indicators.not_issued`` when there is nothing to withdraw.
"""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.core.api.bodies import RequestBody, StrictSerializer, accepts
from sifa.core.api.schema import LOGIN_ERRORS, error_responses, file_response, path_parameter
from sifa.core.errors import NotFound
from sifa.documents.models import Document
from sifa.documents.selectors import read_pdf
from sifa.documents.services import record_read
from sifa.indicators import services
from sifa.indicators.dashboard import Month, parse_period
from sifa.indicators.report import render_draft
from sifa.indicators.viewers import viewable_organisation
from sifa.organisations.models import Organisation
from sifa.organisations.scope import actor_for

PARAMETERS = [
    path_parameter("organisation", "机构ID（本人管辖范围内的机构）"),
    path_parameter("period", "统计月份，YYYY-MM，如 2026-11"),
]


def _target(request: Request, organisation: str, period: str) -> tuple[Organisation, Month]:
    org = viewable_organisation(actor_for(request.user), organisation)
    if org is None:
        raise NotFound("机构不存在或不在您的管辖范围内", code="indicators.not_found")
    return org, parse_period(period, timezone.localdate())


def report_url(organisation: Organisation, month: Month) -> str:
    return f"/api/v1/indicators/report/{organisation.pk}/{month.key}.pdf"


class IssuedReportOut(serializers.Serializer):
    number = serializers.CharField(help_text="发文字号，如 浙司通〔2026〕3号")
    title = serializers.CharField()
    organisation = serializers.IntegerField(help_text="发文机关（机构ID）")
    period = serializers.CharField(help_text="统计月份 YYYY-MM")
    document = serializers.UUIDField(help_text="文书公开标识（GET /api/v1/documents/{public_id}/pdf/）")
    issued_at = serializers.DateTimeField()
    sm3 = serializers.CharField(help_text="已盖章 PDF 的 SM3 摘要（十六进制）")
    pdf = serializers.CharField(help_text="该月通报 PDF 的地址（印发后即为本文书）")


def issued_out(document: Document, organisation: Organisation, month: Month) -> dict:
    return {
        "number": document.number,
        "title": document.title,
        "organisation": organisation.pk,
        "period": month.key,
        "document": document.public_id,
        "issued_at": document.created_at,
        "sm3": document.sm3,
        "pdf": report_url(organisation, month),
    }


class ReportPdf(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="indicators_report_pdf",
        summary="月度绩效通报（PDF）",
        parameters=PARAMETERS,
        responses={
            **file_response(
                "application/pdf",
                "该机构（含下级）当月的绩效通报 PDF（附件）：已印发的为编号、加盖电子印章的正式文书"
                "（文号见响应头 X-Sifa-Document-Number，UTF-8 百分号编码），未印发的为标明“草稿，未印发”的草稿",
            ),
            **error_responses(
                *LOGIN_ERRORS,
                400,
                404,
                notes={
                    400: "indicators.bad_period：统计期间格式不正确；indicators.future_period：该月尚未开始",
                    404: "indicators.not_found：机构不存在或不在本人管辖范围内",
                },
            ),
        },
    )
    def get(self, request: Request, organisation: str, period: str) -> HttpResponse:
        org, month = _target(request, organisation, period)
        actor = actor_for(request.user)
        issued = services.issued_report(actor, org, month)
        if issued is not None:
            record_read(issued, reader=request.user)  # as every read of a 通报 (documents API)
            response = HttpResponse(read_pdf(issued), content_type="application/pdf")
            response["X-Sifa-Document-Number"] = quote(issued.number)  # UTF-8, percent-encoded
            name = f"indicators-report-{org.pk}-{month.key}.pdf"
        else:
            response = HttpResponse(render_draft(actor, org, month), content_type="application/pdf")
            name = f"indicators-report-{org.pk}-{month.key}-draft.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response


class IssueReport(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="indicators_report_issue",
        summary="印发月度绩效通报",
        description=(
            "由本机构的监督人员或审批决定人员印发该月的绩效通报：编发文字号（如 浙司通〔2026〕3号）、"
            "加盖本机构电子印章并存档，记入审计日志。只能在该月结束后印发；已印发的再次请求返回同一文书（200），不重复编号。"
        ),
        parameters=PARAMETERS,
        request=None,
        responses={
            201: IssuedReportOut,
            200: IssuedReportOut,
            **error_responses(
                *LOGIN_ERRORS,
                400,
                403,
                404,
                409,
                notes={
                    400: "indicators.bad_period / indicators.future_period",
                    403: "indicators.not_issuer：只有本机构的监督人员或审批决定人员可以印发",
                    404: "indicators.not_found：机构不存在或不在本人管辖范围内",
                    409: "indicators.month_not_over：该月尚未结束",
                },
            ),
        },
    )
    @accepts(None)
    def post(self, request: Request, organisation: str, period: str) -> Response:
        org, month = _target(request, organisation, period)
        issued = services.issue_report(request.user, org, month)
        return Response(
            IssuedReportOut(issued_out(issued.document, org, month)).data,
            status=201 if issued.created else 200,
        )


class WithdrawIn(StrictSerializer):
    reason = serializers.CharField(
        help_text="撤销理由（5至500字），如 收件数统计有误，予以撤销并重新印发", max_length=500
    )


class WithdrawnReportOut(serializers.Serializer):
    number = serializers.CharField(help_text="被撤销通报的文号")
    document = serializers.UUIDField(
        source="public_id", help_text="文书公开标识（GET /api/v1/documents/{public_id}/）"
    )
    status = serializers.CharField(default="withdrawn")
    withdrawn_at = serializers.DateTimeField()
    withdrawal_reason = serializers.CharField()


class WithdrawReport(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="indicators_report_withdraw",
        summary="撤销月度绩效通报",
        description=(
            "由本机构的监督人员或审批决定人员撤销有误的绩效通报：文书不删除，标注“已撤销”并记录理由、撤销人和时间"
            "（记入审计日志）；撤销后可重新印发更正后的通报，使用下一个文号。"
        ),
        parameters=PARAMETERS,
        request=WithdrawIn,
        responses={
            200: WithdrawnReportOut,
            **error_responses(
                *LOGIN_ERRORS,
                400,
                403,
                404,
                409,
                notes={
                    400: "documents.withdrawal_reason：撤销理由5至500字；indicators.bad_period",
                    403: "indicators.not_issuer：只有本机构的监督人员或审批决定人员可以撤销",
                    404: "indicators.not_found：机构不存在或不在本人管辖范围内",
                    409: "indicators.not_issued：该月通报尚未印发；documents.already_withdrawn",
                },
            ),
        },
    )
    @accepts(WithdrawIn)
    def post(self, request: Request, organisation: str, period: str, body: RequestBody) -> Response:
        org, month = _target(request, organisation, period)
        data = body.validated()
        document = services.withdraw_report(request.user, org, month, reason=data["reason"])
        return Response(WithdrawnReportOut(document).data)


urlpatterns = [
    path(
        "indicators/report/<str:organisation>/<str:period>.pdf",
        ReportPdf.as_view(),
        name="indicators-report-pdf",
    ),
    path(
        "indicators/report/<str:organisation>/<str:period>/commands/issue/",
        IssueReport.as_view(),
        name="indicators-report-issue",
    ),
    path(
        "indicators/report/<str:organisation>/<str:period>/commands/withdraw/",
        WithdrawReport.as_view(),
        name="indicators-report-withdraw",
    ),
]
