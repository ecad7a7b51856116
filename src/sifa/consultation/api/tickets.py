"""Consultation tickets API, included under ``/api/v1/`` — one contract for the website, the WeChat
mini-program, the Weibo integration, the 12348 hotline system and the hall's terminals.

* ``POST consultations/`` — a consultation (``Idempotency-Key``; ``channel`` web / hotline / hall /
  wechat / weibo). Anonymous allowed on web, wechat and weibo: the answer carries the
  ``tracking_code`` (查询码), shown once. Hotline and hall are recorded by staff (bearer token).
* ``GET consultations/`` — a signed-in asker's own tickets, or a consultant's queue in scope
  (``?status=open|overdue|escalated|answered|closed|all``).
* ``GET consultations/{number}/`` — the asker, staff in scope, or anyone with ``?code=``.
* ``POST consultations/{number}/answer/`` — a consultant: ``answer`` and ``citations``.
* ``POST consultations/{number}/transfer/`` — ``organisation`` (id) and ``reason``.
* ``POST consultations/{number}/rating/`` — ``satisfaction`` (very_satisfied … very_dissatisfied),
  ``comment``, ``channel``; anonymous askers add ``tracking_code``.
* ``POST consultations/{number}/convert/`` — the signed-in asker: ``kind`` legal_aid | mediation →
  the draft application's id and its address.

Rate limits: creating is limited per client address (anonymous) or per account, reading by
tracking code by the failed lookups per account or address (rating by every request, in the same count);
every 4xx has a stable code and a Chinese message.
"""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.consultation import selectors, services
from sifa.consultation.models import Category, Channel, Satisfaction, TicketStatus
from sifa.core.api import throttles
from sifa.core.api.bodies import RequestBody, StrictSerializer, accepts
from sifa.core.api.pagination import Pagination
from sifa.core.api.schema import LOGIN_ERRORS, error_responses, paginated, path_parameter
from sifa.core.errors import NotFound
from sifa.organisations.scope import actor_for

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="幂等键（1至200个字符）：同一键重发时返回第一次的结果（同一工单编号和查询码），不会重复登记",
)
NUMBER = path_parameter("number", "工单编号，如 ZX33010620261204000001")
CODE = OpenApiParameter("code", OpenApiTypes.STR, description="查询码（匿名咨询时取得）")
ANONYMOUS_CREATE_RATE = "10/hour"
ACCOUNT_CREATE_RATE = "120/hour"
TRACKING_RATE = "30/min"


class CreateThrottle(throttles.SubmitThrottle):
    """Ticket floods: 10 an hour from one address without an account; staff systems and signed-in
    askers have a larger budget of their own (the hotline records many calls)."""

    scope = "consultation_create"
    anonymous_rate = ANONYMOUS_CREATE_RATE
    account_rate = ACCOUNT_CREATE_RATE


class TrackingThrottle(throttles.TrackingCodeFailureThrottle):
    """Failed lookups with a tracking code (unknown number, wrong or no code) per account or address, so
    guessing codes stays impractical, while an asker who finds the consultation is never counted;
    once 30 failures (and ratings, :class:`RatingThrottle`) are in the window every lookup is
    refused, a right code too (docs/adr/0012-count-only-failed-progress-queries.md)."""

    scope = "consultation_tracking"
    rate = TRACKING_RATE


class RatingThrottle(throttles.TrackingCodeThrottle):
    """Rating with a tracking code (a write): every request per address, in the same count as
    :class:`TrackingThrottle`'s failed lookups."""

    scope = TrackingThrottle.scope
    rate = TRACKING_RATE


def _messages(message: str) -> dict[str, str]:
    keys = (
        "required",
        "blank",
        "null",
        "invalid",
        "invalid_choice",
        "max_length",
        "min_length",
        "not_a_list",
    )
    return dict.fromkeys(keys, message)


