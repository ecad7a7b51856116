"""Complaints API, included under ``/api/v1/``.

* ``POST complaints/`` — a complaint or report (``Idempotency-Key``); anonymous allowed: the answer
  carries ``number`` and ``tracking_code`` (查询码, shown once).
* ``GET complaints/`` — a signed-in complainant's own, or a supervisor's queue in scope
  (``?status=open|overdue|supervised|replied|closed|all``).
* ``GET complaints/track/{number}/?code=`` — progress and outcome by tracking code.
* ``GET complaints/{number}/`` — a supervisor in scope, or the signed-in complainant.
* ``POST complaints/{number}/commands/{accept|supervise|report|reply|close}/`` — supervisors.

Rate limits: submitting is limited per client address (anonymous) or per account, tracking by the
failed lookups per address; every 4xx has a stable code and a Chinese message.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.complaints import selectors, services
from sifa.complaints.models import Kind, SubjectKind
from sifa.core.api import throttles
from sifa.core.api.bodies import RequestBody, StrictSerializer, accepts
from sifa.core.api.pagination import Pagination
from sifa.core.api.schema import LOGIN_ERRORS, error_responses, path_parameter
from sifa.core.errors import NotFound
from sifa.organisations.scope import actor_for

IDEMPOTENCY_HEADER = "Idempotency-Key"
NUMBER = path_parameter("number", "投诉编号，如 TS33010620261204000001")
ANONYMOUS_SUBMIT_RATE = "5/hour"
ACCOUNT_SUBMIT_RATE = "20/hour"
TRACKING_RATE = "30/min"


class SubmitThrottle(throttles.SubmitThrottle):
    """Complaint floods: 5 an hour from one address without an account, 20 per account."""

    scope = "complaints_submit"
    anonymous_rate = ANONYMOUS_SUBMIT_RATE
    account_rate = ACCOUNT_SUBMIT_RATE


class TrackingThrottle(throttles.TrackingCodeFailureThrottle):
    """Failed lookups with a tracking code (unknown number or wrong code) per address, so guessing
    codes stays impractical, while a complainant who finds the complaint is never counted; once 30
    failures are in the window every lookup is refused, a right code too (the API and the page
    share the count; docs/adr/0012-count-only-failed-progress-queries.md)."""

    scope = "complaints_tracking"
    rate = TRACKING_RATE


def _messages(message: str) -> dict[str, str]:
    keys = ("required", "blank", "null", "invalid", "invalid_choice", "max_length", "min_length")
    return dict.fromkeys(keys, message)


class ComplaintInput(StrictSerializer):
    codes = {
        "kind": "complaints.bad_kind",
        "subject_kind": "complaints.bad_subject",
        "text": "complaints.text_length",
        "case_number": "complaints.unknown_case",
        "organisation": "complaints.unknown_organisation",
        "staff_member": "complaints.unknown_staff",
        "name": "complaints.name_length",
        "phone": "complaints.bad_phone",
        "anonymous": "complaints.bad_anonymous",
        "wants_sms": "complaints.bad_wants_sms",
    }

    kind = serializers.ChoiceField(
        Kind.choices, error_messages=_messages("类型应为投诉（complaint）或举报（report）")
    )
    subject_kind = serializers.ChoiceField(
        SubjectKind.choices,
        error_messages=_messages("投诉对象应为办件（case）、服务（service）或工作人员行为（conduct）"),
    )
    text = serializers.CharField(
        min_length=10, max_length=3000, error_messages=_messages("请写明投诉举报的事实和诉求（10至3000字）")
    )
    case_number = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        error_messages=_messages("办件编号不正确"),
        help_text="所涉办件编号（投诉办件时必填）；办理机构由办件确定",
    )
    organisation = serializers.IntegerField(
        required=False,
        allow_null=True,
        error_messages=_messages("机构应为机构ID"),
        help_text="被投诉的机构（投诉服务或工作人员行为时必填）",
    )
    staff_member = serializers.CharField(
        max_length=150,
        required=False,
        allow_blank=True,
        error_messages=_messages("工号不正确"),
        help_text="被投诉工作人员的工号（可不填）；被投诉人看不到投诉人的任何身份信息",
    )
    name = serializers.CharField(
        max_length=30, required=False, allow_blank=True, error_messages=_messages("姓名不能超过30个字")
    )
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, error_messages=_messages("联系电话格式不正确")
    )
    anonymous = serializers.BooleanField(
        required=False, default=False, error_messages=_messages("anonymous 应为 true 或 false")
    )
    wants_sms = serializers.BooleanField(
        required=False, default=False, error_messages=_messages("wants_sms 应为 true 或 false")
    )


class SubmittedOut(serializers.Serializer):
    number = serializers.CharField(help_text="投诉编号")
    tracking_code = serializers.CharField(
        help_text="查询码：无账户（含匿名）时返回，只显示这一次；登录实名为空"
    )
    handler = serializers.CharField(help_text="办理机构")
    due_date = serializers.DateField(help_text="答复期限")
    due_provisional = serializers.BooleanField()


class CommandInput(StrictSerializer):
    codes = {
        "text": "complaints.text_length",
        "instruction": "complaints.instruction_length",
        "deadline": "complaints.bad_deadline",
        "requires_report": "complaints.bad_requires_report",
    }

    text = serializers.CharField(
        max_length=3000,
        required=False,
        allow_blank=True,
        error_messages=_messages("内容不能超过3000字"),
        help_text="reply：答复内容；report：情况报告（10至3000字）",
    )
    instruction = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        error_messages=_messages("督办意见不能超过500字"),
        help_text="supervise：督办意见",
    )
    deadline = serializers.DateField(
        required=False,
        allow_null=True,
        error_messages=_messages("督办期限应为日期（YYYY-MM-DD）"),
        help_text="supervise：督办期限",
    )
    requires_report = serializers.BooleanField(
        required=False,
        default=True,
        error_messages=_messages("requires_report 应为 true 或 false"),
        help_text="supervise：是否要求报告办理情况",
    )


class ComplaintList(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [SubmitThrottle]

    @extend_schema(
        operation_id="complaints_list",
        summary="我的投诉举报（监督人员：管辖范围内的投诉举报）",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(selectors.QUEUES)),
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
        responses={200: OpenApiTypes.OBJECT, **error_responses(401)},
    )
    def get(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated("请登录后查看；匿名投诉举报请凭编号和查询码查询")
        actor = actor_for(request.user)
        if actor.is_staff_actor or actor.is_superuser:
            rows = selectors.queue(actor, status=request.query_params.get("status", "open"))
        else:
            rows = selectors.mine(request.user)
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response([selectors.summary(c, request.user) for c in page])

    @extend_schema(
        operation_id="complaints_create",
        summary="投诉举报（可匿名，凭查询码查询）",
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="幂等键：同一键重发时返回第一次的结果（同一编号和查询码）",
            )
        ],
        responses={
            201: SubmittedOut,
            **error_responses(400, 403, 422, 429, notes={429: "rate_limited、complaints.too_many_open"}),
        },
    )
    @accepts(ComplaintInput)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        data = body.validated()
        done = services.submit(
            request.user, idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""), **data
        )
        complaint = done.complaint
        return Response(
            {
                "number": complaint.number,
                "tracking_code": done.tracking_code,
                "handler": complaint.handler.name,
                "due_date": complaint.due_date,
                "due_provisional": complaint.due_provisional,
            },
            status=status.HTTP_200_OK if done.replayed else status.HTTP_201_CREATED,
        )


class ComplaintTrack(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [TrackingThrottle]

    @extend_schema(
        operation_id="complaints_track",
        summary="凭编号和查询码查询办理进度和结果",
        description=(
            "每分钟查询失败（编号不存在或查询码错误）达30次后（登录账户按账户计，未登录按客户端地址计），"
            "该分钟内的查询一律返回429（查询码正确也不例外）；查询成功不计入次数。"
        ),
        parameters=[NUMBER, OpenApiParameter("code", OpenApiTypes.STR, description="查询码")],
        responses={200: OpenApiTypes.OBJECT, **error_responses(404, 429)},
    )
    def get(self, request: Request, number: str) -> Response:
        # DRF's throttle only looked at the client's failures; a lookup that found nothing is
        # counted here, and refused when the failures reached the rate meanwhile.
        try:
            complaint = selectors.by_tracking_code(number, request.query_params.get("code", ""))
        except NotFound:
            throttle = TrackingThrottle()
            if not throttle.count_failure(request, self):
                self.throttled(request, throttle.wait())
            raise
        return Response(selectors.view(complaint))


class ComplaintDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="complaints_retrieve",
        summary="查看投诉举报（监督人员、投诉举报人）",
        parameters=[NUMBER],
        responses={200: OpenApiTypes.OBJECT, **error_responses(*LOGIN_ERRORS, 404)},
    )
    def get(self, request: Request, number: str) -> Response:
        actor = actor_for(request.user)
        if actor.is_staff_actor or actor.is_superuser:
            complaint = selectors.for_staff(request.user, number)
            return Response(selectors.view(complaint, viewer=request.user, staff=True))
        return Response(selectors.view(selectors.for_complainant(request.user, number)))


class ComplaintCommand(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="complaints_command",
        summary="办理投诉举报：受理、督办、报告办理情况、答复、办结",
        parameters=[
            NUMBER,
            OpenApiParameter(
                "command", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(services.COMMANDS)
            ),
        ],
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, *LOGIN_ERRORS, 404, 409)},
    )
    @accepts(CommandInput)
    def post(self, request: Request, number: str, command: str, *, body: RequestBody) -> Response:
        if command not in services.COMMANDS:
            raise NotFound(
                "没有这个办理操作（accept、supervise、report、reply、close）", code="complaints.bad_command"
            )
        data = body.validated()
        selectors.for_staff(request.user, number, purpose="办理投诉举报")
        user = request.user
        if command == "accept":
            services.accept(user, number)
        elif command == "supervise":
            services.supervise(
                user,
                number,
                instruction=data.get("instruction", ""),
                deadline=data.get("deadline") or "",
                requires_report=data.get("requires_report", True),
            )
        elif command == "report":
            services.report(user, number, text=data.get("text", ""))
        elif command == "reply":
            services.reply(user, number, text=data.get("text", ""))
        else:
            services.close(user, number)
        complaint = selectors.for_staff(user, number, purpose="办理投诉举报")
        return Response(selectors.view(complaint, viewer=user, staff=True))


urlpatterns = [
    path("complaints/", ComplaintList.as_view(), name="api-complaints"),
    path("complaints/track/<str:number>/", ComplaintTrack.as_view(), name="api-complaint-track"),
    path("complaints/<str:number>/", ComplaintDetail.as_view(), name="api-complaint"),
    path(
        "complaints/<str:number>/commands/<str:command>/",
        ComplaintCommand.as_view(),
        name="api-complaint-command",
    ),
]
