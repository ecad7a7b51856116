"""好差评 API, included under ``/api/v1/``.

* ``POST ratings/`` — the applicant of a delivered or refused application, or the asker of an
  answered consultation (signed in): ``subject`` (application | consultation | visit | call),
  ``number``, ``level`` (非常满意 … 非常不满意, or its key very_satisfied … very_dissatisfied),
  ``channel``, ``comment``. Once per subject and rater (409 ``evaluation.already_rated``); someone
  else's case is 404. Rate-limited per account. A window visit or a 12348 call is rated with its
  rating link's ``token`` (no account needed; ``services.rate_with_token``, the link page's
  checks, rating and audit), rate-limited per client address.
* ``POST ratings/links/`` — staff: a single-use rating link for a window visit (``subject`` visit,
  window clerks: ``channel`` window_tablet — the answer carries the URL to open on the counter's
  评价器 — or sms with ``phone``) or a 12348 call (``subject`` call, ``number`` of the hotline
  ticket, by SMS; consultants and supervisors in scope). Audited (``evaluation.link.issue``).
* ``POST ratings/cards/`` — window clerks: enter a paper 评价卡 or an offline 评价器 record as of
  its date (离线补录, ``services.enter_card``): ``collected_on``, ``source``, ``card_number``,
  ``level``, ``comment``, ``organisation``.
* ``GET ratings/?organisation=&period=YYYY-MM`` — staff: the ratings of their jurisdiction
  (the staff member named to supervisors only); a rater: their own.
* ``GET public/ratings/?organisation=&period=`` — anyone: counts per level, satisfaction rate,
  rectification rate; no personal data.
* ``GET rectifications/?status=&organisation=`` — staff in scope.
* ``POST rectifications/{id}/commands/{callback|report|close|appeal|set_aside}/`` — ``text`` (the
  callback note, the outcome, the appeal's evidence, the decision's reason) and, for
  ``set_aside``, ``decision`` (set_aside | dismiss).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.core.api import throttles
from sifa.core.api.bodies import RequestBody, StrictSerializer, accepts
from sifa.core.api.pagination import Pagination
from sifa.core.api.schema import LOGIN_ERRORS, error_responses, paginated
from sifa.evaluation import selectors, services
from sifa.evaluation.models import LEVEL_INPUTS, Channel, EntrySource, Level, SubjectKind
from sifa.organisations.scope import actor_for

RATING_RATE = "20/hour"
LINK_RATE = "30/min"
"""Ratings with a link's token, per client address: the link page's rate (``/rate/<token>/``)."""
PUBLIC_RATE = "120/min"

ORGANISATION = OpenApiParameter("organisation", OpenApiTypes.INT, description="机构ID（含其下级机构）")
PERIOD = OpenApiParameter("period", OpenApiTypes.STR, description="统计月份 YYYY-MM，如 2026-12")
ITEM = OpenApiParameter("item", OpenApiTypes.STR, description="事项基本编码（只统计该事项的评价）")


class RatingThrottle(throttles.PerClientThrottle):
    """Rating floods: 20 an hour per account (a person rates what they received, once each)."""

    scope = "evaluation_rate"
    rate = RATING_RATE

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.method != "POST" or _by_link(request):
            return None  # a link's token is counted per address (LinkRatingThrottle)
        return super().get_cache_key(request, view)


def _body(request: Request) -> Mapping[str, Any]:
    try:
        data = request.data
    except ParseError:
        return {}
    return data if isinstance(data, Mapping) else {}


def _by_link(request: Request) -> bool:
    """A rating of a window visit or a 12348 call by its link's token (or one that forgot it)."""
    if request.method != "POST":
        return False
    body = _body(request)
    return "token" in body or body.get("subject") in services.LINK_SUBJECTS


class RatingPermission(BasePermission):
    """Reading and rating one's own case need an account; rating a visit or a call with its
    link's token does not (the token stands for the rater, as on the link page)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if getattr(request.user, "is_authenticated", False):
            return True
        return request.method == "POST" and _body(request).get("subject") in services.LINK_SUBJECTS


class LinkRatingThrottle(throttles.PerAddressThrottle):
    """Ratings with a link's token: 30 a minute per client address, as the link page."""

    scope = "evaluation_rate_link"
    rate = LINK_RATE

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return super().get_cache_key(request, view) if _by_link(request) else None


