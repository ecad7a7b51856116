"""Catalogue API, mounted under ``/api/v1/`` with ``path("", include("sifa.catalogue.api"))``.

Public reads (AllowAny):
  GET catalogue/items/                          ?q= &type= &level= &topic= &changed_since=
  GET catalogue/items/{basic_code}/             the live version with materials, situations, stages, fees, form
  GET catalogue/implementations/                ?region= &org= &item= &changed_since=
  GET catalogue/implementations/{implementation_code}/
  GET catalogue/implementations/{implementation_code}/guide/      the 办事指南 with every element (JSON)
  GET catalogue/implementations/{implementation_code}/guide.pdf   the same as a PDF (CJK fonts embedded)
Catalogue admins (services check the role and the owning organisation):
  POST  catalogue/items/{basic_code}/drafts/                 new draft copied from the live version
  PATCH catalogue/items/{basic_code}/drafts/{n}/             change draft fields (``form``, ``bpmn_file`` too)
  POST  catalogue/items/{basic_code}/drafts/{n}/publish/     quality gate + publish (422-style list in ``errors``)
  POST  catalogue/items/{basic_code}/versions/{n}/withdraw/
Errors follow ``sifa.core.api.errors``: ``{"code", "message", "errors"?}``, always 4xx for bad input.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import FileResponse, HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.catalogue import guides, listing, pdf, selectors, services
from sifa.catalogue.models import (
    CatalogueItem,
    Fee,
    ImplementationEntry,
    ItemLevel,
    ItemVersion,
    Material,
    Situation,
    Stage,
    TimeUnit,
    VersionStatus,
)
from sifa.catalogue.services.pages import PAGE_CACHE
from sifa.core import pagecache
from sifa.core.api.bodies import RequestBody, Strict, accepts
from sifa.core.api.schema import LOGIN_ERRORS, EnumField, error_responses, file_response, path_parameter
from sifa.core.errors import ServiceError

BASIC_CODE = path_parameter("basic_code", "事项基本编码")
IMPLEMENTATION_CODE = path_parameter("implementation_code", "实施编码")
VERSION_NUMBER = path_parameter("number", "事项版本号")
CHANGED_SINCE = OpenApiParameter(
    "changed_since", OpenApiTypes.STR, description="只列此后变更的（ISO 8601 日期或时间），供增量同步"
)


class VersionSummarySerializer(serializers.ModelSerializer):
    status = EnumField(VersionStatus)

    class Meta:
        model = ItemVersion
        fields = ["number", "status", "valid_from", "valid_until", "published_at"]


class ItemSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="item_type")
    type_label = serializers.CharField(source="get_item_type_display")
    level = EnumField(ItemLevel)
    level_label = serializers.CharField(source="get_level_display")
    parent = serializers.CharField(source="parent.basic_code", default=None, allow_null=True)
    owner = serializers.CharField(source="owner.name")
    versions = VersionSummarySerializer(many=True)
    summary = serializers.CharField(
        read_only=True, help_text="一句话说明（适用对象与办理结果，至多60字）；未发布时为空"
    )

    class Meta:
        model = CatalogueItem
        fields = [
            "basic_code",
            "name",
            "summary",
            "type",
            "type_label",
            "level",
            "level_label",
            "parent",
            "legal_basis",
            "exercise_levels",
            "service_objects",
            "topics",
            "owner",
            "source",
            "updated_at",
            "versions",
        ]


class MaterialSerializer(serializers.ModelSerializer):
    class Meta:
        model = Material
        exclude = ["id", "version"]


class SituationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Situation
        fields = ["code", "question", "hint", "basis", "options", "order"]


class StageSerializer(serializers.ModelSerializer):
    limit_unit = EnumField(TimeUnit, allow_blank=True)

    class Meta:
        model = Stage
        fields = ["order", "name", "organisation_level", "limit_value", "limit_unit", "legal_basis"]


class FeeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Fee
        exclude = ["id", "version"]


class VersionSerializer(serializers.ModelSerializer):
    materials = MaterialSerializer(many=True)
    situations = SituationSerializer(many=True)
    fees = FeeSerializer(many=True)
    stages = serializers.SerializerMethodField()
    form = serializers.SerializerMethodField()
    bpmn_file = serializers.SerializerMethodField()
    status = EnumField(VersionStatus)
    legal_limit_unit = EnumField(TimeUnit, allow_blank=True)
    promised_limit_unit = EnumField(TimeUnit, allow_blank=True)

    class Meta:
        model = ItemVersion
        exclude = ["id", "item", "published_by", "source_digest"]

    def get_stages(self, version: ItemVersion) -> list[dict[str, Any]]:
        process = getattr(version, "process", None)
        return StageSerializer(process.stages.all(), many=True).data if process else []

    def get_form(self, version: ItemVersion) -> dict[str, Any]:
        form = getattr(version, "form", None)
        return form.schema if form else {}

    def get_bpmn_file(self, version: ItemVersion) -> str:
        process = getattr(version, "process", None)
        return process.bpmn_file if process else ""


class EntrySerializer(serializers.ModelSerializer):
    basic_code = serializers.CharField(source="item.basic_code")
    item_name = serializers.CharField(source="item.name")
    version = serializers.IntegerField(source="version.number")
    organisation = serializers.CharField(source="organisation.name")
    organisation_uscc = serializers.CharField(source="organisation.uscc")
    accepting_organisation = serializers.CharField(source="accepting_organisation.name")
    deciding_organisation = serializers.CharField(source="deciding_organisation.name")
    region = serializers.CharField(source="region_id", default=None, allow_null=True)
    legal_limit_unit = EnumField(TimeUnit, allow_blank=True)
    promised_limit_unit = EnumField(TimeUnit, allow_blank=True)

    class Meta:
        model = ImplementationEntry
        fields = [
            "implementation_code",
            "basic_code",
            "item_name",
            "version",
            "organisation",
            "organisation_uscc",
            "exercise_level",
            "implementer_nature",
            "accepting_organisation",
            "deciding_organisation",
            "region",
            "legal_limit_value",
            "legal_limit_unit",
            "promised_limit_value",
            "promised_limit_unit",
            "place",
            "office_hours",
            "consultation_phone",
            "complaint_phone",
            "channels",
            "online_url",
            "status",
            "updated_at",
        ]


# Schema-only shapes below: the views assemble these answers themselves; these classes describe them.


class ItemDetailSerializer(ItemSerializer):
    children = serializers.ListField(child=serializers.CharField(), help_text="下级事项的基本编码")
    current_version = VersionSerializer(allow_null=True, help_text="当前发布的版本；尚未发布时为空")

    class Meta(ItemSerializer.Meta):
        fields = [*ItemSerializer.Meta.fields, "children", "current_version"]


class VersionWithCodeSerializer(VersionSerializer):
    basic_code = serializers.CharField()


class VersionChangeSerializer(Strict, serializers.ModelSerializer):
    """Only the fields sent are changed; unknown fields are refused (field.unknown)."""

    legal_limit_unit = EnumField(TimeUnit, allow_blank=True, required=False)
    promised_limit_unit = EnumField(TimeUnit, allow_blank=True, required=False)
    form = serializers.JSONField(required=False, help_text="申请表单（JSON Schema）")
    bpmn_file = serializers.CharField(required=False, max_length=200, help_text="办理流程的 BPMN 文件名")

    class Meta:
        model = ItemVersion
        fields = [*services.VERSION_EDITABLE, "form", "bpmn_file"]
        extra_kwargs = {name: {"required": False} for name in services.VERSION_EDITABLE}


class GuideItemTypeSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class GuideVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    valid_from_text = serializers.CharField(help_text="中文日期，如 2026年1月1日")


class GuideSituationSerializer(serializers.Serializer):
    code = serializers.CharField()
    question = serializers.CharField(help_text="用群众的话问的问题")
    hint = serializers.CharField(help_text="问题下方的说明（谁算、举例），可为空")
    basis = serializers.CharField(help_text="问题背后的法律条文原文（页面上在“了解更多”中），可为空")
    options = serializers.JSONField()
    answer = serializers.CharField()


class GuideElementSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="要素标识，如 materials、time_limits")
    number = serializers.CharField(help_text="国家办事指南模板中的序号")
    label = serializers.CharField(help_text="要素名称，如 申请材料")
    value = serializers.JSONField(help_text="要素内容：文字、列表或对象，视要素而定")


class GuideSerializer(serializers.Serializer):
    """办事指南：国家办事指南模板的全部要素。"""

    basic_code = serializers.CharField()
    implementation_code = serializers.CharField()
    name = serializers.CharField()
    item_type = GuideItemTypeSerializer()
    organisation = serializers.CharField(help_text="实施机构")
    version = GuideVersionSerializer()
    is_charged = serializers.BooleanField()
    online_application = serializers.BooleanField(
        help_text="能否在线申请：事项版本未配置可用办理流程的为 false（申请草稿将答复 409 catalogue.no_process）"
    )
    online_application_note = serializers.CharField(help_text="不能在线申请时的说明；可以申请时为空")
    one_licence_notice = serializers.CharField(
        help_text="一人一证的提示（律师法第十条）：已持有有效执业证书的应当申请变更事项；其他事项为空"
    )
    situations = GuideSituationSerializer(many=True)
    materials_total = serializers.IntegerField()
    materials_shown = serializers.IntegerField()
    elements = GuideElementSerializer(many=True, help_text="按国家办事指南模板顺序的全部要素")


@extend_schema_view(
    get=extend_schema(
        summary="事项目录（公开）",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="名称或编码关键词（不超过100字）"),
            OpenApiParameter("type", OpenApiTypes.STR, description="事项类型代码"),
            OpenApiParameter("level", OpenApiTypes.STR, description="行使层级代码（1至7）"),
            OpenApiParameter("topic", OpenApiTypes.STR, description="主题代码"),
            CHANGED_SINCE,
        ],
        responses={200: ItemSerializer(many=True), **error_responses(400, 404)},
    )
)
class ItemList(generics.ListAPIView):
    """政务服务事项目录（公开）。"""

    permission_classes = [AllowAny]
    serializer_class = ItemSerializer
    filter_backends: list = []

    def get_queryset(self):
        p = self.request.query_params
        return selectors.items(
            q=p.get("q", ""),
            item_type=p.get("type", ""),
            level=p.get("level", ""),
            topic=p.get("topic", ""),
            changed_since=p.get("changed_since", ""),
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The body ``ItemSerializer`` describes, from the read model (``ItemListing``): the page's
        ready JSON entries joined, with the count — one raw statement without a filter, the same
        lookups as ``items()`` with one (docs/catalogue.md, "The list's read model")."""
        p = request.query_params
        filters = {name: p.get(param, "") for param, name in LIST_FILTERS.items()}
        paginator = self.paginator
        if any(filters.values()):
            entries = selectors.listed_entries(**filters)
        else:
            number = p.get(paginator.page_query_param) or "1"
            entries = listing.AllEntries(listing.expected_page(number, paginator.get_page_size(request)))
        page = self.paginate_queryset(entries)
        head = {
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
        }
        return Response(ListBody(listing.body(head, list(page))))


