"""Staff API of the licence register, included under ``/api/v1/`` (``urlpatterns`` at the end).

* ``GET  staff/licences/`` — licences issued in my jurisdiction; filters ``status`` (with the
  computed ``expired``), ``type`` (key or code), ``holder_code`` (公民身份号码 or USCC, matched
  exactly through the blind index, never in clear), ``number`` (证照编号).
* ``GET  staff/licences/{identifier}/`` — one licence with its versions and the actions I may take.
* ``POST staff/licences/{identifier}/{action}/`` — ``revoke`` 吊销, ``cancel`` 注销, ``suspend`` 停止执业,
  ``reinstate`` 恢复执业, ``reissue`` 换发, ``replace`` 补办, ``change`` 变更.

Out of my jurisdiction: 404 (existence is not revealed). In it without a deciding role over the
issuer: 403 ``licence.role_required``. Not possible in the licence's status: 409. The selectors
here are also what the workbench's licence pages read through.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.accounts.models import ID_NUMBER_INDEX
from sifa.audit.services import record_access
from sifa.core.api.bodies import RequestBody, StrictSerializer, accepts
from sifa.core.api.schema import error_responses, path_parameter
from sifa.core.crypto import field_cipher
from sifa.core.errors import Forbidden, NotFound, ServiceError
from sifa.core.identifiers import IdentifierError, parse_id_number, validate_uscc
from sifa.core.masking import mask_name
from sifa.licences import services
from sifa.licences.models import EXPIRED, EXPIRED_LABEL, Licence, LicenceStatus, LicenceType
from sifa.licences.selectors import canonical_identifier
from sifa.organisations.scope import Actor, actor_for, scoped, subtree_q

STATUS_FILTERS = {**dict(LicenceStatus.choices), EXPIRED: EXPIRED_LABEL}


# --- reads (data-scoped) -----------------------------------------------------------------------


def staff_licences(actor: Actor) -> QuerySet[Licence]:
    """Every licence issued in the actor's jurisdiction (the issuer's subtree), newest first."""
    if not (actor.is_superuser or actor.is_staff_actor):
        raise Forbidden("证照库仅供工作人员在管辖范围内查询", "licence.staff_only")
    rows = scoped(Licence.objects.all(), actor)
    if not actor.is_superuser:
        # scoped() also shows holders their own licences; the register is by jurisdiction only.
        rows = rows.filter(subtree_q("scope_path", actor.paths_for()))
    return rows.select_related("licence_type", "issuer").order_by("-issue_date", "-created_at", "identifier")


def licence_for_staff(actor: Actor, identifier: str) -> Licence:
    """One licence in the actor's jurisdiction; 400 for a malformed identifier, 404 otherwise."""
    identifier = canonical_identifier(identifier)
    licence = staff_licences(actor).select_related("previous").filter(identifier=identifier).first()
    if licence is None:
        raise NotFound("未找到该电子证照，或不在您的管辖范围内", "licence.not_found")
    return licence


def _holder_index(code: str) -> str:
    code = (code or "").strip().upper()
    cipher = field_cipher()
    try:
        return cipher.blind_index(parse_id_number(code).value, ID_NUMBER_INDEX)
    except IdentifierError:
        pass
    try:
        return cipher.blind_index(validate_uscc(code), services.USCC_INDEX)
    except IdentifierError:
        raise ServiceError(
            "validation_error",
            "查询条件有误",
            errors=[
                {
                    "field": "holder_code",
                    "code": "licence.bad_holder_code",
                    "message": "持证主体代码应为有效的18位公民身份号码或统一社会信用代码",
                }
            ],
        ) from None


def filter_licences(rows: QuerySet[Licence], params: Any) -> QuerySet[Licence]:
    """Apply ``status``, ``type``, ``holder_code`` and ``number``; every bad one listed at once (400)."""
    problems: list[dict[str, str]] = []
    wanted = (params.get("status") or "").strip()
    kind = (params.get("type") or "").strip()
    holder = (params.get("holder_code") or "").strip()
    number = (params.get("number") or "").strip()
    today = timezone.localdate()
    if wanted == EXPIRED:
        rows = rows.filter(status=LicenceStatus.VALID, valid_until__lt=today)
    elif wanted == LicenceStatus.VALID:
        rows = rows.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today), status=wanted)
    elif wanted in STATUS_FILTERS:
        rows = rows.filter(status=wanted)
    elif wanted:
        problems.append({"field": "status", "code": "field.invalid_choice", "message": "不是有效的证照状态"})
    if kind:
        licence_type = LicenceType.objects.filter(Q(key=kind) | Q(code=kind)).first()
        if licence_type is None:
            problems.append(
                {"field": "type", "code": "licence.unknown_type", "message": "不是有效的证照类型"}
            )
        else:
            rows = rows.filter(licence_type=licence_type)
    if holder:
        try:
            rows = rows.filter(holder_code_index=_holder_index(holder))
        except ServiceError as bad:
            problems += bad.errors
    if number:
        if len(number) > 64:
            problems.append(
                {"field": "number", "code": "field.too_long", "message": "证照编号不超过64个字符"}
            )
        else:
            rows = rows.filter(number=number)
    if problems:
        raise ServiceError("validation_error", "查询条件有误", errors=problems)
    return rows


