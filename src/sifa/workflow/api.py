"""Workflow API: the worklist, the staff case view, and commands on a case.

Mounted under ``/api/v1/`` (``path("", include("sifa.workflow.api"))`` in ``sifa/api/urls.py``):

* ``GET  workitems/`` — open work in my jurisdiction, red → yellow → green, then earliest due;
  filters ``warning_level``, ``role``, ``stage`` (task id, stage name or task kind).
* ``GET  cases/{number}/`` — staff view: status, current stage, clocks, work items, full timeline,
  and ``allowed_commands``: what the caller may do now (``sifa.workflow.transitions.offers``, the
  same list the workbench offers).
* ``POST cases/{number}/commands/{command}/`` — ``{opinion, reasons, outcome, decision, …}``; the
  answer is the staff view of the case with its newest ``ANSWER_TIMELINE`` timeline entries.

Both case views are built by ``sifa.workflow.caseview.case_view`` from plain rows: exactly what
``CaseSerializer`` (their schema) gives, for a fraction of its CPU time.
* ``GET  me/documents/``, ``GET documents/{public_id}/pdf/`` — see ``sifa.workflow.documents_api``.
* ``POST window/data-use/`` — 数据使用记录查阅 at the window; see ``sifa.workflow.data_use_api``.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, serializers
from rest_framework.compat import LONG_SEPARATORS, SHORT_SEPARATORS
from rest_framework.fields import SkipField, empty
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils import json as drf_json
from rest_framework.views import APIView

from sifa.accounts.authentication import ActorBearerTokenAuthentication, VerifiedSessionAuthentication
from sifa.applications.models import Application, TimelineEntry
from sifa.applications.serializers import CorrectionItemSerializer
from sifa.core.api.bodies import RequestBody, SentFieldsOnly, StrictSerializer, accepts
from sifa.core.api.schema import ErrorSerializer
from sifa.core.errors import ServiceError
from sifa.deadlines.clocks import WarningLevel
from sifa.mediation.selectors import case_summary
from sifa.organisations.models import Role
from sifa.organisations.scope import actor_for
from sifa.workflow import caseclocks, caseview, data_use_api, documents_api
from sifa.workflow.caseview import case_view
from sifa.workflow.models import WorkItemStatus
from sifa.workflow.selectors import case_for_staff, worklist
from sifa.workflow.services import COMMANDS, run_command
from sifa.workflow.services.case_audit import record_case_read
from sifa.workflow.transitions import offers

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="输入有误（缺少理由、意见等），逐项列出"),
    401: OpenApiResponse(ErrorSerializer, description="未登录或令牌无效、已过期"),
    403: OpenApiResponse(ErrorSerializer, description="workflow.role_required：在管辖范围内但岗位不符"),
    404: OpenApiResponse(ErrorSerializer, description="办件不存在或不在管辖范围内"),
    409: OpenApiResponse(ErrorSerializer, description="workflow.command_not_allowed / application.stale"),
}


class WorkItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(source="application.number")
    item_name = serializers.CharField(source="application.version.item.name")
    status = serializers.CharField(source="application.status")
    task = serializers.CharField(source="task_name")
    title = serializers.CharField()
    kind = serializers.CharField()
    stage = serializers.CharField(source="stage_name")
    organisation = serializers.CharField(source="organisation.name")
    role = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    provisional = serializers.BooleanField(
        source="clock.provisional", default=False, help_text="截止日期暂定（计入了尚未公布放假安排的年度）"
    )
    warning_level = serializers.CharField()
    created_at = serializers.DateTimeField()


class ClockSerializer(serializers.Serializer):
    purpose = serializers.CharField()
    stage = serializers.CharField()
    started_on = serializers.DateField()
    limit = serializers.CharField(source="limit.__str__")
    due_on = serializers.DateField(allow_null=True, help_text="截止日期；计时中从不为空，仅中止期间为空")
    provisional = serializers.BooleanField(
        help_text="暂定：截止日期计入了尚未公布放假安排的年度，按《全国年节及纪念日放假办法》推算"
    )
    working_days_left = serializers.IntegerField(allow_null=True)
    warning_level = serializers.CharField()
    paused = serializers.BooleanField()
    stopped_on = serializers.DateField(allow_null=True)
    suspensions = serializers.JSONField()
    extensions = serializers.JSONField()


class TimelineSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name", default=None, allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["occurred_at", "event", "title", "detail", "organisation", "public"]


class AllowedCommandSerializer(serializers.Serializer):
    command = serializers.CharField(help_text="命令，用于 POST cases/{number}/commands/{command}/")
    label = serializers.CharField(help_text="命令名称，如 受理、审查")
    task = serializers.CharField(
        allow_null=True,
        help_text="所办理的环节（任务标识）；并联环节时作为命令的 task 发送；尚未进入流程时为空",
    )


class CaseSerializer(serializers.Serializer):
    """The staff view of a case: the API's schema of it, and the reference ``caseview.case_view``
    is compared with (the views answer with ``case_view``, which builds the same JSON from plain
    rows: ``sifa/workflow/tests/test_caseview.py``)."""

    number = serializers.CharField()
    item_name = serializers.CharField(source="version.item.name")
    version = serializers.IntegerField(source="version.number")
    status = serializers.CharField()
    status_label = serializers.CharField()
    row_version = serializers.IntegerField()
    accepting_organisation = serializers.CharField(source="accepting_organisation.name")
    current_organisation = serializers.CharField(
        source="current_organisation.name", default=None, allow_null=True
    )
    accepted_at = serializers.DateTimeField(allow_null=True)
    deemed_accepted = serializers.BooleanField()
    decided_at = serializers.DateTimeField(allow_null=True)
    stage = serializers.SerializerMethodField()
    clocks = serializers.SerializerMethodField()
    work_items = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField(help_text="通知书、决定书和电子证照的出具情况")
    mediation = serializers.SerializerMethodField(
        help_text="人民调解申请：委员会、指定的调解员、申请人的选择、每次调解记录和调解结果；其他事项为空"
    )

    allowed_commands = serializers.SerializerMethodField(
        help_text="当前登录的工作人员现在可以办理的命令（状态、环节和岗位都符合；与工作台提供的操作一致）"
    )

    def _items(self, case: Application) -> list:
        """The case's work items, read once per serialized case (stage, work items and the allowed
        commands all use them)."""
        cache = self.__dict__.setdefault("_items_of", {})
        if case.pk not in cache:
            items = list(case.work_items.select_related("organisation", "clock").order_by("id"))
            for item in items:
                item.application = case  # the case at hand, with its item loaded: no join
            cache[case.pk] = items
        return cache[case.pk]

    def get_stage(self, case: Application) -> str:
        open_items = [i for i in self._items(case) if i.status == "open"]
        return "、".join(i.title for i in open_items)

    def get_clocks(self, case: Application) -> list[dict]:
        return ClockSerializer(caseclocks.case_clocks(case).order_by("id"), many=True).data

    def get_work_items(self, case: Application) -> list[dict]:
        return [
            {**WorkItemSerializer(i).data, "status": i.status, "outcome": i.outcome, "opinion": i.opinion}
            for i in self._items(case)
        ]

    @extend_schema_field(AllowedCommandSerializer(many=True))
    def get_allowed_commands(self, case: Application) -> list[dict]:
        actor = self.context.get("actor")
        if actor is None:
            return []
        items = [i for i in self._items(case) if i.status == WorkItemStatus.OPEN]
        return [
            {"command": o.command, "label": o.label, "task": o.item.task_name if o.item else None}
            for o in offers(actor, case, items)
        ]

    def get_documents(self, case: Application) -> list[dict]:
        return documents_api.case_documents(case)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_mediation(self, case: Application) -> dict | None:
        return case_summary(case)

    def get_timeline(self, case: Application) -> list[dict]:
        entries = case.timeline.values_list(*TIMELINE_COLUMNS)
        limit = self.context.get("timeline_limit")
        if limit:  # the newest ``limit`` entries, oldest first
            entries = reversed(list(entries.order_by("-occurred_at", "-id")[:limit]))
        else:
            entries = entries.order_by("occurred_at", "id")
        return timeline_rows(entries)


TIMELINE_COLUMNS = ("occurred_at", "event", "title", "detail", "organisation__name", "public")
_OCCURRED_AT = serializers.DateTimeField()


def timeline_rows(rows) -> list[dict]:
    """What ``TimelineSerializer`` gives for each entry, field for field and byte for byte, built
    from the rows' ``TIMELINE_COLUMNS``: a command's answer carries up to 50 entries, and a model
    instance and a serializer per entry were a tenth of the command's CPU time (W4 profile)."""
    at = _OCCURRED_AT.to_representation
    return [
        {
            "occurred_at": at(occurred_at),
            "event": event,
            "title": title,
            "detail": detail,
            "organisation": organisation,
            "public": public,
        }
        for occurred_at, event, title, detail, organisation, public in rows
    ]


