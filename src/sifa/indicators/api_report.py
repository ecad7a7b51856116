"""The monthly 绩效通报 PDF over the API, included under ``/api/v1/`` by ``sifa.indicators.api``:

* ``GET indicators/report/{organisation}/{period}.pdf`` — the 通报 of the organisation (its id)
  for the month ``YYYY-MM`` (``sifa.indicators.report``), as an attachment. Supervisors and
  decision makers of the organisation or of one above it (``viewers``); any other organisation,
  or any other caller, is 404 ``indicators.not_found``; a malformed period is 400
  ``indicators.bad_period``, a month not begun yet 400 ``indicators.future_period``.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from sifa.core.api.schema import LOGIN_ERRORS, error_responses, file_response, path_parameter
from sifa.core.errors import NotFound
from sifa.indicators.dashboard import parse_period
from sifa.indicators.report import render_report
from sifa.indicators.viewers import viewable_organisation
from sifa.organisations.scope import actor_for


class ReportPdf(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="indicators_report_pdf",
        summary="月度绩效通报（PDF）",
        parameters=[
            path_parameter("organisation", "机构ID（本人管辖范围内的机构）"),
            path_parameter("period", "统计月份，YYYY-MM，如 2026-11"),
        ],
        responses={
            **file_response("application/pdf", "该机构（含下级）当月的绩效通报 PDF（附件）"),
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
        actor = actor_for(request.user)
        org = viewable_organisation(actor, organisation)
        if org is None:
            raise NotFound("机构不存在或不在您的管辖范围内", code="indicators.not_found")
        month = parse_period(period, timezone.localdate())
        response = HttpResponse(render_report(actor, org, month), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="indicators-report-{org.pk}-{month.key}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [
    path(
        "indicators/report/<str:organisation>/<str:period>.pdf",
        ReportPdf.as_view(),
        name="indicators-report-pdf",
    ),
]