#: query parameter → ``selectors.items`` argument
LIST_FILTERS = {
    "q": "q",
    "type": "item_type",
    "level": "level",
    "topic": "topic",
    "changed_since": "changed_since",
}


class ListBody(bytes):
    """A list body already rendered as JSON (``ListRenderer`` sends it as it is)."""


class ListRenderer(JSONRenderer):
    """The API's JSON renderer, passing a ``ListBody`` through untouched (re-rendered only when the
    client asks for indentation, e.g. the browsable API)."""

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, ListBody):
            if self.get_indent(accepted_media_type, renderer_context or {}) is None:
                return bytes(data)
            data = json.loads(data)
        return super().render(data, accepted_media_type, renderer_context)


ItemList.renderer_classes = [
    ListRenderer if renderer is JSONRenderer else renderer for renderer in ItemList.renderer_classes
]


def item_list_body(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``ItemSerializer(many=True).data`` of ``selectors.item_rows`` rows, field for field, as the
    read model's entries are built (tests/perf/test_queries_catalogue.py compares the two)."""
    versions = listing.versions_by_item(ItemVersion, [row["id"] for row in rows])
    return [listing.entry(row, versions[row["id"]]) for row in rows]


class ItemDetail(APIView):
    """事项详情：当前发布版本的全部要素。"""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="事项详情",
        parameters=[BASIC_CODE],
        responses={200: ItemDetailSerializer, **error_responses(404)},
    )
    def get(self, request: Request, basic_code: str) -> Response:
        item = selectors.item_by_code(basic_code)
        live = selectors.live_version(item)
        body = ItemSerializer(item).data
        body["children"] = list(item.children.order_by("basic_code").values_list("basic_code", flat=True))
        body["current_version"] = VersionSerializer(live).data if live else None
        return Response(body)


