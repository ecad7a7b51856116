"""Applications API, mounted under ``/api/v1/`` with ``path("", include("sifa.applications.api"))``.

Applicants (and agents, and window clerks for walk-ins):
  POST  applications/                       create AND submit in one call (Idempotency-Key) → 201
                                            {number, query_code, status}; 400 lists every problem
  POST  applications/drafts/                start a draft → 201 {id, status, materials…}
  PATCH applications/drafts/{id}/           save form_data / situation_answers
  POST  applications/{number-or-id}/submit/ submit a draft (Idempotency-Key) → 201 {number, query_code, status}
  POST  applications/{ref}/materials/       multipart ``material`` (catalogue material id), ``file``,
                                            optional ``valid_until`` (YYYY-MM-DD)
  GET   applications/{ref}/materials/{id}/file/   download (attachment), only in scope
  POST  applications/{ref}/correction/      resubmit corrections in place {form_data?, situation_answers?}
  POST  applications/{ref}/withdraw/        before acceptance
  GET   applications/                       mine (or, for staff, in my jurisdiction) with next action
  GET   applications/{ref}/                 detail: materials checklist, notices, timeline, deadline
Window clerks in scope (pre-review):
  GET/POST applications/{ref}/findings/     list / add a finding {field, message, code?}
  POST  applications/{ref}/correction-notice/   issue the one-time notice {items?: [{field, code?, message}]}
Public (no login, rate-limited):
  GET   track/{number}/?code=               timeline by number + query code; 404 for either wrong
                                            (30 failed lookups a minute per client, then 429 for all)
"""

from __future__ import annotations

import functools
import re
from functools import cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.applications import progress, selectors, serializers, services
from sifa.applications.models import ApplicationStatus
from sifa.applications.services import reads
from sifa.applications.services.common import invalid, is_applicant_side, staff_in_scope
from sifa.applications.uploads import attachment_response
from sifa.applications.uploads.streaming import WorkFileUploadHandler
from sifa.catalogue.models import ImplementationEntry
from sifa.core import limits
from sifa.core.api import throttles
from sifa.core.api.bodies import RequestBody, accepts
from sifa.core.api.pagination import Pagination
from sifa.core.api.schema import LOGIN_ERRORS, error_responses, file_response, path_parameter
from sifa.core.errors import NotFound
from sifa.organisations.scope import actor_for

IDEMPOTENCY_HEADER = "Idempotency-Key"

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="幂等键（1至200个字符）：同一键重发时返回第一次的结果，不会重复提交",
)
REF = path_parameter("ref", "办件编号，或草稿的 id（UUID）")
STATE_CONFLICT = "如 application.not_draft、application.materials_locked"


class TrackingThrottle(throttles.FailureThrottle):
    """Failed lookups (unknown number or wrong code) per client address, whoever is logged in:
    guessing query codes must stay impractical, while an applicant refreshing the page with the
    right code is never counted (docs/adr/0012-count-only-failed-progress-queries.md). Every
    request is refused once 30 failures are in the window, even with the right code."""

    scope = "application_tracking"
    rate = "30/min"


def _entry(code: str) -> ImplementationEntry:
    entry = services.entry_for_draft(code)  # with what the draft reads of it: not read again
    if entry is None:
        raise invalid([{"field": "entry", "code": "entry.not_found", "message": "未找到该实施清单事项"}])
    return entry


def _start(request: Request, data: dict[str, Any]):
    """``data``: a validated :class:`~sifa.applications.serializers.ApplicationStartSerializer`."""
    walk_in = data.get("applicant")
    return services.start_draft(
        _entry(data["entry"]),
        actor=request.user,
        form_data=data.get("form_data") or {},
        situation_answers=data.get("situation_answers") or {},
        on_behalf_of=data.get("on_behalf_of"),
        walk_in=dict(walk_in) if walk_in is not None else None,
        channel=data.get("channel") or "online",
        pickup_window=data.get("pickup_window"),
    )


def _submitted(app, code: str) -> dict[str, Any]:
    return {"number": app.number, "query_code": code, "status": app.status, "id": str(app.pk)}


def _app(request: Request, ref: str):
    return selectors.application(actor_for(request.user), ref)


def _detail(request: Request, app, *, new: bool = False) -> dict[str, Any]:
    return serializers.detail(
        app, staff=not is_applicant_side(request.user, app) and staff_in_scope(request.user, app), new=new
    )


