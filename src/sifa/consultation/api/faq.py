"""Knowledge-base API, mounted under ``/api/v1/`` (public, rate-limited per client address).

  GET faq/?q=&category=&limit=  published entries for a query, best first (suggestions while typing):
                                id, question, category, snippet of the answer with <mark> highlights
                                (HTML-escaped, as GET laws/search/), url of the public page
  GET faq/{id}/                 one published entry: the answer, the cited articles with their
                                permanent library addresses, the related catalogue items

Errors follow ``sifa.core.api.errors``: ``consultation.query_required``,
``consultation.query_too_long``, ``consultation.bad_category``, ``consultation.bad_limit`` (400),
``consultation.faq_not_found`` (404), 429 when the rate is exceeded.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.consultation.models import Category
from sifa.consultation.selectors import faq as selectors
from sifa.core.api import throttles
from sifa.core.api.schema import EnumField, error_responses, path_parameter

SEARCH_RATE = "120/min"
"""Twice the law library's: a person typing in the search box asks once per pause."""
FAQ_ID = path_parameter("faq_id", "常见问题的公开标识（UUID）")


class FaqThrottle(throttles.AnonymousThrottle):
    """Per client address, logged in or not, like ``sifa.laws.api.LawsThrottle``."""

    scope = "faq"
    rate = SEARCH_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [FaqThrottle]


class FaqHitSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="公开标识（用于 /api/v1/faq/{id}/ 与 /faq/{id}/）")
    question = serializers.CharField()
    category = EnumField(Category)
    category_label = serializers.CharField()
    snippet = serializers.CharField(help_text="解答摘要（HTML 转义，检索词以 <mark> 标出）")
    url = serializers.CharField(help_text="常见问题页面的地址")


class FaqSearchSerializer(serializers.Serializer):
    query = serializers.CharField()
    words = serializers.ListField(child=serializers.CharField(), help_text="分词后用于检索的词")
    count = serializers.IntegerField()
    results = FaqHitSerializer(many=True)


class FaqCitationSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="如“律师法第六条”")
    url = serializers.CharField(help_text="条文的永久地址（法律法规库）")


class FaqItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="事项基本编码")
    name = serializers.CharField()
    url = serializers.CharField(help_text="事项页面（含办事指南）")


class FaqDetailSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    question = serializers.CharField()
    answer = serializers.CharField(help_text="纯文本")
    category = EnumField(Category)
    category_label = serializers.CharField()
    keywords = serializers.CharField()
    organisation = serializers.CharField(allow_null=True, help_text="维护机构；空为全国常见问题")
    updated_at = serializers.DateTimeField()
    citations = FaqCitationSerializer(many=True)
    items = FaqItemSerializer(many=True)
    url = serializers.CharField()


class FaqSearch(PublicView):
    """常见问题检索：问题和关键词相符的靠前；用于输入时的提示。"""

    @extend_schema(
        operation_id="faq_search",
        summary="常见问题检索（公开）",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True, description="问题或关键词（1至100字）"),
            OpenApiParameter("category", OpenApiTypes.STR, enum=Category.values, description="咨询类别"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="返回条数（1至50，默认10）"),
        ],
        responses={
            200: FaqSearchSerializer,
            **error_responses(
                400,
                429,
                notes={
                    400: "consultation.query_required、consultation.query_too_long、"
                    "consultation.bad_category 或 consultation.bad_limit"
                },
            ),
        },
    )
    def get(self, request: Request) -> Response:
        p = request.query_params
        limit = selectors.check_limit(p.get("limit"))
        hits = selectors.search(p.get("q", ""), category=p.get("category", ""), limit=limit)
        results = [
            {
                "id": hit.faq.public_id,
                "question": hit.faq.question,
                "category": hit.faq.category,
                "category_label": hit.faq.get_category_display(),
                "snippet": str(hit.snippet),
                "url": request.build_absolute_uri(f"/faq/{hit.faq.public_id}/"),
            }
            for hit in hits
        ]
        words = hits[0].words if hits else []
        return Response(
            {"query": p.get("q", "").strip(), "words": words, "count": len(results), "results": results}
        )


class FaqDetail(PublicView):
    """一条常见问题：解答、引用的条文和相关事项。"""

    @extend_schema(
        operation_id="faq_detail",
        summary="常见问题详情（公开）",
        parameters=[FAQ_ID],
        responses={
            200: FaqDetailSerializer,
            **error_responses(404, 429, notes={404: "consultation.faq_not_found"}),
        },
    )
    def get(self, request: Request, faq_id: str) -> Response:
        faq = selectors.public_entry(faq_id)
        absolute = request.build_absolute_uri
        return Response(
            {
                "id": faq.public_id,
                "question": faq.question,
                "answer": faq.answer,
                "category": faq.category,
                "category_label": faq.get_category_display(),
                "keywords": faq.keywords,
                "organisation": faq.organisation.name if faq.organisation_id else None,
                "updated_at": faq.updated_at,
                "citations": [{**c, "url": absolute(c["url"])} for c in selectors.citations(faq)],
                "items": [{**i, "url": absolute(i["url"])} for i in selectors.items(faq)],
                "url": absolute(f"/faq/{faq.public_id}/"),
            }
        )


urlpatterns = [
    path("faq/", FaqSearch.as_view(), name="faq-search"),
    path("faq/<str:faq_id>/", FaqDetail.as_view(), name="faq-detail-api"),
]