@extend_schema_view(
    get=extend_schema(
        summary="实施清单（公开）",
        parameters=[
            OpenApiParameter(
                "region",
                OpenApiTypes.STR,
                description="行政区划代码（6位或12位）或地区名称（如“杭州西湖区”“北山街道”）；"
                "结果离该地区最近的在前。名称未找到或对应多个地区时返回400",
            ),
            OpenApiParameter("org", OpenApiTypes.STR, description="实施机构：机构编号或18位统一社会信用代码"),
            OpenApiParameter("item", OpenApiTypes.STR, description="事项基本编码"),
            CHANGED_SINCE,
        ],
        responses={200: EntrySerializer(many=True), **error_responses(400, 404)},
    )
)
class EntryList(generics.ListAPIView):
    """实施清单（公开）；region 返回服务该区划的全部实施事项（含上级机构实施的），离该地区最近的在前。"""

    permission_classes = [AllowAny]
    serializer_class = EntrySerializer
    filter_backends: list = []

    def get_queryset(self):
        p = self.request.query_params
        return selectors.entries(
            region=p.get("region", ""),
            org=p.get("org", ""),
            item=p.get("item", ""),
            changed_since=p.get("changed_since", ""),
        )


class EntryDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="实施清单事项",
        parameters=[IMPLEMENTATION_CODE],
        responses={200: EntrySerializer, **error_responses(404)},
    )
    def get(self, request: Request, implementation_code: str) -> Response:
        return Response(EntrySerializer(selectors.entry_by_code(implementation_code)).data)