class ApplicationList(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    @extend_schema(
        operation_id="applications_list",
        summary="我的申请（工作人员：管辖范围内的办件）",
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=ApplicationStatus.values, description="按状态筛选"
            )
        ],
        responses={
            200: serializers.ApplicationSummarySerializer(many=True),
            **error_responses(*LOGIN_ERRORS),
        },
    )
    def get(self, request: Request) -> Response:
        rows = selectors.applications(actor_for(request.user))
        if request.query_params.get("status"):
            rows = rows.filter(status=request.query_params["status"])
        page = self.paginator.paginate_queryset(rows, request, view=self)
        return self.paginator.get_paginated_response([serializers.summary(a) for a in page])

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            self._paginator = self.pagination_class()
        return self._paginator

    @extend_schema(
        operation_id="applications_create",
        summary="申请并提交（一次完成）",
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: serializers.SubmittedSerializer,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                409,
                notes={
                    400: "缺少的材料和填写问题一次列全，什么也不保存",
                    409: "application.entry_unavailable、idempotency.in_progress、"
                    "application.licence_already_held（已持有有效的律师执业证或律师事务所执业许可证，"
                    "不能再申请颁发同类证照：律师法第十条）",
                },
            ),
        },
    )
    @accepts(serializers.ApplicationStartSerializer)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        """Create and submit in one call; the body must be complete (materials from once-only
        sources). Anything missing is listed and nothing is kept."""
        data = body.validated()

        def run() -> tuple[int, dict[str, Any]]:
            app = _start(request, data)
            # inside idempotent's transaction, which rolls back as a whole on any refusal
            app, code = services.submit_in_transaction(app, actor=request.user)
            return status.HTTP_201_CREATED, _submitted(app, code)

        code, body = services.idempotent(
            user=request.user,
            key=request.headers.get(IDEMPOTENCY_HEADER),
            scope="applications.create",
            payload=request.data,  # what was sent: a retry must send the same
            run=run,
        )
        return Response(body, status=code)


class DraftCreate(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="新建草稿",
        responses={
            201: serializers.ApplicationDetailSerializer,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                409,
                notes={
                    409: "application.entry_unavailable、application.licence_already_held（申请人已持有"
                    "有效的律师执业证或律师事务所执业许可证，不能再申请颁发同类证照：律师法第十条；"
                    "变更执业机构请申请变更许可）"
                },
            ),
        },
    )
    @accepts(serializers.ApplicationStartSerializer)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        app = _start(request, body.validated())
        return Response(_detail(request, app, new=True), status=status.HTTP_201_CREATED)


class DraftUpdate(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="保存草稿",
        parameters=[REF],
        responses={
            200: serializers.ApplicationDetailSerializer,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                404,
                409,
                notes={409: "application.not_draft, application.consent_not_offered"},
            ),
        },
    )
    @accepts(serializers.ApplicationChangeSerializer, partial=True)
    def patch(self, request: Request, ref: str, *, body: RequestBody) -> Response:
        app = _app(request, ref)
        data = body.validated()
        if "partner_consent" in data:
            app = services.set_partner_consent(app, actor=request.user, consent=data["partner_consent"])
        if (
            any(k in data for k in ("form_data", "situation_answers", "pickup_window"))
            or "partner_consent" not in data
        ):
            app = services.update_draft(
                app,
                actor=request.user,
                form_data=data.get("form_data"),
                situation_answers=data.get("situation_answers"),
                pickup_window=data.get("pickup_window"),
            )
        return Response(_detail(request, app))


class ApplicationDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="申请详情：材料清单、补正告知、进度和时限",
        parameters=[REF],
        responses={200: serializers.ApplicationDetailSerializer, **error_responses(*LOGIN_ERRORS, 404)},
    )
    def get(self, request: Request, ref: str) -> Response:
        app = _app(request, ref)
        reads.record_staff_read(request.user, actor_for(request.user), app)
        return Response(_detail(request, app))