class TicketInput(StrictSerializer):
    codes = {
        "channel": "consultation.bad_channel",
        "category": "consultation.bad_category",
        "region": "consultation.region_required",
        "title": "consultation.title_length",
        "question": "consultation.question_length",
        "name": "consultation.name_length",
        "phone": "consultation.bad_phone",
        "wants_sms": "consultation.bad_wants_sms",
        "organisation": "consultation.bad_organisation",
        "call_started_at": "consultation.bad_time",
        "call_ended_at": "consultation.bad_time",
        "recording_ref": "consultation.recording_ref_length",
    }

    channel = serializers.ChoiceField(
        Channel.choices, error_messages=_messages("渠道应为 web、hotline、hall、wechat 或 weibo")
    )
    category = serializers.ChoiceField(Category.choices, error_messages=_messages("请选择咨询类别"))
    region = serializers.CharField(
        max_length=12,
        error_messages=_messages("请选择咨询事项发生地或您所在的地区（6位或12位区划代码）"),
        help_text="行政区划代码：县级6位，乡镇（街道）12位；决定由哪个机构答复",
    )
    title = serializers.CharField(
        min_length=4, max_length=60, error_messages=_messages("请用4至60个字概括您的问题")
    )
    question = serializers.CharField(
        min_length=10, max_length=5000, error_messages=_messages("请详细描述您的问题（10至5000字）")
    )
    name = serializers.CharField(
        max_length=30, required=False, allow_blank=True, error_messages=_messages("称呼不能超过30个字")
    )
    phone = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        error_messages=_messages("联系电话格式不正确"),
        help_text="联系电话；热线为来电号码（必填）。只以密文保存，列表中脱敏显示",
    )
    wants_sms = serializers.BooleanField(
        required=False, default=False, error_messages=_messages("wants_sms 应为 true 或 false")
    )
    organisation = serializers.IntegerField(
        required=False,
        allow_null=True,
        error_messages=_messages("承办机构应为机构ID"),
        help_text="热线、窗口登记时可直接指定承办机构（管辖范围内）；不填则按地区和类别自动分派",
    )
    call_started_at = serializers.DateTimeField(
        required=False, allow_null=True, error_messages=_messages("通话开始时间格式不正确")
    )
    call_ended_at = serializers.DateTimeField(
        required=False, allow_null=True, error_messages=_messages("通话结束时间格式不正确")
    )
    recording_ref = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        error_messages=_messages("录音编号不能超过100个字符"),
    )


class TicketCreatedOut(serializers.Serializer):
    number = serializers.CharField(help_text="工单编号")
    tracking_code = serializers.CharField(
        help_text="查询码：匿名咨询时返回（只显示这一次，请妥善保存）；登录用户为空"
    )
    organisation = serializers.CharField(help_text="承办机构")
    due_date = serializers.DateField(help_text="答复期限")
    due_provisional = serializers.BooleanField(help_text="期限计入尚未公布放假安排的年份（暂定）")
    url = serializers.CharField(help_text="工单页面地址")


class CitationOut(serializers.Serializer):
    label = serializers.CharField(help_text="如 律师法第六条")
    url = serializers.CharField(help_text="条文的永久地址 /laws/<法规>/<条>/")


class HistoryOut(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    at = serializers.DateTimeField()
    organisation = serializers.CharField()
    note = serializers.CharField()


class TicketOut(serializers.Serializer):
    number = serializers.CharField()
    channel = serializers.CharField()
    channel_label = serializers.CharField()
    category = serializers.CharField()
    category_label = serializers.CharField()
    region = serializers.CharField()
    region_name = serializers.CharField()
    title = serializers.CharField()
    question = serializers.CharField()
    status = serializers.ChoiceField(TicketStatus.choices)
    status_label = serializers.CharField()
    organisation = serializers.CharField(help_text="承办机构")
    received_at = serializers.DateTimeField()
    due_date = serializers.DateField()
    due_provisional = serializers.BooleanField()
    overdue = serializers.BooleanField()
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)
    answered_by_organisation = serializers.CharField(
        help_text="作出答复的机构（12348热线当场答复的为接听人员所在机构，可能不是承办机构；未答复为空）"
    )
    citations = CitationOut(many=True)
    satisfaction = serializers.CharField()
    satisfaction_label = serializers.CharField()
    rating_comment = serializers.CharField()
    rated_at = serializers.DateTimeField(allow_null=True)
    wants_sms = serializers.BooleanField()
    phone_masked = serializers.CharField()
    url = serializers.CharField()
    application = serializers.CharField(help_text="转为的申请（草稿）id")
    history = HistoryOut(many=True)


class TicketSummaryOut(serializers.Serializer):
    number = serializers.CharField()
    channel = serializers.CharField()
    category_label = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    organisation = serializers.CharField()
    due_date = serializers.DateField()
    overdue = serializers.BooleanField()
    escalated = serializers.BooleanField()
    phone_masked = serializers.CharField()
    received_at = serializers.DateTimeField()


def summary(ticket: Any) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "channel": ticket.channel,
        "category_label": ticket.get_category_display(),
        "title": ticket.title,
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "organisation": ticket.organisation.name,
        "due_date": ticket.due_date,
        "overdue": ticket.is_overdue,
        "escalated": ticket.escalated_at is not None,
        "phone_masked": ticket.phone_masked,
        "received_at": ticket.created_at,
    }


