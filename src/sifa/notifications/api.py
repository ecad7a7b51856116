"""API of the notifications app. Paths, relative to ``/api/v1/``:

* ``me/messages/`` — my in-app messages, unread first then newest (``?unread=1`` for unread only);
* ``me/messages/{id}/read/`` — mark one read;
* ``notifications/failed/`` — failed and dead deliveries in my jurisdiction (supervisors and
  system administrators; ``?status=failed|dead``, ``?channel=in_app|email|sms``);
* ``notifications/deliveries/{id}/resend/`` — queue a failed delivery again (audited).

Ids are the rows' public UUIDs; an id outside the caller's reach answers 404.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.core.api.bodies import accepts
from sifa.core.api.schema import LOGIN_ERRORS, error_responses, path_parameter
from sifa.core.errors import ServiceError
from sifa.core.masking import mask_name
from sifa.notifications import selectors, services
from sifa.notifications.models import TROUBLE_STATUSES, Channel, Delivery, Notification
from sifa.notifications.redaction import mask_email
from sifa.organisations.scope import actor_for


class MessageSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    unread = serializers.SerializerMethodField()
    related = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "event", "title", "body", "link", "related", "created_at", "read_at", "unread"]

    def get_unread(self, obj: Notification) -> bool:
        return obj.read_at is None

    def get_related(self, obj: Notification) -> dict[str, str] | None:
        return {"type": obj.related_type, "id": obj.related_id} if obj.related_type else None


class DeliverySerializer(serializers.ModelSerializer):
    """A delivery as the failed view lists it: the recipient only in masked form."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    notification = serializers.SerializerMethodField()
    recipient = serializers.SerializerMethodField(help_text="接收人（脱敏）")

    class Meta:
        model = Delivery
        fields = [
            "id",
            "channel",
            "channel_label",
            "status",
            "status_label",
            "attempts",
            "next_attempt_at",
            "last_error",
            "provider_message_id",
            "sent_at",
            "created_at",
            "notification",
            "recipient",
        ]

    def get_notification(self, obj: Delivery) -> dict[str, str]:
        notification = obj.notification
        return {
            "id": str(notification.public_id),
            "event": notification.event,
            "title": notification.title,
            "scope_path": notification.scope_path,
        }

    def get_recipient(self, obj: Delivery) -> dict[str, str]:
        user = obj.notification.recipient
        if user is None:  # a message to a number without an account (a 12348 caller)
            return {"name": "", "phone": obj.notification.phone_masked, "email": ""}
        return {
            "name": mask_name(user.display_name),
            "phone": user.phone_masked,
            "email": mask_email(user.email) if user.email else "",
        }


class MyMessagesView(generics.ListAPIView):
    """我的消息：未读在前，最新在前。"""

    serializer_class = MessageSerializer

    @extend_schema(
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="只看未读")],
        responses={200: MessageSerializer(many=True), **error_responses(*LOGIN_ERRORS)},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        unread_only = self.request.query_params.get("unread", "") in ("1", "true")
        return selectors.my_messages(self.request.user, unread_only=unread_only)


class MarkReadView(APIView):
    """把一条消息标记为已读。"""

    @extend_schema(
        parameters=[path_parameter("public_id", "消息 id（UUID）")],
        responses={
            200: MessageSerializer,
            **error_responses(*LOGIN_ERRORS, 404, notes={404: "notifications.message_not_found"}),
        },
    )
    @accepts(None)
    def post(self, request: Request, public_id: str) -> Response:
        return Response(MessageSerializer(services.mark_read(request.user, public_id)).data)


def _choice(request: Request, name: str, allowed: list[str]) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and value not in allowed:
        raise ServiceError(
            f"notifications.invalid_{name}", f"参数 {name} 的取值无效，可选：{'、'.join(allowed)}"
        )
    return value


class FailedDeliveriesView(generics.ListAPIView):
    """发送失败的消息（辖区内），供监督人员和系统管理员查看并重新发送。"""

    serializer_class = DeliverySerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=[str(s) for s in TROUBLE_STATUSES]),
            OpenApiParameter("channel", OpenApiTypes.STR, enum=Channel.values),
        ],
        responses={
            200: DeliverySerializer(many=True),
            **error_responses(400, *LOGIN_ERRORS, notes={400: "notifications.invalid_status 等"}),
        },
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation runs without a caller
            return Delivery.objects.none()
        return selectors.failed_deliveries(
            actor_for(self.request.user),
            status=_choice(self.request, "status", [str(s) for s in TROUBLE_STATUSES]),
            channel=_choice(self.request, "channel", list(Channel.values)),
        )


class ResendView(APIView):
    """重新发送一条失败的投递（重置为待发送，重新计算尝试次数；记入审计日志）。"""

    @extend_schema(
        parameters=[path_parameter("public_id", "投递 id（UUID）")],
        responses={
            200: DeliverySerializer,
            **error_responses(*LOGIN_ERRORS, 404, 409, notes={403: "notifications.resend_forbidden"}),
        },
    )
    @accepts(None)
    def post(self, request: Request, public_id: str) -> Response:
        return Response(DeliverySerializer(services.resend(public_id, request.user)).data)


urlpatterns = [
    path("me/messages/", MyMessagesView.as_view(), name="my-messages"),
    path("me/messages/<str:public_id>/read/", MarkReadView.as_view(), name="my-message-read"),
    path("notifications/failed/", FailedDeliveriesView.as_view(), name="failed-deliveries"),
    path("notifications/deliveries/<str:public_id>/resend/", ResendView.as_view(), name="delivery-resend"),
]