class EntryGuide(APIView):
    """办事指南（JSON）：国家办事指南模板的全部要素。"""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="办事指南（JSON）",
        parameters=[IMPLEMENTATION_CODE],
        responses={200: GuideSerializer, **error_responses(404)},
    )
    def get(self, request: Request, implementation_code: str) -> Response:
        entry, version = selectors.guide_entry(implementation_code)
        return Response(guides.as_json(guides.build(entry, version)))


class EntryGuidePdf(APIView):
    """办事指南（PDF，嵌入中文字体）。"""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="办事指南（PDF）",
        parameters=[IMPLEMENTATION_CODE],
        responses={**file_response("application/pdf", "办事指南 PDF（附件）"), **error_responses(404)},
    )
    def get(self, request: Request, implementation_code: str) -> HttpResponse:
        entry, version = selectors.guide_entry(implementation_code)
        path = pdf.guide_pdf(entry, version)
        return FileResponse(
            path.open("rb"), content_type="application/pdf", filename=f"{entry.item.name}-办事指南.pdf"
        )


def _version_body(version: ItemVersion) -> dict[str, Any]:
    version = ItemVersion.objects.select_related("form", "process").get(pk=version.pk)
    return {"basic_code": version.item.basic_code, **VersionSerializer(version).data}


class DraftCreate(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="新建草稿版本（复制当前发布版本）",
        parameters=[BASIC_CODE],
        responses={
            201: VersionWithCodeSerializer,
            **error_responses(*LOGIN_ERRORS, 404, 409, notes={409: "catalogue.draft_exists"}),
        },
    )
    @accepts(None)
    def post(self, request: Request, basic_code: str) -> Response:
        draft = services.new_draft(selectors.item_by_code(basic_code), by=request.user)
        return Response(_version_body(draft), status=status.HTTP_201_CREATED)


