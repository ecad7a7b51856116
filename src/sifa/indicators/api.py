"""绩效考核 API, included under ``/api/v1/``.

* ``GET indicators/?organisation=&period=YYYY-MM&depth=1`` — staff: the subtree figures of an
  organisation in their scope (their own highest organisation when ``organisation`` is absent) and,
  with ``depth=1`` (the default), its children's. Out of scope → 404; a bad period, organisation or
  depth → 400 with a stable code.
* ``GET public/statistics/?organisation=&period=`` — anyone: the counts and rates of an
  organisation's subtree (the whole platform when ``organisation`` is absent) for a month that is
  over (the last month by default). No personal data.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.core.api import throttles
from sifa.core.api.schema import LOGIN_ERRORS, error_responses
from sifa.core.errors import NotFound, ServiceError
from sifa.indicators import selectors
from sifa.indicators.metrics import METRIC_LABELS
from sifa.organisations.models import Organisation
from sifa.organisations.scope import actor_for

PUBLIC_RATE = "120/min"

ORGANISATION = OpenApiParameter(
    "organisation", OpenApiTypes.INT, description="机构ID（数字含其全部下级机构）"
)
PERIOD = OpenApiParameter("period", OpenApiTypes.STR, description="统计月份 YYYY-MM，如 2026-11")
DEPTH = OpenApiParameter(
    "depth", OpenApiTypes.INT, description="1（默认）同时返回各直属下级机构的数字；0 只返回本机构"
)


class PublicThrottle(throttles.SharedRateThrottle):
    scope = "indicators_public"
    rate = PUBLIC_RATE

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


Counts = inline_serializer(
    "IndicatorCounts",
    {name: serializers.IntegerField(help_text=label) for name, label in METRIC_LABELS.items()},
)
Rates = inline_serializer(
    "IndicatorRates",
    {
        name: serializers.FloatField(allow_null=True, help_text=f"{label}（{num} ÷ {den}；分母为0时为 null）")
        for name, (label, num, den) in selectors.RATES.items()
    },
)


class OrganisationRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.IntegerField(help_text="1 部级 … 5 乡级")


class FiguresOut(serializers.Serializer):
    period = serializers.CharField(help_text="统计月份 YYYY-MM")
    counts = Counts
    rates = Rates


class ChildOut(serializers.Serializer):
    organisation = OrganisationRef()
    figures = FiguresOut()


class IndicatorsOut(serializers.Serializer):
    organisation = OrganisationRef()
    period = serializers.CharField()
    figures = FiguresOut()
    children = ChildOut(many=True, help_text="直属下级机构（depth=1）；depth=0 时为空")


class PublicStatisticsOut(serializers.Serializer):
    organisation = OrganisationRef(allow_null=True, help_text="为空表示全平台")
    period = serializers.CharField()
    figures = FiguresOut()


def organisation_ref(organisation: Organisation | None) -> dict[str, Any] | None:
    if organisation is None:
        return None
    return {"id": organisation.pk, "name": organisation.name, "level": organisation.level}


def _depth(value: Any) -> int:
    text = str(value if value is not None else "1").strip() or "1"
    if text not in ("0", "1"):
        message = "depth 只能为 0 或 1"
        raise ServiceError(
            "indicators.bad_depth",
            message,
            errors=[{"field": "depth", "code": "indicators.bad_depth", "message": message}],
        )
    return int(text)


def _default_organisation(request: Request) -> Organisation:
    actor = actor_for(request.user)
    paths = actor.paths_for()
    if not paths and actor.is_superuser:
        paths = tuple(Organisation.objects.filter(parent__isnull=True).values_list("path", flat=True)[:1])
    if not paths:
        raise NotFound()
    top = min(paths, key=len)
    return Organisation.objects.get(path=top)


class Indicators(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="indicators_read",
        summary="绩效考核：机构（含下级）的月度数字及其直属下级机构的数字（工作人员，管辖范围内）",
        parameters=[ORGANISATION, PERIOD, DEPTH],
        responses={
            200: IndicatorsOut,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                404,
                notes={
                    400: "indicators.bad_period、indicators.bad_organisation、indicators.bad_depth",
                    404: "机构不在本人管辖范围内",
                },
            ),
        },
    )
    def get(self, request: Request) -> Response:
        actor = actor_for(request.user)
        month = selectors.parse_period(request.query_params.get("period"))
        depth = _depth(request.query_params.get("depth"))
        organisation = selectors.organisation_of(request.query_params.get("organisation"))
        if organisation is None:
            organisation = _default_organisation(request)
        if depth:
            figures, kids = selectors.drill_down(actor, organisation, month)
        else:
            figures, kids = selectors.figures(actor, organisation, month), []
        return Response(
            {
                "organisation": organisation_ref(organisation),
                "period": figures.period,
                "figures": figures.as_dict(),
                "children": [{"organisation": organisation_ref(k), "figures": f.as_dict()} for k, f in kids],
            }
        )


class PublicStatistics(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [PublicThrottle]

    @extend_schema(
        operation_id="public_statistics",
        summary="政务公开：机构（含下级）或全平台的月度统计数字（仅已结束的月份）",
        parameters=[ORGANISATION, PERIOD],
        responses={
            200: PublicStatisticsOut,
            **error_responses(
                400,
                429,
                notes={400: "indicators.bad_period、indicators.bad_organisation、indicators.not_published"},
            ),
        },
    )
    def get(self, request: Request) -> Response:
        organisation = selectors.organisation_of(request.query_params.get("organisation"))
        figures = selectors.public_figures(organisation, request.query_params.get("period"))
        return Response(
            {
                "organisation": organisation_ref(organisation),
                "period": figures.period,
                "figures": figures.as_dict(),
            }
        )


urlpatterns = [
    path("indicators/", Indicators.as_view(), name="indicators"),
    path("public/statistics/", PublicStatistics.as_view(), name="public-statistics"),
]