ANSWER_TIMELINE = 50
"""A command's answer carries the case's newest 50 timeline entries (``GET cases/{number}/`` has
them all): answering a command costs the same on a long case as on a fresh one."""

TEXT = 2000
"""Longest free text a command takes (opinions, reasons, mediation records)."""


def _text(help_text: str = "", max_length: int = TEXT) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, max_length=max_length, help_text=help_text)


class CommandSerializer(SentFieldsOnly, StrictSerializer):
    """Fields used by the commands; each command reads only its own (see docs/workflow.md)."""

    task = serializers.CharField(
        required=False, max_length=100, help_text="并联环节时指明办理哪个环节（任务标识或待办编号）"
    )
    outcome = serializers.ChoiceField(["approve", "return"], required=False, help_text="审查意见")
    decision = serializers.ChoiceField(["approve", "deny"], required=False, help_text="决定")
    opinion = _text("审查或决定意见")
    reasons = _text("不予受理、不予许可的理由")
    items = CorrectionItemSerializer(
        many=True, required=False, help_text="补正内容：一次告知需要补正的全部内容（行政许可法第三十二条）"
    )
    kind = serializers.CharField(required=False, max_length=40, help_text="中止事由（行政许可法第四十五条）")
    reason = _text("中止、延长、撤回的事由说明")
    approved_by = serializers.CharField(
        required=False, max_length=100, help_text="批准延长的负责人（行政许可法第四十二条）"
    )
    method = serializers.ChoiceField(["electronic", "mail", "pickup"], required=False)
    tracking_number = _text("邮寄单号", max_length=100)
    assignee = serializers.CharField(required=False, max_length=150, help_text="承办的法律援助人员（用户名）")
    licence_number = serializers.CharField(
        required=False, max_length=40, help_text="通知辩护：指派律师的执业证号（法律援助法第三十六条）"
    )
    experience_confirmed = serializers.BooleanField(
        required=False,
        help_text="通知辩护（可能被判处无期徒刑、死刑或者死刑复核案件）：确认所指派律师具有三年以上相关执业经历（法律援助法第二十六条）",
    )
    ruling = serializers.ChoiceField(
        ["uphold", "correct"], required=False, help_text="法律援助异议：维持（uphold）或者责令改正（correct）"
    )
    mediators = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=50,
        help_text="人民调解员编号（名册中的 id）",
    )
    preference_note = _text("未按申请人选择指定调解员的理由（人民调解法第二十三条）")
    held_on = serializers.DateField(required=False, help_text="调解日期")
    place = _text("调解地点", max_length=200)
    parties_present = _text("到场当事人", max_length=300)
    summary = _text("调解情况")
    result = serializers.ChoiceField(
        ["agreement", "terminated"], required=False, help_text="结束调解：达成协议或者终止调解"
    )
    facts = _text("纠纷事实、争议事项和责任")
    terms = serializers.ListField(
        child=serializers.CharField(max_length=TEXT),
        required=False,
        max_length=50,
        help_text="协议内容，一条一项（含履行方式、期限）",
    )
    effective_on = serializers.DateField(required=False, help_text="调解协议生效日期")
    row_version = serializers.IntegerField(
        required=False, min_value=0, max_value=2**31 - 1, help_text="乐观并发：读取时的版本号"
    )


