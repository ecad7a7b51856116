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
Errors follow ``sifa.api.errors``: ``{"code", "message", "errors"?}``, always 4xx for bad input.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpResponse
from django.urls import path
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.catalogue import guides, pdf, selectors, services
from sifa.catalogue.models import (
    CatalogueItem,
    Fee,
    ImplementationEntry,
    ItemVersion,
    Material,
    Situation,
    Stage,
)
from sifa.core.errors import ServiceError


class VersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ItemVersion
        fields = ["number", "status", "valid_from", "valid_until", "published_at"]


class ItemSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="item_type")
    type_label = serializers.CharField(source="get_item_type_display")
    level_label = serializers.CharField(source="get_level_display")
    parent = serializers.CharField(source="parent.basic_code", default=None)
    owner = serializers.CharField(source="owner.name")
    versions = VersionSummarySerializer(many=True)

    class Meta:
        model = CatalogueItem
        fields = [
            "basic_code",
            "name",
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
        fields = ["code", "question", "options", "order"]


class StageSerializer(serializers.ModelSerializer):
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
    region = serializers.CharField(source="region_id", default=None)

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


class ItemDetail(APIView):
    """事项详情：当前发布版本的全部要素。"""

    permission_classes = [AllowAny]

    def get(self, request: Request, basic_code: str) -> Response:
        item = selectors.item_by_code(basic_code)
        live = selectors.live_version(item)
        body = ItemSerializer(item).data
        body["children"] = list(item.children.order_by("basic_code").values_list("basic_code", flat=True))
        body["current_version"] = VersionSerializer(live).data if live else None
        return Response(body)


class EntryList(generics.ListAPIView):
    """实施清单（公开）；region 返回服务该区划的全部实施事项（含上级机构实施的）。"""

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

    def get(self, request: Request, implementation_code: str) -> Response:
        return Response(EntrySerializer(selectors.entry_by_code(implementation_code)).data)


class EntryGuide(APIView):
    """办事指南（JSON）：国家办事指南模板的全部要素。"""

    permission_classes = [AllowAny]

    def get(self, request: Request, implementation_code: str) -> Response:
        entry, version = selectors.guide_entry(implementation_code)
        return Response(guides.as_json(guides.build(entry, version)))


class EntryGuidePdf(APIView):
    """办事指南（PDF，嵌入中文字体）。"""

    permission_classes = [AllowAny]

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

    def post(self, request: Request, basic_code: str) -> Response:
        draft = services.new_draft(selectors.item_by_code(basic_code), by=request.user)
        return Response(_version_body(draft), status=status.HTTP_201_CREATED)


class DraftUpdate(APIView):
    permission_classes = [IsAuthenticated]

    def patch(self, request: Request, basic_code: str, number: str) -> Response:
        if not isinstance(request.data, dict) or not request.data:
            raise ServiceError("catalogue.body_invalid", "请求内容应为包含待修改字段的JSON对象")
        version = selectors.version_of(selectors.item_by_code(basic_code), number)
        return Response(_version_body(services.update_draft(version, dict(request.data), by=request.user)))


class DraftPublish(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request: Request, basic_code: str, number: str) -> Response:
        version = selectors.version_of(selectors.item_by_code(basic_code), number)
        return Response(_version_body(services.publish_version(version, by=request.user)))


class VersionWithdraw(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request: Request, basic_code: str, number: str) -> Response:
        version = selectors.version_of(selectors.item_by_code(basic_code), number)
        return Response(_version_body(services.withdraw_version(version, by=request.user)))


urlpatterns = [
    path("catalogue/items/", ItemList.as_view(), name="catalogue-items"),
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