def log_read(user: Any, actor: Actor, licence: Licence) -> None:
    """Opening a licence shows its holder: the holder can see who looked (个人信息保护法 §6)."""
    record_access(
        reader=user,
        actor=actor,
        subject=licence.holder,
        subject_ref=licence.number,
        object_type="licences.Licence",
        purpose=f"电子证照管理：查阅{licence.name}",
        scope_path=licence.scope_path,
    )


def versions_of(licence: Licence) -> QuerySet[Licence]:
    """Every version of the same licence (type, issuer, serial), oldest first."""
    return Licence.objects.filter(
        licence_type_id=licence.licence_type_id, issuer_uscc=licence.issuer_uscc, serial=licence.serial
    ).order_by("version")


# --- serializers -------------------------------------------------------------------------------


class LicenceIssuerSerializer(serializers.Serializer):
    name = serializers.CharField(source="issuer_name", help_text="颁发机构")
    uscc = serializers.CharField(source="issuer_uscc", help_text="颁发机构统一社会信用代码")


class StaffLicenceSerializer(serializers.Serializer):
    identifier = serializers.CharField(help_text="电子证照标识（GB/T 36904）")
    name = serializers.CharField(help_text="证照名称")
    type = serializers.CharField(source="licence_type.key", help_text="证照类型键，如 lawyer_licence")
    type_code = serializers.CharField(source="licence_type.code", help_text="证照类型代码")
    number = serializers.CharField(help_text="证照编号")
    version = serializers.IntegerField(help_text="版本号")
    issue_kind = serializers.CharField(help_text="issue / reissue / replacement / change / import")
    status = serializers.SerializerMethodField(
        help_text="有效、停止执业、已吊销、已注销、已换发，或计算得出的 expired"
    )
    status_label = serializers.SerializerMethodField()
    holder = serializers.SerializerMethodField(help_text="持证主体（列表中自然人姓名脱敏）")
    holder_code = serializers.CharField(
        source="holder_code_masked", help_text="持证主体代码（公民身份号码脱敏）"
    )
    holder_code_type = serializers.CharField(help_text="111 公民身份号码 / 001 统一社会信用代码")
    issuer = LicenceIssuerSerializer(source="*")
    issue_date = serializers.DateField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True, help_text="空：长期有效")

    def get_status(self, licence: Licence) -> str:
        return licence.effective_status()

    def get_status_label(self, licence: Licence) -> str:
        return licence.effective_status_label()

    def get_holder(self, licence: Licence) -> str:
        return mask_name(licence.holder_name) if licence.holder_code_type == "111" else licence.holder_name


class LicenceVersionSerializer(serializers.Serializer):
    identifier = serializers.CharField()
    version = serializers.IntegerField()
    issue_kind = serializers.CharField()
    issue_date = serializers.DateField()
    status = serializers.CharField()


class StaffLicenceDetailSerializer(StaffLicenceSerializer):
    status_reason = serializers.CharField(help_text="状态变更原因")
    status_date = serializers.DateField(allow_null=True, help_text="状态变更（生效）日期")
    suspended_until = serializers.DateField(allow_null=True, help_text="停止执业至")
    particulars = serializers.DictField(child=serializers.CharField(), help_text="证照记载事项")
    previous = serializers.CharField(source="previous.identifier", default=None, help_text="上一版本的标识")
    versions = serializers.SerializerMethodField(help_text="该证照的全部版本")
    actions = serializers.SerializerMethodField(help_text="您现在可以办理的操作")
    has_pdf = serializers.SerializerMethodField()

    def get_holder(self, licence: Licence) -> str:
        return licence.holder_name

    @extend_schema_field(LicenceVersionSerializer(many=True))
    def get_versions(self, licence: Licence) -> list[dict[str, Any]]:
        return LicenceVersionSerializer(versions_of(licence), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(services.STAFF_ACTIONS)))
    def get_actions(self, licence: Licence) -> list[str]:
        return services.actions_for(self.context.get("user"), licence)

    def get_has_pdf(self, licence: Licence) -> bool:
        return bool(licence.pdf_storage_key)


ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "revoke": ("reason", "effective_date"),
    "cancel": ("reason", "effective_date"),
    "suspend": ("reason", "effective_date", "until"),
    "reinstate": ("reason", "effective_date"),
    "reissue": ("reason", "valid_until", "particulars"),
    "replace": ("reason",),
    "change": ("reason", "holder_name", "particulars", "valid_until"),
}
"""The body each action reads; anything else is refused rather than silently dropped."""