class WorkItemList(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = WorkItemSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "warning_level", OpenApiTypes.STR, enum=WarningLevel.values, description="预警等级"
            ),
            OpenApiParameter("role", OpenApiTypes.STR, enum=Role.values, description="岗位"),
            OpenApiParameter("stage", OpenApiTypes.STR, description="环节：任务标识、环节名称或环节类型"),
        ],
        responses={200: WorkItemSerializer(many=True), 400: ERRORS[400], 401: ERRORS[401], 403: ERRORS[403]},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        level, role = params.get("warning_level"), params.get("role")
        problems = []
        if level and level not in WarningLevel.values:
            problems.append(
                {
                    "field": "warning_level",
                    "code": "field.invalid_choice",
                    "message": "预警等级只能是 green、yellow 或 red",
                }
            )
        if role and role not in Role.values:
            problems.append({"field": "role", "code": "field.invalid_choice", "message": "不是有效的岗位"})
        if problems:
            raise ServiceError("validation_error", "查询条件有误", errors=problems)
        return worklist(
            actor_for(self.request.user), warning_level=level, role=role, stage=params.get("stage")
        ).order_by("warning_rank", F("due_on").asc(nulls_last=True), "id")


class CaseDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: CaseSerializer, 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]})
    def get(self, request: Request, number: str) -> Response:
        actor = actor_for(request.user)
        case = case_for_staff(actor, number)
        record_case_read(request.user, actor, case)  # the applicant's 我的数据使用记录
        return Response(case_view(case, actor))  # what CaseSerializer gives, from plain rows