class PublicThrottle(throttles.SharedRateThrottle):
    scope = "evaluation_public"
    rate = PUBLIC_RATE

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _messages(message: str) -> dict[str, str]:
    keys = ("required", "blank", "null", "invalid", "invalid_choice", "max_length", "min_length")
    return dict.fromkeys(keys, message)


class ServiceRatingInput(StrictSerializer):
    codes = {
        "subject": "evaluation.bad_subject",
        "number": "evaluation.bad_number",
        "level": "evaluation.bad_level",
        "channel": "evaluation.bad_channel",
        "comment": "evaluation.comment_length",
        "token": "evaluation.bad_token",
    }

    subject = serializers.ChoiceField(
        SubjectKind.choices, error_messages=_messages("评价对象应为 application、consultation、visit 或 call")
    )
    number = serializers.CharField(
        max_length=50, error_messages=_messages("请填写办件编号或工单编号"), help_text="办件编号或工单编号"
    )
    level = serializers.ChoiceField(
        LEVEL_INPUTS,
        error_messages=_messages("满意度应为非常满意、满意、基本满意、不满意或非常不满意"),
        help_text="满意度：非常满意、满意、基本满意、不满意、非常不满意（或 very_satisfied … very_dissatisfied）",
    )
    channel = serializers.ChoiceField(
        Channel.choices,
        required=False,
        default=Channel.WEB,
        error_messages=_messages("评价渠道不正确"),
        help_text="评价渠道（GB/T 39046 表9）：web PC端、app 移动端、qr 二维码、window_tablet 大厅平板、window_terminal 大厅其他终端、hotline 电话、sms 短信",
    )
    comment = serializers.CharField(
        max_length=500, required=False, allow_blank=True, error_messages=_messages("文字评价不能超过500字")
    )
    token = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        error_messages=_messages("评价码无效，请核对短信或评价器中的评价链接"),
        help_text="仅 visit、call：评价链接中的评价码（短信或评价器链接 /rate/ 之后的28个字符），无需登录；"
        "评价渠道取评价链接的渠道（window_tablet 或 sms）",
    )


