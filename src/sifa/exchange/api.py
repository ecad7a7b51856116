"""Exchange gateway API, included under ``/api/v1/``.

* ``POST exchange/inbox/`` — a partner's signed envelope (no login: the envelope's SM2 signature
  is the authentication). The answer is Sifa's signed envelope; the same message again gets the
  same answer. A refusal is a 4xx with the reason code (``exchange.*``), logged. An address with
  too many refusals (``SIFA_EXCHANGE_INBOX_REFUSED_RATE``) or too many messages
  (``SIFA_EXCHANGE_INBOX_RATE``) is answered 429 before any check.
* ``GET exchange/partners/`` — the registry (partners, keys, services): 数据交换管理员, system and
  security administrators.
* ``GET exchange/messages/?case=&status=`` — staff: the message log of their jurisdiction.
* ``POST exchange/messages/{id}/resend/`` — a 数据交换管理员 puts a dead letter (失败需人工处理) of
  their jurisdiction back in the outbox under the same message id (audited).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.core.api import throttles
from sifa.core.api.bodies import RequestBody, StrictSerializer, accepts
from sifa.core.api.pagination import Pagination
from sifa.core.api.schema import LOGIN_ERRORS, error_responses, path_parameter
from sifa.core.errors import ServiceError
from sifa.exchange import selectors
from sifa.exchange.models import MessageStatus
from sifa.exchange.services import inbox, outbox
from sifa.organisations.scope import actor_for


class EnvelopeInput(StrictSerializer):
    invalid_code = "exchange.malformed"
    invalid_message = "信封应为 {header, body, signature}"

    header = serializers.DictField(help_text="签名的消息头（字段见 docs/exchange.md）")
    body = serializers.DictField(help_text="正文；其 SM3 摘要在消息头 body_digest 中")
    signature = serializers.CharField(
        max_length=400, help_text="对规范化消息头的 SM2 签名（DER，Base64），密钥标识在消息头 key_id 中"
    )


class EnvelopeOut(serializers.Serializer):
    header = serializers.DictField()
    body = serializers.DictField()
    signature = serializers.CharField()


class InboxThrottle(throttles.PerClientThrottle):
    """Every inbox POST per client address: a generous ceiling (``SIFA_EXCHANGE_INBOX_RATE``)."""

    scope = "exchange_inbox"
    code = "exchange.rate_limited"

    def get_rate(self) -> str:
        return settings.EXCHANGE_INBOX_RATE


class InboxRefusalThrottle(throttles.RefusalThrottle):
    """Refused envelopes per client address (``SIFA_EXCHANGE_INBOX_REFUSED_RATE``)."""

    scope = "exchange_inbox_refused"
    code = "exchange.too_many_refused"

    def get_rate(self) -> str:
        return settings.EXCHANGE_INBOX_REFUSED_RATE


class InboxView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    # The refusal count first: an address over it is stopped before the envelope is even parsed.
    throttle_classes = [InboxRefusalThrottle, InboxThrottle]

    def check_throttles(self, request: Request) -> None:
        for throttle in self.get_throttles():
            if not throttle.allow_request(request, self):
                raise inbox.rate_limited(
                    throttle.code,
                    throttle.get_ident(request),
                    retry_after=int(throttle.wait() or 1) + 1,
                    window_seconds=throttle.duration,
                )

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ServiceError | ValidationError) and 400 <= _status(exc) < 500:
            if not isinstance(exc, inbox.RateLimited):
                InboxRefusalThrottle().count_refusal(self.request, self)
        response = super().handle_exception(exc)
        if isinstance(exc, inbox.RateLimited):
            response["Retry-After"] = str(exc.retry_after)
            response.data["retry_after"] = exc.retry_after
        return response

    @extend_schema(
        operation_id="exchange_inbox",
        summary="交换伙伴发来的签名消息（以信封签名认证）",
        responses={
            200: EnvelopeOut,
            **error_responses(
                400,
                403,
                409,
                429,
                503,
                notes={
                    400: "exchange.malformed、exchange.digest_mismatch、exchange.stale、exchange.future、"
                    "exchange.wrong_receiver、exchange.unknown_service、exchange.schema",
                    403: "exchange.unknown_sender、exchange.unknown_key、exchange.bad_signature、"
                    "exchange.key_not_valid、exchange.caller_not_allowed",
                    409: "exchange.replay",
                    429: "exchange.too_many_refused（该地址被拒收过多，SIFA_EXCHANGE_INBOX_REFUSED_RATE）、"
                    "exchange.rate_limited（SIFA_EXCHANGE_INBOX_RATE）；retry_after 为建议等待秒数",
                    503: "exchange.signing_unavailable",
                },
            ),
        },
        auth=[],
    )
    @accepts(EnvelopeInput)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        remote_addr = InboxThrottle().get_ident(request)  # the peer, or as SIFA_TRUSTED_PROXIES says
        try:
            data = body.validated()
        except (ValidationError, ServiceError):
            inbox.refused_shape(remote_addr)  # a refusal of the envelope's shape is logged too
            raise
        answer = inbox.receive(dict(data), remote_addr=remote_addr)
        response = Response(answer.as_wire())
        response["Cache-Control"] = "no-store"
        return response


def _status(exc: Any) -> int:
    return 400 if isinstance(exc, ValidationError) else int(exc.status)


class PartnersView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="exchange_partners",
        summary="交换伙伴登记（伙伴、公钥、服务；数据交换管理员、系统管理员、安全管理员）",
        responses={
            200: OpenApiTypes.OBJECT,
            **error_responses(*LOGIN_ERRORS, notes={403: "exchange.staff_only、exchange.registry_forbidden"}),
        },
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.registry(actor_for(request.user)))


class MessagesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="exchange_messages",
        summary="交换消息日志（工作人员，管辖范围内）",
        parameters=[
            OpenApiParameter("case", OpenApiTypes.STR, description="案件或办件编号"),
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(MessageStatus.values)),
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, *LOGIN_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        rows = selectors.messages(
            actor_for(request.user),
            case=request.query_params.get("case", "").strip(),
            status=request.query_params.get("status", "").strip(),
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response([selectors.summary(row) for row in page])


class OutboxItemOut(serializers.Serializer):
    message_id = serializers.UUIDField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    service = serializers.CharField(source="service_code")
    partner = serializers.CharField(source="partner.name")
    case_number = serializers.CharField()
    attempts = serializers.IntegerField()
    queued_at = serializers.DateTimeField()
    next_attempt_at = serializers.DateTimeField()


class ResendView(APIView):
    """重新发送一条失败需人工处理的交换消息（同一消息标识，重新计 24 小时；记入审计日志）。"""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="exchange_message_resend",
        summary="重新发送失败需人工处理的交换消息（数据交换管理员，管辖范围内）",
        parameters=[path_parameter("message_id", "消息标识（UUID）")],
        responses={
            200: OutboxItemOut,
            **error_responses(
                *LOGIN_ERRORS,
                404,
                409,
                notes={403: "exchange.resend_forbidden、exchange.staff_only", 409: "exchange.not_dead"},
            ),
        },
    )
    @accepts(None)
    def post(self, request: Request, message_id: str) -> Response:
        return Response(OutboxItemOut(outbox.resend(request.user, message_id)).data)


urlpatterns = [
    path("exchange/inbox/", InboxView.as_view(), name="api-exchange-inbox"),
    path("exchange/partners/", PartnersView.as_view(), name="api-exchange-partners"),
    path("exchange/messages/", MessagesView.as_view(), name="api-exchange-messages"),
    path(
        "exchange/messages/<str:message_id>/resend/", ResendView.as_view(), name="api-exchange-message-resend"
    ),
]