# A command on a case as DRF serves it: its schema, and every request ``command`` does not answer
# itself (see there). No docstring: drf-spectacular would publish it as the operation's description.
class CaseCommand(APIView):
    # The bearer token's statement reads the caller's scope too (``request.auth.actor``).
    authentication_classes = [ActorBearerTokenAuthentication, VerifiedSessionAuthentication]
    permission_classes = [IsAuthenticated]

    _authenticated: tuple[Any, Any] | None = None
    """``(user, token)`` when :func:`case_command` already authenticated the request with the bearer
    token: DRF takes them instead of reading the token again."""
    _raised: BaseException | None = None
    """What the command raised when :func:`case_command` ran it: answered as DRF answers it, without
    running the command again."""

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        wrapped = super().initialize_request(request, *args, **kwargs)
        if self._authenticated is not None:
            wrapped._authenticator = self.authentication_classes[0]()
            wrapped.user, wrapped.auth = self._authenticated
        return wrapped

    @extend_schema(
        parameters=[
            OpenApiParameter("command", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(COMMANDS))
        ],
        responses={200: CaseSerializer, **ERRORS},
    )
    @accepts(CommandSerializer)
    def post(self, request: Request, number: str, command: str, *, body: RequestBody) -> Response:
        if self._raised is not None:
            raise self._raised
        # Once per request, the command and its answer share it: read with the token when there is
        # one (``ActorBearerTokenAuthentication``), else here.
        actor = getattr(request.auth, "actor", None) or actor_for(request.user)
        case = run_command(request.user, number, command, dict(body.validated()), actor=actor)
        if command == "withdraw":
            return Response({"number": case.number, "status": case.status, "row_version": case.row_version})
        # What CaseSerializer gives, from plain rows and the case the command worked on.
        return Response(case_view(case, actor, timeline_limit=ANSWER_TIMELINE))


_drf_command = CaseCommand.as_view()


@functools.cache
def _command_headers() -> tuple[tuple[str, str], ...]:
    """The headers DRF's ``finalize_response`` gives :class:`CaseCommand`'s answers, in its order:
    ``Vary`` (patched in first), then the others (``Allow``)."""
    view = CaseCommand()
    view.setup(None)
    headers = dict(view.default_response_headers)
    vary = headers.pop("Vary", None)
    return (*((("Vary", vary),) if vary is not None else ()), *headers.items())


_FAST_ACCEPT = frozenset({"", "*/*", "application/json"})
"""The ``Accept`` headers :func:`case_command` answers without DRF's negotiation: all choose DRF's
``JSONRenderer`` with no parameters (an ``indent``, or HTML for a browser, goes through DRF)."""