class ServiceRatingOut(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    subject_label = serializers.CharField()
    number = serializers.CharField()
    organisation = serializers.CharField(help_text="责任机构")
    item_code = serializers.CharField(help_text="事项基本编码")
    stage = serializers.CharField()
    level = serializers.ChoiceField(Level.choices)
    level_label = serializers.CharField()
    gbt39046_code = serializers.IntegerField(help_text="GB/T 39046 满意度代码：1 非常满意 … 5 非常不满意")
    provincial_code = serializers.IntegerField(help_text="省级好差评接口代码：1 非常不满意 … 5 非常满意")
    channel = serializers.CharField()
    channel_label = serializers.CharField()
    channel_code = serializers.IntegerField(help_text="评价渠道代码 1 PC端 … 7 短信")
    comment = serializers.CharField()
    rater_named = serializers.BooleanField(help_text="实名评价（不显示评价人）")
    staff_member = serializers.CharField(help_text="经办人（仅监督人员可见）")
    set_aside = serializers.BooleanField(help_text="已被上级撤销（恶意差评），不计入统计")
    rectification = serializers.IntegerField(allow_null=True, help_text="差评整改 id")
    created_at = serializers.DateTimeField(help_text="评价时间（离线补录的：评价卡上的日期）")
    entry_source = serializers.CharField(
        help_text="离线补录来源：device 评价器离线记录、paper 纸质评价卡；当场评价为空"
    )
    entered_at = serializers.DateTimeField(allow_null=True, help_text="补录时间（当场评价为 null）")


class LevelCountOut(serializers.Serializer):
    level = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class PublicRatingsOut(serializers.Serializer):
    organisation = serializers.CharField()
    item = serializers.CharField(required=False, help_text="事项基本编码（按事项统计时）")
    period = serializers.CharField()
    total = serializers.IntegerField()
    levels = LevelCountOut(many=True)
    satisfied = serializers.IntegerField(help_text="非常满意 + 满意 + 基本满意")
    satisfaction_rate = serializers.FloatField(
        allow_null=True, help_text="满意率 = (非常满意+满意+基本满意) ÷ 评价总数"
    )
    bad = serializers.IntegerField(help_text="差评（不满意 + 非常不满意）")
    rectified = serializers.IntegerField(help_text="已整改反馈的差评")
    rectification_rate = serializers.FloatField(allow_null=True, help_text="整改率 = 已整改反馈 ÷ 差评数")


class RectificationOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    subject = serializers.CharField()
    level = serializers.CharField()
    level_label = serializers.CharField()
    comment = serializers.CharField()
    rater_named = serializers.BooleanField()
    organisation = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    callback_due = serializers.DateField(allow_null=True)
    callback_at = serializers.DateTimeField(allow_null=True)
    callback_note = serializers.CharField()
    due_date = serializers.DateField()
    due_provisional = serializers.BooleanField()
    overdue = serializers.BooleanField()
    outcome = serializers.CharField()
    reported_at = serializers.DateTimeField(allow_null=True)
    appeal_evidence = serializers.CharField()
    decision_note = serializers.CharField()
    decided_by = serializers.CharField()
    escalated_to = serializers.CharField()
    escalated_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class RectificationCommandInput(StrictSerializer):
    codes = {"text": "evaluation.text_length", "decision": "evaluation.bad_decision"}

    text = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        error_messages=_messages("说明不能超过2000字"),
        help_text="callback：回访记录；report：整改情况；appeal：申诉理由和证据；set_aside：复核意见",
    )
    decision = serializers.ChoiceField(
        [("set_aside", "撤销差评"), ("dismiss", "驳回申诉")],
        required=False,
        error_messages=_messages("复核结论应为 set_aside（撤销差评）或 dismiss（驳回申诉）"),
        help_text="仅 set_aside：复核结论，默认 set_aside",
    )


class RatingLinkInput(StrictSerializer):
    codes = {
        "subject": "evaluation.bad_subject",
        "number": "evaluation.bad_number",
        "channel": "evaluation.bad_channel",
        "phone": "evaluation.bad_phone",
        "organisation": "evaluation.bad_organisation",
    }

    subject = serializers.ChoiceField(
        [(SubjectKind.VISIT, "窗口来访"), (SubjectKind.CALL, "热线来电")],
        error_messages=_messages("评价对象应为 visit（窗口来访）或 call（热线来电）"),
        help_text="visit 窗口来访（窗口工作人员）；call 热线来电（管辖范围内的咨询员、监督人员）",
    )
    number = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        error_messages=_messages("工单编号不超过50个字符"),
        help_text="call：热线来电的工单编号；visit 不填（系统生成来访编号）",
    )
    channel = serializers.ChoiceField(
        [(Channel.WINDOW_TABLET, "评价器"), (Channel.SMS, "短信")],
        required=False,
        allow_blank=True,
        error_messages=_messages("邀请方式应为 window_tablet（评价器）或 sms（短信）"),
        help_text="visit：window_tablet（默认，在柜台评价器上打开）或 sms；call 只能 sms",
    )
    phone = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        error_messages=_messages("请填写11位手机号码"),
        help_text="visit 且 sms 时：群众的手机号码（只用于发送，不保存）",
    )
    organisation = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        error_messages=_messages("机构ID应为正整数"),
        help_text="visit：窗口所属机构ID（在多个机构任窗口工作人员时）",
    )


class RatingLinkOut(serializers.Serializer):
    subject = serializers.CharField()
    number = serializers.CharField(help_text="来访编号或工单编号")
    organisation = serializers.CharField(help_text="责任机构")
    channel = serializers.CharField()
    url = serializers.CharField(
        allow_null=True,
        help_text="评价链接（仅评价器方式返回，请在柜台评价器上打开；短信方式为 null，链接只发给群众）",
    )
    expires_at = serializers.DateTimeField(help_text="链接有效期至（评价器2小时，短信7日）")


