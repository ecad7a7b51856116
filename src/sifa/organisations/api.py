"""Public API for regions and organisations (`/api/v1/regions/`, `/api/v1/organisations/`).

Errors are :class:`~sifa.core.errors.ServiceError` (400) and ``NotFound`` (404), which the project's
API exception handler renders as ``{"code": "<stable code>", "message": "<Chinese>"}``.
Mount with ``path("", include("sifa.organisations.api"))`` under ``/api/v1/``.
"""

from __future__ import annotations

import re

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound as DrfNotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from sifa.core.api.bodies import RequestBody, ServiceCheckedString, StrictSerializer, accepts
from sifa.core.api.schema import LOGIN_ERRORS, ErrorSerializer, error_responses
from sifa.core.errors import NotFound, ServiceError
from sifa.organisations import selectors
from sifa.organisations.models import Organisation, OrganisationLevel, Region
from sifa.organisations.services import set_document_code

REGION_CODE_RE = re.compile(r"^(\d{6}|\d{12})$")


def _region_code(value: str, what: str) -> str:
    code = value.strip()
    if not REGION_CODE_RE.match(code):
        raise ServiceError("region.invalid_code", f"{what}“{value}”无效：行政区划代码应为6位或12位数字")
    return code


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_id", allow_null=True, help_text="上级区划代码；省级为空")
    has_children = serializers.BooleanField(help_text="是否有下级区划")

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "has_children", "vintage"]


class OrganisationSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", allow_null=True, help_text="所在区划代码；司法部为空")
    region_name = serializers.CharField(source="region.name", allow_null=True, default=None)
    parent = serializers.IntegerField(source="parent_id", allow_null=True, help_text="上级机构ID；司法部为空")

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "short_name",
            "kind",
            "level",
            "region",
            "region_name",
            "parent",
            "path",
            "uscc",
            "uscc_source",
            "document_code",
        ]


class OrganisationPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        page = request.query_params.get(self.page_query_param, "1")
        if not page.isdigit() or int(page) < 1:
            raise ServiceError("pagination.invalid_page", "页码应为正整数")
        try:
            return super().paginate_queryset(queryset, request, view)
        except DrfNotFound:
            raise NotFound("该页不存在", "pagination.page_not_found") from None


_ERRORS_400 = OpenApiResponse(ErrorSerializer, description="参数无效（region.invalid_code 等）")
_ERRORS_404 = OpenApiResponse(ErrorSerializer, description="不存在（region.not_found 等）")


@extend_schema_view(
    list=extend_schema(
        summary="下级行政区划列表",
        parameters=[
            OpenApiParameter(
                "parent", OpenApiTypes.STR, description="上级区划代码（6位或12位）；为空时返回31个省级区划"
            )
        ],
        responses={200: RegionSerializer(many=True), 400: _ERRORS_400, 404: _ERRORS_404},
    ),
    retrieve=extend_schema(
        summary="单个行政区划", responses={200: RegionSerializer, 400: _ERRORS_400, 404: _ERRORS_404}
    ),
)
class RegionViewSet(viewsets.ViewSet):
    """GB/T 2260 provinces, prefectures and counties, and 12-digit township codes."""

    permission_classes = [AllowAny]
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def list(self, request: Request) -> Response:
        raw = request.query_params.get("parent", "")
        parent = _region_code(raw, "上级区划代码") if raw.strip() else None
        try:
            regions = selectors.regions_under(parent)
        except Region.DoesNotExist:
            raise NotFound(f"行政区划“{parent}”不存在", "region.not_found") from None
        return Response(RegionSerializer(regions, many=True).data)

    def retrieve(self, request: Request, code: str) -> Response:
        code = _region_code(code, "行政区划代码")
        try:
            region = selectors.get_region(code)
        except Region.DoesNotExist:
            raise NotFound(f"行政区划“{code}”不存在", "region.not_found") from None
        return Response(RegionSerializer(region).data)


def _positive_int(raw: str, code: str, message: str) -> int:
    value = raw.strip()
    if not value.isdigit() or int(value) < 1 or len(value) > 18:
        raise ServiceError(code, message)
    return int(value)


@extend_schema_view(
    list=extend_schema(
        summary="机构列表（分页）",
        parameters=[
            OpenApiParameter(
                "level",
                OpenApiTypes.INT,
                enum=OrganisationLevel.values,
                description="层级：1 部级，2 省级，3 市级，4 县级，5 乡级",
            ),
            OpenApiParameter("region", OpenApiTypes.STR, description="所在区划代码（6位或12位）"),
            OpenApiParameter("parent", OpenApiTypes.INT, description="上级机构ID（只列直接下级）"),
        ],
        responses={200: OrganisationSerializer(many=True), 400: _ERRORS_400, 404: _ERRORS_404},
    ),
    retrieve=extend_schema(
        summary="单个机构", responses={200: OrganisationSerializer, 400: _ERRORS_400, 404: _ERRORS_404}
    ),
)
class OrganisationViewSet(viewsets.GenericViewSet):
    """Justice-administration organisations at five levels (public directory data)."""

    permission_classes = [AllowAny]
    serializer_class = OrganisationSerializer
    pagination_class = OrganisationPagination
    filter_backends: list = []  # filters are parsed below, with Chinese errors
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        params = self.request.query_params
        level = region = parent = None
        if params.get("level", "").strip():
            level = _positive_int(params["level"], "organisation.invalid_level", "机构层级应为1至5的整数")
            if level not in OrganisationLevel.values:
                raise ServiceError("organisation.invalid_level", "机构层级应为1至5的整数")
        if params.get("region", "").strip():
            region = _region_code(params["region"], "区划代码")
        if params.get("parent", "").strip():
            parent = _positive_int(params["parent"], "organisation.invalid_parent", "上级机构ID应为正整数")
        return selectors.organisations(level=level, region_code=region, parent_id=parent)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        org_id = _positive_int(pk, "organisation.invalid_id", "机构ID应为正整数")
        try:
            organisation = selectors.get_organisation(org_id)
        except Organisation.DoesNotExist:
            raise NotFound(f"机构“{pk}”不存在", "organisation.not_found") from None
        return Response(self.get_serializer(organisation).data)


class DocumentCodeSerializer(StrictSerializer):
    codes = {"document_code": "organisation.document_code_required"}

    document_code = ServiceCheckedString(help_text="机关代字：1至10个汉字，如“浙司”“甬司”")


class OrganisationDocumentCode(APIView):
    """Set an organisation's own 机关代字 (the prefix of its document numbers)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="设置机构的机关代字（发文字号前缀）",
        responses={
            200: OrganisationSerializer,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                404,
                409,
                notes={
                    400: "organisation.document_code_required / organisation.document_code_invalid",
                    403: "organisation.permission_denied：仅本机构或上级机构的系统管理员",
                    409: "organisation.document_code_taken：已由其他机构使用",
                },
            ),
        },
    )
    @accepts(DocumentCodeSerializer)
    def post(self, request: Request, pk: str, *, body: RequestBody) -> Response:
        org_id = _positive_int(pk, "organisation.invalid_id", "机构ID应为正整数")
        organisation = set_document_code(request.user, org_id, body.validated()["document_code"])
        return Response(OrganisationSerializer(selectors.get_organisation(organisation.pk)).data)


router = SimpleRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("organisations", OrganisationViewSet, basename="organisation")
urlpatterns = [
    *router.urls,
    path(
        "organisations/<str:pk>/document-code/",
        OrganisationDocumentCode.as_view(),
        name="organisation-document-code",
    ),
]