class Submit(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="提交草稿",
        parameters=[REF, IDEMPOTENCY_PARAMETER],
        responses={
            201: serializers.SubmittedSerializer,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                404,
                409,
                notes={
                    409: "application.not_draft、idempotency.in_progress、application.licence_already_held"
                    "（草稿之后已取得同类有效证照：律师法第十条）"
                },
            ),
        },
    )
    @accepts(None)
    def post(self, request: Request, ref: str) -> Response:
        # Only the id: the submit locks the row and reads it whole in its transaction.
        app = selectors.application_id_only(actor_for(request.user), ref)
        services.read_ahead_for_submit(app)  # the catalogue rows its checks read, before the lock

        def run() -> tuple[int, dict[str, Any]]:
            # inside idempotent's transaction, which rolls back as a whole on any refusal
            submitted, code = services.submit_in_transaction(app, actor=request.user)
            return status.HTTP_201_CREATED, _submitted(submitted, code)

        code, body = services.idempotent(
            user=request.user,
            key=request.headers.get(IDEMPOTENCY_HEADER),
            scope=f"applications.submit:{app.pk}",
            payload={"application": str(app.pk)},
            run=run,
        )
        return Response(body, status=code)


class MaterialUpload(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]
    upload_handler = WorkFileUploadHandler
    """The file goes straight to the store's work folder, hashed as it arrives (one copy; the gate
    checks it there and moves it into place); set before the body is parsed
    (``sifa.core.middleware.RequestTextMiddleware``)."""

    @extend_schema(
        summary="上传申请材料",
        parameters=[REF],
        responses={
            201: serializers.MaterialFileSerializer,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                404,
                409,
                notes={400: "文件类型、大小或有效期不符", 409: "application.materials_locked"},
            ),
        },
    )
    @accepts(serializers.MaterialUploadSerializer, media_types=("multipart/form-data",))
    def post(self, request: Request, ref: str, *, body: RequestBody) -> Response:
        app = selectors.application_with_version(actor_for(request.user), ref)
        data = body.validated()
        upload = data["file"]
        row = services.upload_material(
            app,
            actor=request.user,
            material_id=data["material"],
            fileobj=upload,
            filename=upload.name or "",
            valid_until=data.get("valid_until"),
            declared_content_type=upload.content_type,
            fresh=True,
        )
        return Response(serializers._material_file(app, row), status=status.HTTP_201_CREATED)


class MaterialFile(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="下载申请材料（附件）",
        parameters=[REF, path_parameter("material_id", "材料文件 id（materials[].file.id）")],
        responses={
            **file_response("application/octet-stream", "文件本身，Content-Type 为上传时识别的类型"),
            **error_responses(*LOGIN_ERRORS, 404),
        },
    )
    def get(self, request: Request, ref: str, material_id: str):
        actor = actor_for(request.user)
        row = selectors.material(actor, ref, material_id)
        reads.record_staff_material_read(request.user, actor, row)
        return attachment_response(row.storage_key, row.display_name, row.content_type)


class Correction(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="提交补正（在原申请上修改）",
        parameters=[REF],
        responses={
            200: serializers.ApplicationDetailSerializer,
            **error_responses(400, *LOGIN_ERRORS, 404, 409, notes={409: "application.no_correction_pending"}),
        },
    )
    @accepts(serializers.ApplicationChangeSerializer)
    def post(self, request: Request, ref: str, *, body: RequestBody) -> Response:
        app = _app(request, ref)
        data = body.validated()
        app = services.submit_correction(
            app,
            actor=request.user,
            form_data=data.get("form_data"),
            situation_answers=data.get("situation_answers"),
        )
        return Response(_detail(request, app))


class Withdraw(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="撤回申请（受理前）",
        parameters=[REF],
        responses={
            200: serializers.ApplicationDetailSerializer,
            **error_responses(*LOGIN_ERRORS, 404, 409, notes={409: "application.withdraw_after_acceptance"}),
        },
    )
    @accepts(None)
    def post(self, request: Request, ref: str) -> Response:
        app = services.withdraw(_app(request, ref), request.user)
        return Response(_detail(request, app))


class Findings(APIView):
    permission_classes = [IsAuthenticated]

    def _staff_app(self, request: Request, ref: str):
        app = _app(request, ref)
        if not staff_in_scope(request.user, app):
            raise NotFound()
        return app

    @extend_schema(
        summary="预审意见列表（窗口人员）",
        parameters=[REF],
        responses={200: serializers.FindingListSerializer, **error_responses(*LOGIN_ERRORS, 404)},
    )
    def get(self, request: Request, ref: str) -> Response:
        app = self._staff_app(request, ref)
        rows = selectors.findings(actor_for(request.user), app)
        reads.record_staff_read(request.user, actor_for(request.user), app, what="查看预审意见")
        return Response({"results": [serializers.finding(f) for f in rows]})

    @extend_schema(
        summary="添加预审意见（窗口人员）",
        parameters=[REF],
        responses={
            201: serializers.FindingSerializer,
            **error_responses(400, *LOGIN_ERRORS, 404, 409, notes={409: "application.not_in_pre_review"}),
        },
    )
    @accepts(serializers.FindingCreateSerializer)
    def post(self, request: Request, ref: str, *, body: RequestBody) -> Response:
        app = self._staff_app(request, ref)
        data = body.validated()
        row = services.add_finding(
            app,
            actor=request.user,
            field=data.get("field", ""),
            message=data["message"],
            code=data.get("code", ""),
        )
        return Response(serializers.finding(row), status=status.HTTP_201_CREATED)