class AnswerInput(StrictSerializer):
    codes = {"answer": "consultation.answer_length", "citations": "consultation.bad_citations"}

    answer = serializers.CharField(
        min_length=10, max_length=5000, error_messages=_messages("答复应为10至5000字")
    )
    citations = serializers.ListField(
        child=serializers.CharField(max_length=200, error_messages=_messages("每条引用不超过200字")),
        required=False,
        max_length=20,
        error_messages={
            **_messages("引用条文应为文字列表，如“律师法第六条”"),
            "max_length": "引用条文不能超过20条",
        },
        help_text='引用的条文，如 ["律师法第六条", "《中华人民共和国人民调解法》第十七条"]；每条都须在法律法规库中找到',
    )


class TransferInput(StrictSerializer):
    codes = {"organisation": "consultation.bad_organisation", "reason": "consultation.reason_required"}

    organisation = serializers.IntegerField(error_messages=_messages("请选择转办的机构"))
    reason = serializers.CharField(
        min_length=2, max_length=200, error_messages=_messages("请填写转办理由（2至200字）")
    )


class RatingInput(StrictSerializer):
    codes = {
        "satisfaction": "consultation.bad_satisfaction",
        "comment": "consultation.comment_length",
        "channel": "consultation.bad_channel",
        "tracking_code": "consultation.not_found",
    }

    satisfaction = serializers.ChoiceField(Satisfaction.choices, error_messages=_messages("请选择满意程度"))
    comment = serializers.CharField(
        max_length=500, required=False, allow_blank=True, error_messages=_messages("评价意见不能超过500字")
    )
    channel = serializers.ChoiceField(
        Channel.choices, required=False, default=Channel.WEB, error_messages=_messages("渠道不正确")
    )
    tracking_code = serializers.CharField(
        max_length=20, required=False, allow_blank=True, error_messages=_messages("查询码不正确")
    )


class ConvertInput(StrictSerializer):
    codes = {"kind": "consultation.bad_kind"}

    kind = serializers.ChoiceField(
        [("legal_aid", "法律援助申请"), ("mediation", "人民调解申请")],
        error_messages=_messages("只能转为法律援助申请（legal_aid）或人民调解申请（mediation）"),
    )


class ConvertedOut(serializers.Serializer):
    application = serializers.CharField(help_text="申请草稿 id（UUID）")
    url = serializers.CharField(help_text="继续填写申请的页面")


def _find(request: Request, number: str, code: str = "") -> tuple[Any, bool]:
    """The ticket for this caller and whether they see it as staff."""
    user = request.user
    if getattr(user, "is_authenticated", False):
        actor = actor_for(user)
        if actor.is_staff_actor or actor.is_superuser:
            return selectors.for_staff(user, number), True
        return selectors.for_asker(user, number), False
    if code:
        return selectors.by_tracking_code(number, code), False
    raise NotFound("未找到该咨询工单", code="consultation.not_found")


class TicketList(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [CreateThrottle]

    @extend_schema(
        operation_id="consultations_list",
        summary="我的咨询（工作人员：管辖范围内的咨询工单）",
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=list(selectors.QUEUES), description="工作人员的队列"
            ),
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
        responses={200: paginated(TicketSummaryOut), **error_responses(401)},
    )
    def get(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated("请登录后查看您的咨询；匿名咨询请凭工单编号和查询码查询")
        actor = actor_for(request.user)
        if actor.is_staff_actor or actor.is_superuser:
            rows = selectors.queue(actor, status=request.query_params.get("status", "open"))
        else:
            rows = selectors.mine(request.user)
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response([summary(t) for t in page])

    @extend_schema(
        operation_id="consultations_create",
        summary="提出法律咨询（网站、热线、大厅、微信、微博）",
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: TicketCreatedOut,
            **error_responses(
                400,
                403,
                422,
                429,
                notes={
                    403: "consultation.staff_only、consultation.not_recorder、consultation.staff_channel",
                    422: "idempotency.key_reused",
                    429: "rate_limited、consultation.too_many_open",
                },
            ),
        },
    )
    @accepts(TicketInput)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        data = body.validated()
        created = services.create_ticket(
            request.user,
            idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
            **data,
        )
        ticket = created.ticket
        return Response(
            {
                "number": ticket.number,
                "tracking_code": created.tracking_code,
                "organisation": ticket.organisation.name,
                "due_date": ticket.due_date,
                "due_provisional": ticket.due_provisional,
                "url": services.link_of(ticket),
            },
            status=status.HTTP_200_OK if created.replayed else status.HTTP_201_CREATED,
        )


