"""``POST /api/v1/window/data-use/`` — 数据使用记录查阅 for a window system: the same copy as the
workbench page ``/workbench/window/data-use/`` (``workflow.data_use``), for a person's or an
organisation's data-use record at their request (个人信息保护法第四十五条 查阅、复制).

A POST although it changes nothing but the access log: the body carries 姓名 + 公民身份号码 (or
单位名称 + 统一社会信用代码) and 申请事由, and an identifier never goes into an address, so never
into a server's or a proxy's log. Who may ask, what is found and what is logged are the page's:

* window clerks and supervisors (``data_use.ROLES``); any other account — a citizen's token, a
  reviewer — is refused 403 ``data_use.role_required`` before the body is read;
* the rows are those in the caller's jurisdiction, scoped in SQL (``audit.selectors.subject_data_use``:
  the subtrees of their window and supervisor memberships, and for a window the organisations
  directly above it);
* a malformed identifier is 400 with its own code (``id_number.check_digit``, ``uscc.check_char``…);
  a name that does not match, nobody on record and nobody with a row in the jurisdiction are one
  answer, 404 ``data_use.not_found`` (nothing logged);
* each copy is logged for the party (``record_access``), so it shows in their own record.

Mounted through ``sifa.workflow.api``'s ``urlpatterns``.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.audit.api import AccessLogEntrySerializer
from sifa.core.api.bodies import RequestBody, StrictSerializer, accepts
from sifa.core.api.schema import LOGIN_ERRORS, error_responses
from sifa.core.errors import Forbidden
from sifa.organisations.scope import actor_for
from sifa.workflow import data_use

IDENTIFIER_FIELDS = {data_use.PERSON: "id_number", data_use.COMPANY: "uscc"}
MISSING = {"id_number": "请填写公民身份号码", "uscc": "请填写统一社会信用代码"}


class DataUseLookupSerializer(StrictSerializer):
    """数据使用记录查阅的请求：当事人（按其出示的证件）和申请事由。证件号码只在请求体中传送。"""

    kind = serializers.ChoiceField(
        choices=data_use.KINDS, help_text="当事人类型：person 自然人，company 法人或其他组织"
    )
    name = serializers.CharField(
        max_length=200, help_text="姓名或单位名称，与身份证件或营业执照（登记证书）上的一致"
    )
    id_number = serializers.CharField(
        required=False, allow_blank=True, max_length=30, help_text="公民身份号码（自然人必填，18位）"
    )
    uscc = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=30,
        help_text="统一社会信用代码（法人或其他组织必填，18位）",
    )
    reason = serializers.CharField(
        max_length=150,
        help_text="申请事由，记入当事人的数据使用记录，如：本人到窗口申请查阅、复制；受委托代为申请的，写明委托人",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        field = IDENTIFIER_FIELDS[attrs["kind"]]
        if not str(attrs.get(field) or "").strip():
            raise ValidationError({field: [ErrorDetail(MISSING[field], code="data_use.identifier_required")]})
        return attrs


class DataUsePartySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=data_use.KINDS, help_text="当事人类型")
    name = serializers.CharField(help_text="姓名或单位名称（登记的）")
    identifier_masked = serializers.CharField(help_text="公民身份号码（脱敏）或统一社会信用代码")


class DataUseCopySerializer(serializers.Serializer):
    """当事人在本人管辖范围内的数据使用记录副本（最新的在前）。"""

    party = DataUsePartySerializer()
    reason = serializers.CharField(help_text="申请事由（已记入当事人的数据使用记录）")
    rows = AccessLogEntrySerializer(many=True, help_text="数据使用记录，最新的在前")
    more = serializers.BooleanField(help_text="记录多于 max_rows 条时为 true（只列出最新的 max_rows 条）")
    max_rows = serializers.IntegerField(help_text="一份副本最多列出的条数")


class DataUseLookup(APIView):
    """数据使用记录查阅（个人信息保护法第四十五条）：窗口工作人员或监督人员核对当事人出示的证件后，
    查询其在本人管辖范围内的数据使用记录；每次查询都记入当事人的数据使用记录。"""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="window_data_use",
        summary="数据使用记录查阅（窗口）",
        responses={
            200: DataUseCopySerializer,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                404,
                notes={
                    400: "validation_error（data_use.identifier_required 等逐项列出）；证件号码有误时为其代码，"
                    "如 id_number.check_digit、id_number.birth_date、uscc.check_char；data_use.reason",
                    403: "data_use.role_required：仅受理窗口工作人员和监督人员",
                    404: "data_use.not_found：姓名（名称）与证件号码不符、无此人，或管辖范围内没有其记录（同一答复）",
                },
            ),
        },
    )
    @accepts(DataUseLookupSerializer)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        actor = actor_for(request.user)
        if not data_use.may_look_up(actor):
            raise Forbidden("数据使用记录查阅仅限受理窗口工作人员和监督人员办理", "data_use.role_required")
        data = body.validated()
        party, copy = data_use.look_up(
            actor,
            request.user,
            kind=data["kind"],
            name=data["name"],
            identifier=str(data.get(IDENTIFIER_FIELDS[data["kind"]]) or "").strip().upper(),
            reason=data["reason"],
        )
        answer = {
            "party": {"kind": party.kind, "name": party.name, "identifier_masked": party.identifier_masked},
            "reason": " ".join(data["reason"].split()),
            "rows": copy["rows"],
            "more": copy["more"],
            "max_rows": data_use.MAX_ROWS,
        }
        response = Response(DataUseCopySerializer(answer).data)
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [path("window/data-use/", DataUseLookup.as_view(), name="window-data-use")]