CORRECTION_ITEM_CODES = (
    "correction.empty（没有任何补正内容）、correction.item_unnamed（某项未指明材料或字段）、"
    "correction.item_unknown_material（材料不是该事项的申请材料）、"
    "correction.item_unknown_field（字段不在申请表中）、correction.item_message_required（某项未写明补正要求）"
)


class CorrectionNoticeIssue(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="发出一次性补正告知书（窗口人员）",
        parameters=[REF],
        responses={
            201: serializers.CorrectionNoticeIssuedSerializer,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                404,
                409,
                notes={
                    400: CORRECTION_ITEM_CODES,
                    409: "application.not_in_pre_review",
                },
            ),
        },
    )
    @accepts(serializers.CorrectionNoticeCreateSerializer)
    def post(self, request: Request, ref: str, *, body: RequestBody) -> Response:
        app = _app(request, ref)
        items = [dict(item) for item in body.validated().get("items", [])]
        notice = services.issue_correction_notice(app, items=items, actor=request.user)
        body = {
            "document_number": notice.document_number,
            "issued_at": notice.issued_at,
            "items": notice.items,
        }
        return Response(body, status=status.HTTP_201_CREATED)


FAST_ACCEPT = frozenset({"", "*/*", "application/json"})
"""The ``Accept`` headers :func:`track` answers without DRF's negotiation: all choose DRF's
``JSONRenderer`` with no parameters (an ``indent``, or HTML for a browser, goes through DRF)."""


