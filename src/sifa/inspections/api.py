"""Inspections API (督查), included under ``/api/v1/``. Inspectors (督查人员) only, in their subtree;
anyone else 403 (``inspections.not_inspector``), objects outside the subtree 404.

* ``GET|POST inspections/mock-applications/`` — the mock applications (模拟办件) of the caller's
  subtree; file one (``Idempotency-Key``) → its id and 办件编号.
* ``GET inspections/mock-applications/{id}/``, ``POST …/{id}/score/`` — the handling scored
  against the checklist once the case has ended.
* ``GET|POST inspections/random-checks/`` — the random checks (随机抽查); draw one
  (``{organisation, period, size, seed}``, ``Idempotency-Key``) → the drawn case numbers.
* ``GET inspections/random-checks/{id}/``, ``POST …/{id}/cases/{number}/finding/`` — the assigned
  inspector's finding on one sampled case.
* ``GET inspections/checklists/`` — the two checklists with their points.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.core.api.bodies import RequestBody, StrictSerializer, accepts
from sifa.core.api.pagination import Pagination
from sifa.core.api.schema import LOGIN_ERRORS, error_responses, path_parameter
from sifa.core.errors import ServiceError
from sifa.inspections import selectors, services
from sifa.inspections.checklist import CASE_CHECKLIST, MOCK_CHECKLIST
from sifa.inspections.models import Result, Severity
from sifa.inspections.services.common import inspector_actor

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="幂等键：同一键重发时返回第一次的结果，不会重复提交",
)
ID = path_parameter("id", "公开标识（UUID）")
NUMBER = path_parameter("number", "抽查办件的办件编号")
MAX_MATERIAL_BYTES = 10 * 1024 * 1024
MAX_ID = 2**31 - 1


def _messages(message: str) -> dict[str, str]:
    keys = (
        "required",
        "blank",
        "null",
        "invalid",
        "invalid_choice",
        "max_length",
        "min_length",
        "max_value",
        "min_value",
        "not_a_list",
        "not_a_dict",
        "empty",
    )
    return dict.fromkeys(keys, message)


class TestApplicantInput(StrictSerializer):
    codes = {
        "name": "inspections.applicant_name",
        "id_number": "inspections.bad_id_number",
        "phone": "inspections.bad_phone",
    }

    name = serializers.CharField(max_length=30, error_messages=_messages("请填写测试身份的姓名（30字以内）"))
    id_number = serializers.CharField(
        max_length=18, error_messages=_messages("请填写测试身份的公民身份号码（虚构，18位）")
    )
    phone = serializers.CharField(
        max_length=11,
        required=False,
        allow_blank=True,
        error_messages=_messages("手机号码格式不正确"),
        help_text="首次使用该测试身份时必填（登记测试账户）",
    )


class MaterialInput(StrictSerializer):
    codes = {
        "material": "inspections.bad_material",
        "filename": "inspections.bad_filename",
        "content": "inspections.bad_content",
    }

    material = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, error_messages=_messages("材料应为材料ID")
    )
    filename = serializers.CharField(max_length=100, error_messages=_messages("请填写文件名（100字以内）"))
    content = serializers.CharField(
        max_length=14_000_000,
        error_messages=_messages("文件内容应为Base64编码"),
        help_text="文件内容（Base64）",
    )
    content_type = serializers.CharField(
        max_length=100, required=False, default="application/pdf", error_messages=_messages("文件类型不正确")
    )


class MockInput(StrictSerializer):
    codes = {
        "organisation": "inspections.unknown_organisation",
        "item": "inspections.unknown_item",
        "form_data": "inspections.bad_form_data",
        "situation_answers": "inspections.bad_situations",
        "materials": "inspections.bad_materials",
    }

    organisation = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        error_messages=_messages("机构应为机构ID"),
        help_text="实施该事项的机构（须在督查人员的管辖范围内）",
    )
    item = serializers.CharField(
        max_length=20, error_messages=_messages("事项应为基本编码"), help_text="基本编码"
    )
    applicant = TestApplicantInput(help_text="测试身份（虚构的申请人，只有督查人员知道）")
    form_data = serializers.DictField(
        required=False, default=dict, error_messages=_messages("申请表应为对象")
    )
    situation_answers = serializers.DictField(
        child=serializers.CharField(max_length=100),
        required=False,
        default=dict,
        error_messages=_messages("情形选择应为对象"),
    )
    materials = serializers.ListField(
        child=MaterialInput(),
        required=False,
        default=list,
        max_length=50,
        error_messages=_messages("材料应为列表"),
    )


class ScoreInput(StrictSerializer):
    codes = {"scores": "inspections.bad_scores", "findings": "inspections.findings_length"}

    scores = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=100),
        error_messages=_messages("评分应为评查项目与分值的对应"),
        help_text="评查项目 → 得分（见 GET inspections/checklists/）",
    )
    findings = serializers.CharField(
        max_length=3000,
        required=False,
        allow_blank=True,
        default="",
        error_messages=_messages("督查发现不能超过3000字"),
    )


class DrawInput(StrictSerializer):
    codes = {
        "organisation": "inspections.unknown_organisation",
        "period": "inspections.bad_period",
        "size": "inspections.bad_size",
        "seed": "inspections.bad_seed",
        "inspectors": "inspections.bad_inspectors",
    }

    organisation = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, error_messages=_messages("机构应为机构ID")
    )
    period = serializers.CharField(max_length=7, error_messages=_messages("期间应为年月，格式 YYYY-MM"))
    size = serializers.IntegerField(
        min_value=1, max_value=services.checks.MAX_SIZE, error_messages=_messages("抽取数量应为1至200件")
    )
    seed = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        error_messages=_messages("随机种子应为1至64位字母、数字、下划线或连字符"),
        help_text="随机种子；不填时系统生成并记录。同一种子、同一月份得到同一样本",
    )
    inspectors = serializers.ListField(
        child=serializers.CharField(max_length=150),
        required=False,
        default=list,
        max_length=50,
        error_messages=_messages("检查人应为督查人员用户名的列表"),
        help_text="检查人（督查人员用户名），轮流分配；不填时由抽取人检查",
    )


class FindingInput(StrictSerializer):
    codes = {
        "result": "inspections.bad_result",
        "severity": "inspections.bad_severity",
        "findings": "inspections.findings_length",
        "scores": "inspections.bad_scores",
    }

    result = serializers.ChoiceField(
        Result.choices, error_messages=_messages("结论应为合格（pass）或存在问题（issues）")
    )
    severity = serializers.ChoiceField(
        [("", "—"), *Severity.choices],
        required=False,
        allow_blank=True,
        default="",
        error_messages=_messages("问题程度应为 minor、major 或 serious"),
    )
    findings = serializers.CharField(
        max_length=3000,
        required=False,
        allow_blank=True,
        default="",
        error_messages=_messages("检查发现不能超过3000字"),
    )
    scores = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=100),
        error_messages=_messages("评分应为评查项目与分值的对应"),
    )


def _materials(raw: list[dict[str, Any]]) -> list[services.Material]:
    out = []
    for index, row in enumerate(raw):
        try:
            content = base64.b64decode(row["content"], validate=True)
        except (binascii.Error, ValueError):
            content = b""
        if not content or len(content) > MAX_MATERIAL_BYTES:
            raise ServiceError(
                "inspections.bad_content",
                "材料文件内容应为Base64编码的文件（不超过10MB）",
                errors=[
                    {
                        "field": f"materials.{index}.content",
                        "code": "inspections.bad_content",
                        "message": "材料文件内容应为Base64编码的文件（不超过10MB）",
                    }
                ],
            )
        out.append(
            services.Material(row["material"], row["filename"], content, row.get("content_type") or "")
        )
    return out


class MockList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="inspections_mock_list",
        summary="模拟办件（督查人员：管辖范围内）",
        parameters=[OpenApiParameter("page", OpenApiTypes.INT)],
        responses={200: OpenApiTypes.OBJECT, **error_responses(*LOGIN_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        rows = selectors.mocks(request.user)
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response([selectors.mock_view(m) for m in page])

    @extend_schema(
        operation_id="inspections_mock_create",
        summary="提交模拟办件：以测试身份在线申请，照常办理",
        parameters=[IDEMPOTENCY],
        responses={201: OpenApiTypes.OBJECT, **error_responses(400, *LOGIN_ERRORS, 404, 409, 422)},
    )
    @accepts(MockInput)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        inspector_actor(request.user)
        data = body.validated()
        done = services.file_mock(
            request.user,
            organisation=data["organisation"],
            item=data["item"],
            applicant=dict(data["applicant"]),
            form_data=data["form_data"],
            situation_answers=data["situation_answers"],
            materials=_materials(data["materials"]),
            idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
        )
        mock = selectors.mock(request.user, done.mock.public_id)
        return Response(
            selectors.mock_view(mock), status=status.HTTP_200_OK if done.replayed else status.HTTP_201_CREATED
        )


class MockDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="inspections_mock_retrieve",
        summary="查看模拟办件",
        parameters=[ID],
        responses={200: OpenApiTypes.OBJECT, **error_responses(*LOGIN_ERRORS, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(selectors.mock_view(selectors.mock(request.user, id)))


class MockScore(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="inspections_mock_score",
        summary="模拟办件评分（办结后，按评查表）",
        parameters=[ID],
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, *LOGIN_ERRORS, 404, 409)},
    )
    @accepts(ScoreInput)
    def post(self, request: Request, id: str, *, body: RequestBody) -> Response:
        selectors.mock(request.user, id)
        data = body.validated()
        services.score_mock(request.user, id, scores=data["scores"], findings=data["findings"])
        return Response(selectors.mock_view(selectors.mock(request.user, id)))


class CheckList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="inspections_check_list",
        summary="随机抽查（督查人员：管辖范围内）",
        parameters=[OpenApiParameter("page", OpenApiTypes.INT)],
        responses={200: OpenApiTypes.OBJECT, **error_responses(*LOGIN_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        rows = selectors.checks(request.user)
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response([selectors.check_view(c, with_cases=False) for c in page])

    @extend_schema(
        operation_id="inspections_check_create",
        summary="随机抽取办结件（可重现：同一种子同一月份得到同一样本）",
        parameters=[IDEMPOTENCY],
        responses={201: OpenApiTypes.OBJECT, **error_responses(400, *LOGIN_ERRORS, 404, 409, 422)},
    )
    @accepts(DrawInput)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        inspector_actor(request.user)
        data = body.validated()
        done = services.draw(
            request.user,
            organisation=data["organisation"],
            period=data["period"],
            size=data["size"],
            seed=data["seed"],
            inspectors=data["inspectors"],
            idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
        )
        check = selectors.check(request.user, done.check.public_id)
        return Response(
            selectors.check_view(check),
            status=status.HTTP_200_OK if done.replayed else status.HTTP_201_CREATED,
        )


class CheckDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="inspections_check_retrieve",
        summary="查看随机抽查及其样本",
        parameters=[ID],
        responses={200: OpenApiTypes.OBJECT, **error_responses(*LOGIN_ERRORS, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(selectors.check_view(selectors.check(request.user, id)))


class CheckFinding(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="inspections_check_finding",
        summary="记录抽查办件的检查结论（分配的督查人员）",
        parameters=[ID, NUMBER],
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, *LOGIN_ERRORS, 404, 409)},
    )
    @accepts(FindingInput)
    def post(self, request: Request, id: str, number: str, *, body: RequestBody) -> Response:
        selectors.check(request.user, id)
        data = body.validated()
        services.record_finding(
            request.user,
            id,
            number,
            result=data["result"],
            severity=data["severity"],
            findings=data["findings"],
            scores=data["scores"],
        )
        return Response(selectors.check_view(selectors.check(request.user, id)))


class Checklists(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="inspections_checklists",
        summary="评查表：模拟办件和随机抽查的评查项目及分值",
        responses={200: OpenApiTypes.OBJECT, **error_responses(*LOGIN_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        inspector_actor(request.user)

        def rows(checklist: tuple) -> list[dict[str, Any]]:
            return [{"key": i.key, "label": i.label, "points": i.points, "guide": i.guide} for i in checklist]

        return Response({"mock": rows(MOCK_CHECKLIST), "case": rows(CASE_CHECKLIST)})


urlpatterns = [
    path("inspections/checklists/", Checklists.as_view(), name="api-inspection-checklists"),
    path("inspections/mock-applications/", MockList.as_view(), name="api-inspection-mocks"),
    path("inspections/mock-applications/<str:id>/", MockDetail.as_view(), name="api-inspection-mock"),
    path(
        "inspections/mock-applications/<str:id>/score/", MockScore.as_view(), name="api-inspection-mock-score"
    ),
    path("inspections/random-checks/", CheckList.as_view(), name="api-inspection-checks"),
    path("inspections/random-checks/<str:id>/", CheckDetail.as_view(), name="api-inspection-check"),
    path(
        "inspections/random-checks/<str:id>/cases/<str:number>/finding/",
        CheckFinding.as_view(),
        name="api-inspection-finding",
    ),
]