class RatingLinks(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="rating_links_create",
        summary="邀请评价：窗口来访（评价器或短信）、热线来电（短信）的一次性评价链接",
        responses={
            201: RatingLinkOut,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                404,
                409,
                notes={
                    403: "evaluation.not_allowed（不是该机构的窗口工作人员）",
                    404: "evaluation.not_found（管辖范围外或不存在的热线工单）",
                    409: "evaluation.not_finished、evaluation.already_rated、evaluation.no_mobile",
                },
            ),
        },
    )
    @accepts(RatingLinkInput)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        data = body.validated()
        issued = services.issue_link(
            request.user,
            subject=data["subject"],
            number=data.get("number", ""),
            channel=data.get("channel", ""),
            phone=data.get("phone", ""),
            organisation=data.get("organisation"),
        )
        link = issued.link
        tablet = link.channel == Channel.WINDOW_TABLET
        out = {
            "subject": link.subject_kind,
            "number": link.number,
            "organisation": link.organisation.name,
            "channel": link.channel,
            "url": f"{settings.PUBLIC_URL}{issued.path}" if tablet else None,
            "expires_at": link.expires_at,
        }
        response = Response(RatingLinkOut(out).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"  # the link is shown once
        return response


class RatingCardInput(StrictSerializer):
    codes = {
        "collected_on": "evaluation.bad_date",
        "source": "evaluation.bad_source",
        "card_number": "evaluation.bad_card_number",
        "level": "evaluation.bad_level",
        "comment": "evaluation.comment_length",
        "organisation": "evaluation.bad_organisation",
    }

    collected_on = serializers.DateField(
        error_messages=_messages("请填写评价卡上的日期，如 2026-11-20"),
        help_text="评价卡或评价器记录上的日期（今天及之前60天内）",
    )
    source = serializers.ChoiceField(
        EntrySource.choices,
        error_messages=_messages("补录来源应为 device（评价器离线记录）或 paper（纸质评价卡）"),
        help_text="device 评价器离线记录；paper 纸质评价卡",
    )
    card_number = serializers.CharField(
        max_length=40, error_messages=_messages("请填写评价卡编号（1至40位字母、数字或连字符）")
    )
    level = serializers.ChoiceField(
        LEVEL_INPUTS,
        error_messages=_messages("满意度应为非常满意、满意、基本满意、不满意或非常不满意"),
        help_text="评价卡上的满意度：非常满意 … 非常不满意（或 very_satisfied … very_dissatisfied）",
    )
    comment = serializers.CharField(
        max_length=500, required=False, allow_blank=True, error_messages=_messages("文字评价不能超过500字")
    )
    organisation = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        error_messages=_messages("机构ID应为正整数"),
        help_text="窗口所属机构ID（在多个机构任窗口工作人员时）",
    )


class RatingCards(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="rating_cards_create",
        summary="离线补录：按评价卡日期补录纸质评价卡或评价器离线记录（窗口工作人员）",
        responses={
            201: ServiceRatingOut,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                409,
                notes={
                    400: "evaluation.future_date、evaluation.too_old 等",
                    403: "evaluation.not_allowed（不是该机构的窗口工作人员）",
                    409: "evaluation.already_entered（该评价卡已补录）",
                },
            ),
        },
    )
    @accepts(RatingCardInput)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        data = body.validated()
        rating = services.enter_card(
            request.user,
            collected_on=data["collected_on"],
            source=data["source"],
            card_number=data["card_number"],
            level=data["level"],
            comment=data.get("comment", ""),
            organisation=data.get("organisation"),
        )
        return Response(selectors.rating_out(rating, actor_for(request.user)), status=status.HTTP_201_CREATED)