# The public progress query as DRF serves it: its schema, and every request track() does not
# answer itself (another method or Accept, another query parameter, the 404 and 429 answers). No
# docstring: drf-spectacular would publish it as the operation's description.
class Track(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [TrackingThrottle]

    _checked = False
    """The throttle already ran in :func:`track` (and ``_refused`` says what it decided)."""
    _refused = False
    _wait: float | None = None

    def check_throttles(self, request: Request) -> None:
        if not self._checked:
            super().check_throttles(request)
        elif self._refused:
            self.throttled(request, self._wait)

    @extend_schema(
        summary="凭办件编号和查询码查询进度（免登录）",
        description=(
            "同一客户端地址每分钟查询失败（编号不存在或查询码错误）达30次后，"
            "该分钟内的查询一律返回429（查询码正确也不例外）；查询成功不计入次数。"
        ),
        auth=[],
        parameters=[
            path_parameter("number", "办件编号"),
            OpenApiParameter("code", OpenApiTypes.STR, required=True, description="查询码（提交时取得）"),
        ],
        responses={
            200: serializers.TrackingSerializer,
            **error_responses(404, 429, notes={404: "编号不存在和查询码错误的回答相同"}),
        },
    )
    def get(self, request: Request, number: str) -> Response:
        # Here only through DRF: a request track() answered comes here for its 404 (already
        # counted) without a read; any other one was looked at by DRF's throttle (check only),
        # then a failed lookup is counted here, and refused when the failures reached the rate.
        if self._checked:
            raise NotFound()
        body = progress.progress(number, request.query_params.get("code", ""))
        if body is None:
            throttle = TrackingThrottle()
            if not throttle.count_failure(request, self):
                self.throttled(request, throttle.wait())
            raise NotFound()
        return Response(body)


_drf_track = Track.as_view()


@cache
def _track_headers() -> tuple[tuple[str, str], ...]:
    """The headers DRF's ``finalize_response`` gives :class:`Track`'s answers (``Allow``, ``Vary``)."""
    view = Track()
    view.setup(None)  # as for a request: a view with get() answers HEAD too (Allow)
    return tuple(view.default_response_headers.items())


@cache
def _track_header_store() -> dict[str, tuple[str, str]]:
    """:func:`_track_headers` as a response's header store holds them once set one by one
    (``response[name] = value``: checked and converted once per process, not per answer; as
    ``sifa.core.pagecache`` replays a stored page's headers)."""
    response = HttpResponse()
    for name, value in _track_headers():
        response[name] = value
    return {name.lower(): response.headers._store[name.lower()] for name, _value in _track_headers()}


_PLAIN_CODE = re.compile(r"code=([0-9A-Za-z]*)")
"""A query string that is ``code=`` and nothing but ASCII letters and digits: ``request.GET`` gives
that code and no other name (nothing to decode), so :func:`track` takes it without building the
``QueryDict``; any other query string is read through ``request.GET``."""


@functools.lru_cache(maxsize=4)
def _tracking_throttle(rate: str | None) -> tuple[TrackingThrottle, limits.Rate]:
    """A :class:`TrackingThrottle` and its :class:`limits.Rate`, made once per process and rate
    text (``TrackingThrottle.rate``; the bench raises it): :func:`track` only asks it for the
    client's key, which depends on the request alone."""
    throttle = TrackingThrottle()
    return throttle, limits.Rate(throttle.num_requests, throttle.duration)


@functools.wraps(_drf_track)  # its view class and schema (drf-spectacular reads Track from it)
def track(request: HttpRequest, number: str) -> HttpResponse:
    """``GET /api/v1/track/{number}/?code=``: a plain ``GET …?code=`` asking for JSON (or anything)
    is answered here, without DRF's request wrapping, negotiation and response: the throttle's look
    at the client's failures and, only when it allows the request, the case's read (one read-only
    statement: :func:`sifa.applications.progress.checked_progress`; a failed lookup is counted
    after it), and the answer's JSON as DRF's renderer writes it (``progress._json``). The bytes and
    headers are DRF's (``tests/perf/test_queries_reads.py`` compares them for every kind of
    answer). The 404 and 429 answers, and every other request (HEAD, OPTIONS, a browser's
    ``Accept``, ``?format=``), are :class:`Track`'s through DRF's ``dispatch``, with the throttle's
    decision already taken, so each failure is counted once."""
    if request.method != "GET" or request.META.get("HTTP_ACCEPT", "") not in FAST_ACCEPT:
        return _drf_track(request, number=number)
    plain = _PLAIN_CODE.fullmatch(request.META.get("QUERY_STRING", ""))
    if plain is not None:  # ``code=`` and letters or digits only: what ``request.GET`` would give
        code = plain.group(1)
    elif any(name != "code" for name in request.GET):
        return _drf_track(request, number=number)
    else:
        code = request.GET.get("code", "")
    throttle, rate = _tracking_throttle(TrackingThrottle.rate)
    decision, body = progress.checked_progress(
        number, code, throttle.get_cache_key(request, None), rate, encoded=True
    )
    if body is None:
        view = Track(_checked=True, _refused=not decision.allowed, _wait=decision.retry_after or None)
        view.setup(request, number=number)
        return view.dispatch(request, number=number)
    response = HttpResponse(body, content_type=JSONRenderer.media_type)
    response.headers._store.update(_track_header_store())  # after Content-Type, as set one by one
    return response


urlpatterns = [
    path("applications/", ApplicationList.as_view(), name="applications"),
    path("applications/drafts/", DraftCreate.as_view(), name="application-drafts"),
    path("applications/drafts/<str:ref>/", DraftUpdate.as_view(), name="application-draft"),
    path("applications/<str:ref>/", ApplicationDetail.as_view(), name="application"),
    path("applications/<str:ref>/submit/", Submit.as_view(), name="application-submit"),
    path("applications/<str:ref>/materials/", MaterialUpload.as_view(), name="application-materials"),
    path(
        "applications/<str:ref>/materials/<str:material_id>/file/",
        MaterialFile.as_view(),
        name="application-material-file",
    ),
    path("applications/<str:ref>/correction/", Correction.as_view(), name="application-correction"),
    path("applications/<str:ref>/withdraw/", Withdraw.as_view(), name="application-withdraw"),
    path("applications/<str:ref>/findings/", Findings.as_view(), name="application-findings"),
    path(
        "applications/<str:ref>/correction-notice/",
        CorrectionNoticeIssue.as_view(),
        name="application-correction-notice",
    ),
]

public_urlpatterns = [path("track/<str:number>/", track, name="application-track")]
"""The public progress query, routed under ``api/v1/`` at the site's top level, before the API's
include (``sifa.api.urls.root_urlpatterns``: it is the most frequent public read; Django tries
patterns in order)."""
