"""Law-library API, mounted under ``/api/v1/`` (public, rate-limited per client address).

  GET laws/?q=&category=        statutes (title words, category), paginated
  GET laws/search/?q=&category= article hits: statute, article (第六条), text with <mark> highlights, url
  GET laws/{statute_id}/        one statute (``statute_id`` is its address, e.g. 律师法-2017-09-01)
                                with headings and articles

Errors follow ``sifa.core.api.errors``: ``laws.query_empty`` and ``laws.query_too_long`` (400),
``laws.statute_not_found`` (404), 429 when the rate is exceeded.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.core.api import throttles
from sifa.core.api.schema import EnumField, error_responses, path_parameter
from sifa.laws import search, selectors
from sifa.laws.models import Article, Effectiveness, Heading, Statute

SEARCH_RATE = "60/min"
STATUTE_ID = path_parameter("statute_id", "法规地址标识，如 律师法-2017-09-01")
CATEGORY = OpenApiParameter(
    "category", OpenApiTypes.STR, description="类别（来源目录名），如“行政法”“行政法规”"
)


class LawsThrottle(throttles.AnonymousThrottle):
    """Per client address, logged in or not: the library is open to anyone, scraping is not."""

    scope = "laws"
    rate = SEARCH_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicView:
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LawsThrottle]


class StatuteSerializer(serializers.ModelSerializer):
    id = serializers.CharField(
        source="slug", help_text="法规地址标识（用于 /api/v1/laws/{statute_id}/ 与 /laws/{statute_id}/）"
    )
    effectiveness = EnumField(Effectiveness, required=False, allow_blank=True)
    effectiveness_label = serializers.CharField(
        source="get_effectiveness_display", help_text="空：来源未注明"
    )
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Statute
        fields = [
            "id", "title", "short_title", "category", "version_date", "issuing_body", "adopted_on",
            "amended_on", "effectiveness", "effectiveness_label", "article_count", "url",
        ]  # fmt: skip


class HeadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Heading
        fields = ["level", "title", "position"]


class ArticleSerializer(serializers.ModelSerializer):
    key = serializers.CharField(help_text="条文地址中的条号：6 为第六条，6-1 为第六条之一")
    article = serializers.CharField(source="label", help_text="如“第六条”")
    heading = serializers.CharField(source="heading.title", default=None, allow_null=True)
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Article
        fields = ["key", "number", "suffix", "article", "heading", "text", "position", "url"]


class StatuteDetailSerializer(StatuteSerializer):
    history = serializers.CharField()
    headings = HeadingSerializer(many=True)
    articles = ArticleSerializer(many=True)

    class Meta(StatuteSerializer.Meta):
        fields = [*StatuteSerializer.Meta.fields, "history", "headings", "articles"]


class HitSerializer(serializers.Serializer):
    statute = serializers.CharField(help_text="法规名称（简称）")
    statute_id = serializers.CharField(help_text="法规地址标识")
    article = serializers.CharField(help_text="条文序号，如“第六条”")
    text = serializers.CharField(help_text="条文（HTML 转义，检索词以 <mark> 标出）")
    url = serializers.CharField(help_text="条文的永久地址")


class SearchSerializer(serializers.Serializer):
    query = serializers.CharField()
    words = serializers.ListField(child=serializers.CharField(), help_text="分词后用于检索的词")
    count = serializers.IntegerField()
    results = HitSerializer(many=True)


@extend_schema_view(
    get=extend_schema(
        summary="法律法规列表（公开）",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="标题关键词（不超过100字）"),
            CATEGORY,
        ],
        responses={200: StatuteSerializer(many=True), **error_responses(400, 429)},
    )
)
class StatuteList(PublicView, generics.ListAPIView):
    """法律法规列表，可按标题关键词和类别筛选。"""

    serializer_class = StatuteSerializer
    filter_backends: list = []

    def get_queryset(self):
        p = self.request.query_params
        return selectors.statutes(q=p.get("q", ""), category=p.get("category", ""))


class StatuteDetail(PublicView, APIView):
    """一部法规：章节与全部条文。"""

    @extend_schema(
        summary="法规详情（公开）",
        parameters=[STATUTE_ID],
        responses={
            200: StatuteDetailSerializer,
            **error_responses(404, 429, notes={404: "laws.statute_not_found"}),
        },
    )
    def get(self, request: Request, statute_id: str) -> Response:
        statute = selectors.statute(statute_id)
        return Response(StatuteDetailSerializer(statute).data)


class ArticleSearch(PublicView, APIView):
    """条文检索：按条文返回，标出检索词，法规名称相符的靠前。"""

    @extend_schema(
        summary="条文全文检索（公开）",
        parameters=[
            OpenApiParameter(
                "q", OpenApiTypes.STR, required=True, description="关键词（1至100字，空格分隔多个词）"
            ),
            CATEGORY,
        ],
        responses={
            200: SearchSerializer,
            **error_responses(400, 429, notes={400: "laws.query_empty 或 laws.query_too_long"}),
        },
    )
    def get(self, request: Request) -> Response:
        p = request.query_params
        hits, words = search.search(p.get("q", ""), category=p.get("category", ""), limit=20)
        results = [
            {
                "statute": hit.article.statute.short_title,
                "statute_id": hit.article.statute.slug,
                "article": hit.article.label,
                "text": str(hit.highlighted),
                "url": request.build_absolute_uri(hit.article.get_absolute_url()),
            }
            for hit in hits
        ]
        return Response(
            {"query": p.get("q", "").strip(), "words": words, "count": len(results), "results": results}
        )


urlpatterns = [
    path("laws/", StatuteList.as_view(), name="laws-list"),
    path("laws/search/", ArticleSearch.as_view(), name="laws-search"),
    path("laws/<str:statute_id>/", StatuteDetail.as_view(), name="laws-detail"),
]