class LicenceActionSerializer(StrictSerializer):
    """Body of ``POST staff/licences/{identifier}/{action}/``; each action takes only its fields."""

    reason = serializers.CharField(
        max_length=services.MAX_REASON, help_text="原因（必填，≤500字），告知持证人"
    )
    effective_date = serializers.DateField(
        required=False, help_text="revoke/cancel/suspend/reinstate：生效日期，默认今天，不得晚于今天"
    )
    until = serializers.DateField(required=False, help_text="suspend：停止执业至（可空：至恢复执业时）")
    valid_until = serializers.DateField(required=False, help_text="reissue/change：新版本的有效期截止日期")
    holder_name = serializers.CharField(
        required=False, max_length=200, help_text="change：变更后的持证主体名称"
    )
    particulars = serializers.DictField(
        child=serializers.CharField(max_length=200),
        required=False,
        help_text='reissue/change：变更的记载事项，如 {"practice_organisation": "某某律师事务所"}',
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        action = self.context["view"].kwargs["action"]
        allowed = ACTION_FIELDS[action]
        extra = sorted(set(data) - set(allowed))
        if extra:
            label = services.ACTION_LABELS[action]
            raise serializers.ValidationError(
                {
                    name: serializers.ErrorDetail(f"{label}不使用此项", code="licence.field_not_applicable")
                    for name in extra
                }
            )
        return data


# --- views -------------------------------------------------------------------------------------

IDENTIFIER = path_parameter("identifier", "电子证照标识（GB/T 36904，含校验位）")
LIST_FILTERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=list(STATUS_FILTERS), description="证照状态"),
    OpenApiParameter("type", OpenApiTypes.STR, description="证照类型键（如 lawyer_licence）或21位类型代码"),
    OpenApiParameter(
        "holder_code", OpenApiTypes.STR, description="持证主体的公民身份号码或统一社会信用代码（精确匹配）"
    ),
    OpenApiParameter("number", OpenApiTypes.STR, description="证照编号（精确匹配）"),
]


class StaffLicenceList(generics.ListAPIView):
    """Licences issued in my jurisdiction (by the issuing organisation's place in the tree)."""

    permission_classes = [IsAuthenticated]
    serializer_class = StaffLicenceSerializer

    @extend_schema(
        parameters=LIST_FILTERS,
        responses={
            200: StaffLicenceSerializer(many=True),
            **error_responses(400, 401, 403, notes={403: "licence.staff_only：非工作人员账户"}),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Licence]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller to scope by
            return Licence.objects.none()
        return filter_licences(staff_licences(actor_for(self.request.user)), self.request.query_params)


class StaffLicenceDetail(APIView):
    """One licence (the holder's name in full; the access is logged for the holder)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[IDENTIFIER],
        responses={
            200: StaffLicenceDetailSerializer,
            **error_responses(400, 401, 403, 404, notes={404: "licence.not_found"}),
        },
    )
    def get(self, request: Request, identifier: str) -> Response:
        actor = actor_for(request.user)
        licence = licence_for_staff(actor, identifier)
        log_read(request.user, actor, licence)
        return Response(StaffLicenceDetailSerializer(licence, context={"user": request.user}).data)


class StaffLicenceAction(APIView):
    """吊销 / 注销 / 停止执业 / 恢复执业 (200, the licence) or 换发 / 补办 / 变更 (201, the new version)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            IDENTIFIER,
            OpenApiParameter(
                "action", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(services.STAFF_ACTIONS)
            ),
        ],
        responses={
            200: StaffLicenceDetailSerializer,
            201: StaffLicenceDetailSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                409,
                notes={
                    400: "licence.reason_required、licence.effective_date_future、licence.nothing_changed、"
                    "licence.field_not_applicable 等",
                    403: "licence.role_required：需颁发机构或其上级机关的审批决定人员",
                    404: "licence.not_found / licence.unknown_action",
                    409: "licence.bad_transition / licence.not_current：当前状态不能办理该操作",
                },
            ),
        },
    )
    @accepts(LicenceActionSerializer)
    def post(self, request: Request, identifier: str, action: str, *, body: RequestBody) -> Response:
        if action not in services.STAFF_ACTIONS:
            raise NotFound("不支持该证照操作", "licence.unknown_action")
        licence = licence_for_staff(actor_for(request.user), identifier)
        services.require_decider(request.user, licence, action)
        data = dict(body.validated())
        if action in services.STATUS_ACTIONS:
            result = services.change_status(licence, action, actor=request.user, **data)
            code = status.HTTP_200_OK
        else:
            result = services.new_version(licence, action, actor=request.user, **data)
            code = status.HTTP_201_CREATED
        result = Licence.objects.select_related("licence_type", "previous").get(pk=result.pk)
        return Response(
            StaffLicenceDetailSerializer(result, context={"user": request.user}).data, status=code
        )


urlpatterns = [
    path("staff/licences/", StaffLicenceList.as_view(), name="staff-licences"),
    path("staff/licences/<str:identifier>/", StaffLicenceDetail.as_view(), name="staff-licence"),
    path(
        "staff/licences/<str:identifier>/<str:action>/",
        StaffLicenceAction.as_view(),
        name="staff-licence-action",
    ),
]
