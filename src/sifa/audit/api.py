"""API for the access log (citizens) and the audit trail (audit administrators).

Paths, relative to ``/api/v1/``:

* ``me/access-log/`` — who read my personal data (reader's name masked);
* ``audit/events/`` — the trail, filtered, newest first (audit administrators only);
* ``audit/verify/`` — run :func:`sifa.audit.chain.verify_chain` (audit administrators only).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.audit import services
from sifa.audit.chain import AnchorFileError, verify_chain
from sifa.audit.labels import action_label, data_type_label, role_label
from sifa.audit.models import AuditEvent, PersonalDataAccess
from sifa.audit.selectors import audit_events, is_audit_admin, my_access_log, reader_name
from sifa.core.api.schema import LOGIN_ERRORS, error_responses
from sifa.core.errors import Forbidden, ServiceError
from sifa.organisations.scope import Actor, Role, actor_for


class AccessLogEntrySerializer(serializers.ModelSerializer):
    """One use of the caller's data: a staff read, a disclosure to a partner organ or a partner's
    query. The reader is named only by a masked name (PIPL §51)."""

    time = serializers.DateTimeField(source="accessed_at")
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    visibility_label = serializers.CharField(source="get_visibility_display", read_only=True)
    reader_name = serializers.SerializerMethodField(help_text="查看人姓名（脱敏，如 王*）")
    reader_organisation = serializers.CharField(source="reader_organisation.name", default="", read_only=True)
    reader_role = serializers.SerializerMethodField(help_text="查看人岗位（中文）")
    data_type = serializers.CharField(source="object_type")
    data_type_label = serializers.SerializerMethodField()

    class Meta:
        model = PersonalDataAccess
        fields = [
            "time",
            "reader_name",
            "reader_organisation",
            "reader_role",
            "purpose",
            "data_type",
            "data_type_label",
            "kind",
            "kind_label",
            "receiver",
            "legal_basis",
            "case_number",
            "message_id",
            "visibility",
            "visibility_label",
        ]

    def get_reader_name(self, obj: PersonalDataAccess) -> str:
        return reader_name(obj)

    def get_reader_role(self, obj: PersonalDataAccess) -> str:
        return role_label(obj.reader_role)

    def get_data_type_label(self, obj: PersonalDataAccess) -> str:
        return data_type_label(obj.object_type)


@extend_schema(responses={200: AccessLogEntrySerializer(many=True), **error_responses(*LOGIN_ERRORS)})
class MyAccessLogView(generics.ListAPIView):
    """我的数据使用记录：who read, received or asked about my data; newest first, paginated."""

    serializer_class = AccessLogEntrySerializer

    def get_queryset(self):
        return my_access_log(self.request.user)


class AuditEventSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name", default=None, read_only=True)
    role_label = serializers.SerializerMethodField()
    action_label = serializers.SerializerMethodField()
    object_type_label = serializers.SerializerMethodField(
        help_text="对象类型的中文名称（如 办件、电子印章证书）"
    )
    result_label = serializers.CharField(source="get_result_display", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "occurred_at",
            "actor_username",
            "organisation",
            "role",
            "role_label",
            "action",
            "action_label",
            "object_type",
            "object_type_label",
            "object_id",
            "result",
            "result_label",
            "ip_address",
            "scope_path",
            "detail",
            "prev_hash",
            "hash",
        ]

    def get_role_label(self, obj: AuditEvent) -> str:
        return role_label(obj.role)

    def get_action_label(self, obj: AuditEvent) -> str:
        return action_label(obj.action)

    def get_object_type_label(self, obj: AuditEvent) -> str:
        return data_type_label(obj.object_type) if obj.object_type else ""


class NewestFirst(CursorPagination):
    """Cursor pages over ``seq``: no COUNT(*) and no OFFSET over a trail of millions of rows."""

    ordering = "-seq"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = "分页游标无效"


def _require_audit_admin(request: Request) -> Actor:
    actor = actor_for(request.user)
    if not is_audit_admin(actor):
        raise Forbidden("只有审计管理员可以查阅审计记录")
    return actor


def _audit_own_read(request: Request, actor: Actor, action: str, detail: dict[str, Any]) -> None:
    """等保 2.0: the audit administrator's own operations are audited as well."""
    org_id, path_, _role = next(m for m in actor.memberships if m[2] == Role.AUDIT_ADMIN)
    services.record(
        action,
        actor=request.user,
        organisation=org_id,
        role=Role.AUDIT_ADMIN,
        scope_path=path_,
        detail=detail,
    )