_JSON_TYPES = frozenset({"application/json", "application/json; charset=utf-8"})
"""The ``Content-Type`` of a body :func:`case_command` reads itself (DRF's ``JSONParser``, UTF-8)."""

_BEARER = ActorBearerTokenAuthentication()


@functools.cache
def _empty_body_fits() -> bool:
    """Whether ``CommandSerializer`` takes the empty object ``{}`` and gives no values: none of its
    fields is required or has a default, so validating ``{}`` depends on nothing but the
    serializer. Judged once by the serializer itself; :func:`case_command` then answers a ``{}``
    body (a resume's) without building the serializer per request."""
    serializer = CommandSerializer(data={})
    return serializer.is_valid() and dict(serializer.validated_data) == {}


_SCALAR_FIELDS = (
    serializers.CharField,
    serializers.ChoiceField,
    serializers.BooleanField,
    serializers.IntegerField,
    serializers.DateField,
)


@functools.cache
def _body_fields() -> dict[str, serializers.Field] | None:
    """``CommandSerializer``'s fields of one value each (text, choice, flag, number, date), built
    and bound once for :func:`_validated`; None when the serializer does more with a body than
    validate each sent field by itself (a required field or one with a default, a ``validate``,
    serializer-level validators)."""
    serializer = CommandSerializer()
    fields = serializer.fields
    if (
        any(field.required or field.default is not empty for field in fields.values())
        or type(serializer).validate is not serializers.Serializer.validate
        or serializer.validators
    ):
        return None
    return {
        name: field
        for name, field in fields.items()
        if type(field) in _SCALAR_FIELDS
        and not field.read_only
        and field.source_attrs == [name]
        and getattr(serializer, f"validate_{name}", None) is None
    }


def _validated(data: dict[str, Any]) -> dict[str, Any] | None:
    """What ``CommandSerializer(data=data)`` validates ``data`` to, when it is valid and sends only
    fields of one value each: each sent field validated by that field (:func:`_body_fields`,
    built once: the serializer deep-copies each sent field per request), in the serializer's field
    order; None for any other body, and for any value a field refuses (the serializer then
    validates the body, and answers its 400)."""
    fields = _body_fields()
    if fields is None or any(name not in fields for name in data):
        return None
    validated = {}
    for name, field in fields.items():
        if name in data:
            try:
                validated[name] = field.run_validation(data[name])
            except (exceptions.ValidationError, DjangoValidationError, SkipField):
                return None
    return validated


@csrf_exempt  # as DRF's views: the session's CSRF check is DRF's (``VerifiedSessionAuthentication``)
@functools.wraps(_drf_command)  # its view class and schema (drf-spectacular reads CaseCommand from it)
def case_command(request: HttpRequest, number: str, command: str) -> HttpResponse:
    """``POST /api/v1/cases/{number}/commands/{command}/``: a plain ``POST`` with a bearer token
    and a JSON body, asking for JSON (or anything), is answered here without DRF's request wrapping,
    negotiation and response: the token (with the caller's scope), the body read as DRF's
    ``JSONParser`` reads it and validated by ``CommandSerializer``, the command, and its answer
    rendered by DRF's ``JSONRenderer`` with DRF's headers — the same bytes and headers
    (``workflow/tests/test_command_view.py`` compares them). Anything else goes through
    :class:`CaseCommand` (DRF's ``dispatch``): another method, ``Accept``, content type or query
    string, no bearer token (a session) or a refused one, a body that does not parse or fit (its
    400), and what the command raises (its error answer: DRF is then given the exception, the
    command does not run twice). The token is read once: DRF is given what it gave."""
    meta = request.META
    if (
        request.method != "POST"
        or meta.get("HTTP_ACCEPT", "") not in _FAST_ACCEPT
        or meta.get("CONTENT_TYPE", "") not in _JSON_TYPES
        or meta.get("QUERY_STRING")
        or not meta.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")
    ):
        return _drf_command(request, number=number, command=command)
    try:
        found = _BEARER.authenticate(request)
    except exceptions.AuthenticationFailed:
        found = None
    if found is None:
        return _drf_command(request, number=number, command=command)
    request.user, request.auth = found
    drf = {"_authenticated": found}
    try:
        data = json.loads(request.body.decode("utf-8"), parse_constant=drf_json.strict_constant)
    except (ValueError, UnicodeDecodeError):
        data = None
    if data == {} and _empty_body_fits():  # a resume's body: what the serializer gives, known
        validated: dict[str, Any] | None = {}
    else:
        validated = _validated(data) if type(data) is dict else None
    if validated is None:
        serializer = CommandSerializer(data=data) if isinstance(data, dict) else None
        if serializer is None or not serializer.is_valid():
            return CaseCommand.as_view(**drf)(request, number=number, command=command)
        validated = dict(serializer.validated_data)
    try:
        user, token = found
        actor = getattr(token, "actor", None) or actor_for(user)
        case = run_command(user, number, command, validated, actor=actor)
        if command == "withdraw":
            answer = {"number": case.number, "status": case.status, "row_version": case.row_version}
        else:
            answer = case_view(case, actor, timeline_limit=ANSWER_TIMELINE)
    except Exception as exc:  # answered by DRF's exception handling, as before
        return CaseCommand.as_view(**drf, _raised=exc)(request, number=number, command=command)
    response = HttpResponse(_render(answer), content_type=JSONRenderer.media_type)
    for name, value in _command_headers():
        response[name] = value
    return response


