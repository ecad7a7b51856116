"""Mediation API, included under ``/api/v1/`` (``urlpatterns`` at the end).

* ``GET  mediation/roster/?entry=<实施编码>`` or ``?organisation=<机构ID>`` — public: the
  人民调解委员会 of a 司法所 and their active 人民调解员, so an applicant can choose (人民调解法 §23).
* ``POST mediation/offices/{机构ID}/committees/`` — staff: put a committee on the roster.
* ``POST mediation/committees/{id}/mediators/`` — staff: add a mediator.
* ``POST mediation/mediators/{id}/active/`` — staff: take a mediator off the roster or back on.

The case steps (assign mediators, record a session, conclude) are workflow commands:
``POST cases/{number}/commands/{assign_mediators|record_session|conclude_mediation}/``.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.catalogue.models import ImplementationEntry
from sifa.core.api.bodies import RequestBody, StrictSerializer, accepts
from sifa.core.api.schema import error_responses
from sifa.core.errors import NotFound, ServiceError
from sifa.mediation import services
from sifa.mediation.models import CommitteeKind, MediationCommittee, Mediator, MediatorPosition
from sifa.mediation.selectors import public_roster
from sifa.organisations.models import Organisation, OrganisationKind


class RosterMediatorSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="指定调解员时使用的编号")
    name = serializers.CharField()
    position = serializers.CharField(help_text="职务：主任、副主任、委员、聘任的人民调解员")
    specialties = serializers.CharField(help_text="擅长调解的纠纷")


class RosterCommitteeSerializer(serializers.Serializer):
    committee = serializers.CharField(help_text="人民调解委员会名称")
    kind = serializers.CharField(help_text="类别")
    mediators = RosterMediatorSerializer(many=True)


class RosterSerializer(serializers.Serializer):
    organisation = serializers.CharField(help_text="司法所")
    committees = RosterCommitteeSerializer(many=True)


def _messages(message: str) -> dict[str, str]:
    """The same Chinese message for every way a field can be wrong."""
    keys = ("required", "blank", "null", "invalid", "invalid_choice", "max_length", "min_length")
    return dict.fromkeys(keys, message)


class CommitteeInput(StrictSerializer):
    codes = {"name": "mediation.name_required", "kind": "mediation.bad_kind"}

    name = serializers.CharField(
        min_length=2, max_length=100, error_messages=_messages("请填写人民调解委员会名称（2至100字）")
    )
    kind = serializers.ChoiceField(
        CommitteeKind.choices, error_messages=_messages("请选择人民调解委员会的类别")
    )


class MediatorInput(StrictSerializer):
    codes = {
        "name": "mediation.name_required",
        "position": "mediation.bad_position",
        "specialties": "mediation.too_long",
    }

    name = serializers.CharField(
        min_length=2, max_length=50, error_messages=_messages("请填写人民调解员姓名（2至50字）")
    )
    position = serializers.ChoiceField(
        MediatorPosition.choices, error_messages=_messages("请选择人民调解员的职务")
    )
    specialties = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        error_messages={"max_length": "擅长调解的纠纷不能超过200字"},
        help_text="擅长调解的纠纷",
    )


class ActiveInput(StrictSerializer):
    active = serializers.BooleanField(error_messages=_messages("请用 active: true 或 false 表示是否在册"))


class CreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _int(value: Any, message: str) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise NotFound(message, code="mediation.not_found") from None
    if number <= 0:
        raise NotFound(message, code="mediation.not_found")
    return number


def _office(org_id: Any) -> Organisation:
    office = Organisation.objects.filter(
        pk=_int(org_id, "未找到该司法所"), kind=OrganisationKind.JUDICIAL_OFFICE, is_active=True
    ).first()
    if office is None:
        raise NotFound("未找到该司法所", code="mediation.not_found")
    return office


class RosterView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="司法所的人民调解员名册（公开）",
        parameters=[
            OpenApiParameter("entry", OpenApiTypes.STR, description="“人民调解申请”的实施编码"),
            OpenApiParameter("organisation", OpenApiTypes.INT, description="司法所的机构ID"),
        ],
        responses={200: RosterSerializer, **error_responses(400, 404)},
    )
    def get(self, request: Request) -> Response:
        code, org_id = request.query_params.get("entry", ""), request.query_params.get("organisation", "")
        if code:
            entry = (
                ImplementationEntry.objects.select_related("accepting_organisation")
                .filter(implementation_code=code.strip()[:60])
                .first()
            )
            if entry is None or entry.accepting_organisation.kind != OrganisationKind.JUDICIAL_OFFICE:
                raise NotFound("未找到由司法所受理的该事项", code="mediation.not_found")
            office = entry.accepting_organisation
        elif org_id:
            office = _office(org_id)
        else:
            raise ServiceError("validation_error", "请指明实施编码（entry）或司法所的机构ID（organisation）")
        return Response({"organisation": office.name, "committees": public_roster(office)})


class CommitteeCreate(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="登记人民调解委员会（工作人员）",
        responses={201: CreatedSerializer, **error_responses(400, 401, 403, 404)},
    )
    @accepts(CommitteeInput)
    def post(self, request: Request, org_id: str, *, body: RequestBody) -> Response:
        office = _office(org_id)
        data = body.validated()
        committee = services.create_committee(request.user, office, name=data["name"], kind=data["kind"])
        return Response({"id": committee.pk, "name": committee.name}, status=status.HTTP_201_CREATED)


class MediatorCreate(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="登记人民调解员（工作人员）",
        responses={201: CreatedSerializer, **error_responses(400, 401, 403, 404)},
    )
    @accepts(MediatorInput)
    def post(self, request: Request, committee_id: str, *, body: RequestBody) -> Response:
        committee = MediationCommittee.objects.filter(pk=_int(committee_id, "未找到该人民调解委员会")).first()
        if committee is None:
            raise NotFound("未找到该人民调解委员会", code="mediation.not_found")
        data = body.validated()
        mediator = services.add_mediator(
            request.user,
            committee,
            name=data["name"],
            position=data["position"],
            specialties=data.get("specialties", ""),
        )
        return Response({"id": mediator.pk, "name": mediator.name}, status=status.HTTP_201_CREATED)


class MediatorActive(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="人民调解员在册或不在册（工作人员）",
        responses={200: CreatedSerializer, **error_responses(400, 401, 403, 404)},
    )
    @accepts(ActiveInput)
    def post(self, request: Request, mediator_id: str, *, body: RequestBody) -> Response:
        mediator = (
            Mediator.objects.select_related("committee__organisation")
            .filter(pk=_int(mediator_id, "未找到该人民调解员"))
            .first()
        )
        if mediator is None:
            raise NotFound("未找到该人民调解员", code="mediation.not_found")
        services.set_mediator_active(request.user, mediator, body.validated()["active"])
        return Response({"id": mediator.pk, "name": mediator.name})


urlpatterns = [
    path("mediation/roster/", RosterView.as_view(), name="mediation-roster"),
    path(
        "mediation/offices/<str:org_id>/committees/", CommitteeCreate.as_view(), name="mediation-committees"
    ),
    path(
        "mediation/committees/<str:committee_id>/mediators/",
        MediatorCreate.as_view(),
        name="mediation-mediators",
    ),
    path("mediation/mediators/<str:mediator_id>/active/", MediatorActive.as_view(), name="mediation-active"),
]