class TicketDetail(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [TrackingThrottle]

    @extend_schema(
        operation_id="consultations_retrieve",
        summary="查看咨询及答复（咨询人、管辖范围内的工作人员，或凭查询码）",
        description=(
            "每分钟查询失败（编号不存在或查询码错误）达30次后（登录账户按账户计；未登录按客户端地址计，与评价合计），"
            "该分钟内的查询一律返回429（查询码正确也不例外）；查询成功不计入次数。"
        ),
        parameters=[NUMBER, CODE],
        responses={200: TicketOut, **error_responses(404, 429)},
    )
    def get(self, request: Request, number: str) -> Response:
        # DRF's throttle only looked at the client's failures; a lookup without an account that
        # found nothing is counted here, and refused when the failures reached the rate meanwhile.
        try:
            ticket, staff = _find(request, number, request.query_params.get("code", ""))
        except NotFound:
            throttle = TrackingThrottle()
            if not throttle.count_failure(request, self):
                self.throttled(request, throttle.wait())
            raise
        return Response(selectors.view(ticket, staff=staff))


class AnswerView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="consultations_answer",
        summary="答复咨询（引用法律法规库中的条文）",
        parameters=[NUMBER],
        responses={
            200: TicketOut,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                404,
                409,
                notes={400: "consultation.unresolved_citation 等", 409: "consultation.already_answered"},
            ),
        },
    )
    @accepts(AnswerInput)
    def post(self, request: Request, number: str, *, body: RequestBody) -> Response:
        selectors.for_staff(request.user, number, purpose="答复法律咨询")
        data = body.validated()
        ticket = services.answer(
            request.user, number, text=data["answer"], citations=data.get("citations", [])
        )
        return Response(selectors.view(ticket, staff=True))


class TransferView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="consultations_transfer",
        summary="转办至其他机构",
        parameters=[NUMBER],
        responses={200: TicketOut, **error_responses(400, *LOGIN_ERRORS, 404, 409)},
    )
    @accepts(TransferInput)
    def post(self, request: Request, number: str, *, body: RequestBody) -> Response:
        selectors.for_staff(request.user, number, purpose="转办法律咨询")
        data = body.validated()
        ticket = services.transfer(
            request.user, number, organisation=data["organisation"], reason=data["reason"]
        )
        return Response(selectors.view(ticket, staff=True))


class RatingView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [RatingThrottle]

    @extend_schema(
        operation_id="consultations_rate",
        summary="评价答复（每次咨询一次）",
        parameters=[NUMBER],
        responses={
            200: TicketOut,
            **error_responses(
                400, 404, 409, 429, notes={409: "consultation.not_answered、consultation.already_rated"}
            ),
        },
    )
    @accepts(RatingInput)
    def post(self, request: Request, number: str, *, body: RequestBody) -> Response:
        data = body.validated()
        ticket = services.rate(
            request.user,
            number,
            satisfaction=data["satisfaction"],
            comment=data.get("comment", ""),
            channel=data.get("channel") or Channel.WEB,
            tracking_code=data.get("tracking_code", ""),
        )
        staff = getattr(request.user, "is_authenticated", False) and ticket.asker_id != request.user.pk
        return Response(selectors.view(ticket, staff=bool(staff)))


class ConvertView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="consultations_convert",
        summary="转为法律援助申请或人民调解申请（自动带入咨询内容）",
        parameters=[NUMBER],
        responses={200: ConvertedOut, **error_responses(400, *LOGIN_ERRORS, 404, 409)},
    )
    @accepts(ConvertInput)
    def post(self, request: Request, number: str, *, body: RequestBody) -> Response:
        selectors.for_asker(request.user, number)
        data = body.validated()
        application = services.convert(request.user, number, kind=data["kind"])
        return Response(
            {
                "application": str(application.pk),
                "url": reverse("citizen-apply-form", args=[application.pk, 1]),
            }
        )


urlpatterns = [
    path("consultations/", TicketList.as_view(), name="api-consultations"),
    path("consultations/<str:number>/", TicketDetail.as_view(), name="api-consultation"),
    path("consultations/<str:number>/answer/", AnswerView.as_view(), name="api-consultation-answer"),
    path("consultations/<str:number>/transfer/", TransferView.as_view(), name="api-consultation-transfer"),
    path("consultations/<str:number>/rating/", RatingView.as_view(), name="api-consultation-rating"),
    path("consultations/<str:number>/convert/", ConvertView.as_view(), name="api-consultation-convert"),
]