_RENDERER = JSONRenderer()


@functools.cache
def _encoder() -> json.JSONEncoder:
    """The encoder ``_RENDERER.render`` has ``json.dumps`` build for an answer (no indent), built once."""
    renderer = _RENDERER
    return renderer.encoder_class(
        ensure_ascii=renderer.ensure_ascii,
        allow_nan=not renderer.strict,
        separators=SHORT_SEPARATORS if renderer.compact else LONG_SEPARATORS,
    )


_TIMELINE_MARK = "\ue000timeline\ue000"
"""The answer's timeline while the rest is encoded (a private-use character on each side)."""


def _render(answer: Any) -> bytes:
    """``_RENDERER.render(answer)``, the same bytes: the timeline's entries (``caseview.Entries``)
    spliced in as their rendered bytes kept per stored row (``caseview.Kept``) — a command's
    answer carries the same 50 entries as the one before it but one, and encoding them was most of
    encoding the answer (docs/performance.md, "session 10: W4"; their UTF-8 and escapes, "session
    11: W4"); the rest encoded as ``json.dumps`` encodes it, by the same encoder."""
    timeline = answer.get("timeline") if type(answer) is dict else None
    kept = getattr(timeline, "kept", None) if type(timeline) is caseview.Entries else None
    if kept is None or len(kept) != len(timeline):
        return _RENDERER.render(answer)
    encoder = _encoder()
    text = encoder.encode({**answer, "timeline": _TIMELINE_MARK})
    mark = encoder.encode(_TIMELINE_MARK)
    if text.count(mark) != 1:  # the mark in the answer's own text: encoded whole
        return _RENDERER.render(answer)
    head, tail = text.split(mark)
    entries = _separator(encoder).join([entry.rendered(encoder) for entry in kept])
    # The bytes ``JSONRenderer.render`` gives for the whole text — U+2028 and U+2029 escaped, then
    # UTF-8 — made piece by piece (the escape is per character): the entries' bytes are kept.
    return b"".join((caseview.renderer_bytes(head), b"[", entries, b"]", caseview.renderer_bytes(tail)))


@functools.cache
def _separator(encoder: json.JSONEncoder) -> bytes:
    return encoder.item_separator.encode()


command_urlpatterns = [
    path("cases/<str:number>/commands/<str:command>/", case_command, name="workflow-command")
]
"""A command on a case (every transition of the workflow), routed under ``api/v1/`` at the site's
top level, before the API's include (``sifa.api.urls.root_urlpatterns``): resolving it then enters
no include and tries none of the API's other patterns (docs/performance.md, "2026-12-06 (session
3): W4"). No pattern of the API matches its paths, so every path resolves as before."""

urlpatterns = [
    path("workitems/", WorkItemList.as_view(), name="workflow-workitems"),
    path("cases/<str:number>/", CaseDetail.as_view(), name="workflow-case"),
    *documents_api.urlpatterns,
    *data_use_api.urlpatterns,
]