def _parse_time(name: str, raw: str, *, end_of_day: bool) -> dt.datetime | None:
    """A date (local midnight; ``until`` includes the whole day) or an ISO 8601 time."""
    if not raw:
        return None
    value = None
    try:
        if "T" in raw:
            # An unescaped "+08:00" in a query string arrives as " 08:00".
            value = parse_datetime(raw.replace(" ", "+"))
        elif (day := parse_date(raw)) is not None:
            value = dt.datetime.combine(day + dt.timedelta(days=1 if end_of_day else 0), dt.time.min)
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        value = None
    if value is None:
        message = "时间格式不正确，请使用 2026-01-31 或 2026-01-31T08:00:00+08:00"
        raise ServiceError(
            "audit.filter.invalid_time",
            message,
            errors=[{"field": name, "code": "audit.filter.invalid_time", "message": message}],
        )
    return timezone.make_aware(value) if timezone.is_naive(value) else value


TIME_HELP = "ISO 8601 日期或时间；until 为日期时包含当天"


@extend_schema(
    parameters=[
        OpenApiParameter("action", OpenApiTypes.STR, description="操作代码，如 auth.login"),
        OpenApiParameter("actor", OpenApiTypes.STR, description="操作人用户名"),
        OpenApiParameter("object_id", OpenApiTypes.STR, description="对象标识"),
        OpenApiParameter("since", OpenApiTypes.STR, description=TIME_HELP),
        OpenApiParameter("until", OpenApiTypes.STR, description=TIME_HELP),
    ],
    responses={
        200: AuditEventSerializer(many=True),
        **error_responses(400, *LOGIN_ERRORS, notes={400: "audit.filter.invalid_time", 403: "仅审计管理员"}),
    },
)
class AuditEventListView(generics.ListAPIView):
    """The audit trail in the caller's audit-admin subtrees; 403 for everyone else."""

    serializer_class = AuditEventSerializer
    pagination_class = NewestFirst
    filter_backends: list[Any] = []

    def get_queryset(self):
        params = self.request.query_params
        since = _parse_time("since", params.get("since", "").strip(), end_of_day=False)
        until = _parse_time("until", params.get("until", "").strip(), end_of_day=True)
        return audit_events(
            self.actor,
            action=params.get("action", "").strip(),
            actor_username=params.get("actor", "").strip(),
            object_id=params.get("object_id", "").strip(),
            since=since,
            until=until,
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.actor = _require_audit_admin(request)
        response = super().list(request, *args, **kwargs)
        names = ("action", "actor", "object_id", "since", "until")
        filters = {name: request.query_params[name] for name in names if request.query_params.get(name)}
        _audit_own_read(request, self.actor, "audit.events_read", filters)
        return response


class ChainVerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    code = serializers.CharField()
    message = serializers.CharField()
    count = serializers.IntegerField()
    head_seq = serializers.IntegerField()
    head_hash = serializers.CharField()
    broken_seq = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    anchors_checked = serializers.IntegerField()
    anchors_rewritten = serializers.IntegerField(
        help_text="其中所指记录已被有记载的审计链重写（对象命名迁移）改写、按重写事件记载的新旧哈希核对的锚点数"
    )


class AuditVerifyView(APIView):
    """Run the chain check now (the whole chain; for very long chains prefer ``sifa audit verify``)."""

    @extend_schema(
        responses={
            200: ChainVerificationSerializer,
            **error_responses(
                *LOGIN_ERRORS, 503, notes={403: "仅审计管理员", 503: "audit.anchors_unreadable"}
            ),
        }
    )
    def get(self, request: Request) -> Response:
        actor = _require_audit_admin(request)
        try:
            result = verify_chain()
        except AnchorFileError as exc:
            raise ServiceError("audit.anchors_unreadable", str(exc), status=503) from exc
        _audit_own_read(request, actor, "audit.verified", {"ok": result.ok, "code": result.code})
        return Response(ChainVerificationSerializer(result.as_dict()).data)


urlpatterns = [
    path("me/access-log/", MyAccessLogView.as_view(), name="me-access-log"),
    path("audit/events/", AuditEventListView.as_view(), name="audit-events"),
    path("audit/verify/", AuditVerifyView.as_view(), name="audit-verify"),
]