class RatingList(APIView):
    permission_classes = [RatingPermission]
    throttle_classes = [RatingThrottle, LinkRatingThrottle]

    @extend_schema(
        operation_id="ratings_list",
        summary="服务评价（工作人员：管辖范围内；评价人：本人的评价）",
        parameters=[ORGANISATION, PERIOD, OpenApiParameter("page", OpenApiTypes.INT)],
        responses={200: paginated(ServiceRatingOut), **error_responses(400, *LOGIN_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        actor = actor_for(request.user)
        rows = selectors.ratings(
            actor,
            organisation=request.query_params.get("organisation"),
            period=request.query_params.get("period"),
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response([selectors.rating_out(r, actor) for r in page])

    @extend_schema(
        operation_id="ratings_create",
        summary="评价服务（办件、法律咨询、窗口来访、热线来电；每项一次）",
        responses={
            201: ServiceRatingOut,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                404,
                409,
                429,
                notes={
                    400: "evaluation.token_required（窗口来访、热线来电缺少评价码）、evaluation.token_unexpected 等",
                    404: "evaluation.not_found（不是本人的办件或咨询）、evaluation.link_invalid（评价码无效或不属于该服务）",
                    409: "evaluation.already_rated、evaluation.not_finished、consultation.not_answered",
                    410: "evaluation.link_expired、evaluation.link_withdrawn",
                },
            ),
        },
    )
    @accepts(ServiceRatingInput)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        data = body.validated()
        signed_in = request.user.is_authenticated
        if data.get("token") or (data["subject"] in services.LINK_SUBJECTS and not signed_in):
            rating = services.rate_with_token(
                subject=data["subject"],
                number=data["number"],
                token=data.get("token", ""),
                level=data["level"],
                comment=data.get("comment", ""),
            )
            return Response(
                selectors.rating_out(rating, actor_for(request.user)), status=status.HTTP_201_CREATED
            )
        rating = services.rate(
            request.user,
            subject=data["subject"],
            number=data["number"],
            level=data["level"],
            channel=data.get("channel") or Channel.WEB,
            comment=data.get("comment", ""),
        )
        return Response(selectors.rating_out(rating, actor_for(request.user)), status=status.HTTP_201_CREATED)


class PublicRatings(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [PublicThrottle]

    @extend_schema(
        operation_id="public_ratings",
        summary="好差评统计（公开）：各等级数量、满意率、整改率（按机构、事项和月份）",
        parameters=[ORGANISATION, PERIOD, ITEM],
        responses={200: PublicRatingsOut, **error_responses(400, 429)},
    )
    def get(self, request: Request) -> Response:
        return Response(
            selectors.public_statistics(
                organisation=request.query_params.get("organisation"),
                period=request.query_params.get("period"),
                item=request.query_params.get("item"),
            )
        )


class RectificationList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="rectifications_list",
        summary="差评整改（管辖范围内）",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(selectors.TABS), description="默认 all"),
            ORGANISATION,
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
        responses={200: paginated(RectificationOut), **error_responses(400, *LOGIN_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        rows = selectors.rectifications(
            actor_for(request.user),
            status=request.query_params.get("status", "all"),
            organisation=request.query_params.get("organisation"),
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response([selectors.rectification_out(r) for r in page])


class RectificationCommand(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="rectifications_command",
        summary="差评整改操作：回访、反馈整改情况、办结、申诉、上级复核",
        parameters=[
            OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH, description="差评整改 id"),
            OpenApiParameter(
                "command", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(services.COMMANDS)
            ),
        ],
        responses={
            200: RectificationOut,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                404,
                409,
                notes={
                    403: "evaluation.not_allowed",
                    409: "evaluation.not_open、evaluation.callback_first、evaluation.anonymous_rater 等",
                },
            ),
        },
    )
    @accepts(RectificationCommandInput)
    def post(self, request: Request, id: str, command: str, *, body: RequestBody) -> Response:
        data = body.validated()
        rectification = services.command(
            request.user, id, command, text_value=data.get("text", ""), decision=data.get("decision", "")
        )
        return Response(selectors.rectification_out(rectification))


urlpatterns = [
    path("ratings/", RatingList.as_view(), name="api-ratings"),
    path("ratings/links/", RatingLinks.as_view(), name="api-rating-links"),
    path("ratings/cards/", RatingCards.as_view(), name="api-rating-cards"),
    path("public/ratings/", PublicRatings.as_view(), name="api-public-ratings"),
    path("rectifications/", RectificationList.as_view(), name="api-rectifications"),
    path(
        "rectifications/<str:id>/commands/<str:command>/",
        RectificationCommand.as_view(),
        name="api-rectification-command",
    ),
]
