"""机构人员查询 API, included under ``/api/v1/``: public, no login, rate-limited, never cached.

* ``GET directory/?q=&kind=&region=`` — paginated entries (``count``, ``next``, ``previous``, ``results``);
* ``GET directory/{kind}/{id}/`` — one entry with its live ``licence_status`` and label.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.core.api import throttles
from sifa.core.api.pagination import Pagination
from sifa.core.api.schema import EnumField, error_responses, path_parameter
from sifa.directory import selectors
from sifa.directory.selectors import KINDS, MAX_QUERY_LENGTH, DirectoryKind

DIRECTORY_RATE = "120/min"
STATUS_HELP = (
    "电子证照的实时状态：valid 有效 / suspended 停止执业 / revoked 已吊销 / cancelled 已注销 / expired 已过期；"
    "无证照的机构（法律援助中心、人民调解委员会）为 null"
)
KIND_HELP = "类别：" + "、".join(f"{key}（{kind.label}）" for key, kind in KINDS.items())


class DirectoryThrottle(throttles.AnonymousThrottle):
    """Per client address, logged in or not: looking people up is open to anyone, scraping is not."""

    scope = "directory"
    rate = DIRECTORY_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


# --- OpenAPI shapes (documentation only; the answers are built by ``selectors.Entry.as_dict``) -----


class DirectoryEntrySerializer(serializers.Serializer):
    kind = EnumField(DirectoryKind, help_text=KIND_HELP)
    kind_label = serializers.CharField(help_text="类别名称")
    id = serializers.CharField(
        help_text="公开标识：持证者为证照编号，法律援助中心为统一社会信用代码，人民调解委员会为名册编号"
    )
    name = serializers.CharField(help_text="姓名或机构名称")
    organisation = serializers.CharField(
        help_text="执业机构（律师等）、主管机关（法律援助中心）或指导的司法所（人民调解委员会）"
    )
    region = serializers.CharField(help_text="所在地区")
    region_code = serializers.CharField(help_text="所在地区的区划代码（GB/T 2260）")
    field = serializers.CharField(help_text="业务领域（已知时）")
    licence_status = serializers.CharField(allow_null=True, help_text=STATUS_HELP)
    licence_status_label = serializers.CharField(allow_null=True, help_text="状态名称，与证照核验页一致")
    url = serializers.CharField(help_text="公开页面地址")


class DirectoryLicenceSerializer(serializers.Serializer):
    identifier = serializers.CharField(help_text="电子证照标识")
    number = serializers.CharField(help_text="证照编号")
    type = serializers.CharField(help_text="证照类型名称")
    status = serializers.CharField(help_text=STATUS_HELP)
    status_label = serializers.CharField()
    status_date = serializers.DateField(allow_null=True, help_text="状态变更日期（非有效时）")
    issuer = serializers.CharField(help_text="颁发机构")
    issue_date = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    verify_url = serializers.CharField(help_text="公开核验页面 /verify/<identifier>")


class DirectoryMediatorSerializer(serializers.Serializer):
    name = serializers.CharField()
    position = serializers.CharField(help_text="职务")
    specialties = serializers.CharField(help_text="擅长调解的纠纷")


class DirectoryEntryDetailSerializer(DirectoryEntrySerializer):
    organisation_url = serializers.CharField(
        help_text="执业机构在名录中的页面（律师的律师事务所在名录中时），否则为空"
    )
    address = serializers.CharField(help_text="机构住所（公开登记事项）；个人从不显示")
    licence = DirectoryLicenceSerializer(allow_null=True)
    mediators = DirectoryMediatorSerializer(
        many=True, help_text="人民调解委员会的在册调解员（人民调解法第二十三条）"
    )


class DirectoryEntryPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = DirectoryEntrySerializer(many=True)


class PublicView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [DirectoryThrottle]


class DirectoryListView(PublicView):
    """Search practitioners and institutions by name, kind and region (text or code)."""

    @extend_schema(
        operation_id="directory_search",
        summary="机构人员查询（免登录）",
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description=f"姓名或机构名称、执业机构、业务领域或证照编号（不超过{MAX_QUERY_LENGTH}字）",
            ),
            OpenApiParameter("kind", str, enum=list(KINDS), description=KIND_HELP),
            OpenApiParameter(
                "region",
                str,
                description=f"地区名称（如 西湖区、杭州）或区划代码，含下级地区（不超过{MAX_QUERY_LENGTH}字）",
            ),
            OpenApiParameter("page", int, description="页码"),
            OpenApiParameter("page_size", int, description="每页条数（最多200）"),
        ],
        responses={
            200: DirectoryEntryPageSerializer,
            **error_responses(
                400,
                404,
                429,
                notes={
                    400: "directory.kind 类别无效；directory.query_too_long 超长；directory.query_invalid 非法字符；"
                    "directory.region_too_vague 地区太宽泛",
                    404: "页码无效",
                },
            ),
        },
        auth=[],
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        result = selectors.search(params.get("q", ""), params.get("kind", ""), params.get("region", ""))
        paginator = Pagination()
        page = paginator.paginate_queryset(result.entries, request, view=self)
        response = paginator.get_paginated_response([entry.as_dict() for entry in page])
        response["Cache-Control"] = "no-store"
        return response


class DirectoryDetailView(PublicView):
    """One practitioner or institution, with the live licence status (never cached)."""

    @extend_schema(
        operation_id="directory_entry",
        summary="机构人员详情（免登录）",
        parameters=[path_parameter("kind", KIND_HELP), path_parameter("entry_id", "公开标识（见列表的 id）")],
        responses={
            200: DirectoryEntryDetailSerializer,
            **error_responses(400, 404, 429, notes={400: "directory.kind", 404: "directory.not_found"}),
        },
        auth=[],
    )
    def get(self, request: Request, kind: str, entry_id: str) -> Response:
        response = Response(selectors.entry(kind, entry_id).as_dict(detail=True))
        response["Cache-Control"] = "no-store"
        return response


urlpatterns = [
    path("directory/", DirectoryListView.as_view(), name="api-directory"),
    path("directory/<str:kind>/<str:entry_id>/", DirectoryDetailView.as_view(), name="api-directory-detail"),
]
