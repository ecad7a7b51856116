"""Privacy API, included under ``/api/v1/``: the caller's copy of their data (个人信息保护法 §45)
and the retention table."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.core.api.schema import LOGIN_ERRORS, error_responses
from sifa.privacy import retention
from sifa.privacy.services import export_for


def export_response(user) -> HttpResponse:
    """The copy as a JSON download (the same for the page and the API)."""
    body = json.dumps(export_for(user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    name = f"sifa-personal-data-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


class MyDataExportView(APIView):
    """Everything Sifa holds about the caller; no id in the address, so only one's own."""

    @extend_schema(
        summary="下载我的个人数据副本（个人信息保护法第四十五条）",
        responses={
            200: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="JSON：账户、身份（完整证件号码）、办件及材料元数据、证照、文书元数据、同意记录、消息、投诉、咨询、评价、数据使用记录",
            ),
            **error_responses(
                *LOGIN_ERRORS, 429, notes={429: "privacy.export_rate_limited：每小时至多 5 次"}
            ),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        return export_response(request.user)


class RetentionTableView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="个人信息保存期限表",
        responses={
            200: OpenApiResponse(
                response=inline_serializer(
                    "RetentionRule",
                    {
                        "code": serializers.CharField(),
                        "data_class": serializers.CharField(),
                        "models": serializers.ListField(child=serializers.CharField()),
                        "period_days": serializers.IntegerField(allow_null=True),
                        "trigger": serializers.CharField(),
                        "action": serializers.CharField(),
                        "legal_basis": serializers.CharField(),
                        "note": serializers.CharField(),
                    },
                    many=True,
                ),
                description="各类数据的保存期限、起算、处理方式和法律依据",
            )
        },
        auth=[],
    )
    def get(self, request: Request) -> Response:
        return Response(
            [
                {
                    "code": r.code,
                    "data_class": r.data_class,
                    "models": list(r.models),
                    "period_days": r.period_days,
                    "trigger": r.trigger,
                    "action": r.action,
                    "legal_basis": r.legal_basis,
                    "note": r.note,
                }
                for r in retention.RULES
            ]
        )


urlpatterns = [
    path("me/data-export/", MyDataExportView.as_view(), name="my-data-export"),
    path("privacy/retention/", RetentionTableView.as_view(), name="privacy-retention"),
]