class DraftUpdate(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="修改草稿版本",
        parameters=[BASIC_CODE, VERSION_NUMBER],
        responses={
            200: VersionWithCodeSerializer,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                404,
                409,
                notes={400: "未知字段为 field.unknown", 409: "catalogue.version_immutable"},
            ),
        },
    )
    @accepts(VersionChangeSerializer, partial=True)
    def patch(self, request: Request, basic_code: str, number: str, *, body: RequestBody) -> Response:
        version = selectors.version_of(selectors.item_by_code(basic_code), number)
        fields = dict(body.validated())
        if not fields:
            raise ServiceError("catalogue.body_invalid", "请求内容应为包含待修改字段的JSON对象")
        return Response(_version_body(services.update_draft(version, fields, by=request.user)))


class DraftPublish(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="质量检查并发布",
        parameters=[BASIC_CODE, VERSION_NUMBER],
        responses={
            200: VersionWithCodeSerializer,
            **error_responses(
                400, *LOGIN_ERRORS, 404, 409, notes={400: "未通过质量检查的要素逐项列在 errors"}
            ),
        },
    )
    @accepts(None)
    def post(self, request: Request, basic_code: str, number: str) -> Response:
        version = selectors.version_of(selectors.item_by_code(basic_code), number)
        return Response(_version_body(services.publish_version(version, by=request.user)))


class VersionWithdraw(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="撤回版本",
        parameters=[BASIC_CODE, VERSION_NUMBER],
        responses={200: VersionWithCodeSerializer, **error_responses(*LOGIN_ERRORS, 404, 409)},
    )
    @accepts(None)
    def post(self, request: Request, basic_code: str, number: str) -> Response:
        version = selectors.version_of(selectors.item_by_code(basic_code), number)
        return Response(_version_body(services.withdraw_version(version, by=request.user)))


urlpatterns = [
    path(
        "catalogue/items/",
        pagecache.public(PAGE_CACHE, accept=True)(ItemList.as_view()),
        name="catalogue-items",
    ),
    path("catalogue/items/<str:basic_code>/", ItemDetail.as_view(), name="catalogue-item"),
    path("catalogue/items/<str:basic_code>/drafts/", DraftCreate.as_view(), name="catalogue-drafts"),
    path(
        "catalogue/items/<str:basic_code>/drafts/<str:number>/", DraftUpdate.as_view(), name="catalogue-draft"
    ),
    path(
        "catalogue/items/<str:basic_code>/drafts/<str:number>/publish/",
        DraftPublish.as_view(),
        name="catalogue-draft-publish",
    ),
    path(
        "catalogue/items/<str:basic_code>/versions/<str:number>/withdraw/",
        VersionWithdraw.as_view(),
        name="catalogue-version-withdraw",
    ),
    path("catalogue/implementations/", EntryList.as_view(), name="catalogue-implementations"),
    path(
        "catalogue/implementations/<str:implementation_code>/",
        EntryDetail.as_view(),
        name="catalogue-implementation",
    ),
    path(
        "catalogue/implementations/<str:implementation_code>/guide/",
        EntryGuide.as_view(),
        name="catalogue-implementation-guide",
    ),
    path(
        "catalogue/implementations/<str:implementation_code>/guide.pdf",
        EntryGuidePdf.as_view(),
        name="catalogue-implementation-guide-pdf",
    ),
]
