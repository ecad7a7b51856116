"""Accounts API, included under ``/api/v1/`` (see ``urlpatterns`` at the end for the paths).

Views validate shapes, call ``services`` for every write and ``selectors`` for every read.
"""

from __future__ import annotations

import functools
from json.encoder import encode_basestring, encode_basestring_ascii
from operator import itemgetter
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.compat import LONG_SEPARATORS, SHORT_SEPARATORS, split_header_value
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.accounts import consents, selectors, serializers, services
from sifa.accounts.authentication import (
    READ_ATTRIBUTE,
    AccountBearerTokenAuthentication,
    VerifiedSessionAuthentication,
    accept,
    bearer_key,
    token_with_user,
)
from sifa.accounts.models import AccountKind, ApiToken, ConsentChannel, User
from sifa.accounts.services.common import FieldErrors
from sifa.audit import context
from sifa.core.api import throttles
from sifa.core.api.bodies import RequestBody, accepts
from sifa.core.api.negotiation import QUICK_ACCEPT
from sifa.core.api.schema import LOGIN_ERRORS, error_responses, path_parameter
from sifa.core.errors import Forbidden, ServiceError
from sifa.organisations.scope import actor_for

REGISTRATION_ERRORS = error_responses(
    400, 409, 429, notes={400: "各项问题一次列全", 409: "account.duplicate_phone 等：已注册"}
)


class LoginThrottle(throttles.AnonymousThrottle):
    scope = "login"
    rate = "30/min"


class RegistrationThrottle(throttles.AnonymousThrottle):
    scope = "registration"
    rate = "10/hour"


class SmsCodeThrottle(throttles.AnonymousThrottle):
    scope = "sms_code"
    rate = "10/hour"


def _token_response(user: User) -> Response:
    key, token = services.issue_api_token(user)
    body = {"token": key, "expires_at": token.expires_at, "user": serializers.user_summary(user)}
    return Response(body, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    """Issue a bearer token: {username, password, totp} (staff need totp; citizens may use
    their phone as username), or {phone, sms_code} for citizens."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginThrottle]

    @extend_schema(
        summary="登录取得令牌",
        responses={
            201: serializers.TokenSerializer,
            **error_responses(
                400,
                401,
                429,
                notes={
                    401: "auth.invalid_credentials、auth.totp_required 等",
                    429: "auth.locked：失败次数过多，账户临时锁定",
                },
            ),
        },
        auth=[],
    )
    @accepts(serializers.TokenRequestSerializer)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        data = body.validated()
        if data["sms_code"] or (data["phone"] and not data["username"]):
            errors = FieldErrors()
            if not data["phone"]:
                errors.add("phone", "field.required", "请填写手机号码")
            if not data["sms_code"]:
                errors.add("sms_code", "field.required", "请填写短信验证码")
            errors.raise_if_any()
            result = services.login_with_sms_code(request, phone=data["phone"], code=data["sms_code"])
        else:
            errors = FieldErrors()
            if not data["username"]:
                errors.add("username", "field.required", "请填写用户名或手机号码")
            if not data["password"]:
                errors.add("password", "field.required", "请填写密码")
            errors.raise_if_any()
            result = services.login_with_password(
                request, identifier=data["username"], password=data["password"], totp=data["totp"]
            )
        context.bind_user(result.user)
        return _token_response(result.user)


class TokenRevokeView(APIView):
    """Revoke the bearer token this request was made with."""

    @extend_schema(
        summary="吊销当前令牌",
        responses={
            204: None,
            **error_responses(400, *LOGIN_ERRORS, notes={400: "auth.no_token：须用要吊销的令牌发起请求"}),
        },
    )
    @accepts(None)
    def post(self, request: Request) -> Response:
        if not isinstance(request.auth, ApiToken):
            raise ServiceError("auth.no_token", "请使用要吊销的令牌发起请求（Authorization: Bearer …）")
        services.revoke_api_token(request.auth, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SmsCodeView(APIView):
    """Send a 6-digit login code by SMS (5 minutes, one per number per 60 s)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SmsCodeThrottle]

    @extend_schema(
        summary="发送短信验证码",
        responses={
            202: serializers.AcceptedSerializer,
            **error_responses(
                400,
                429,
                503,
                notes={
                    429: "auth.sms_rate_limited：同一号码60秒内只发一次",
                    503: "auth.sms_unavailable：短信网关未配置或不可用",
                },
            ),
        },
        auth=[],
    )
    @accepts(serializers.SmsCodeRequestSerializer)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        data = body.validated()
        services.send_sms_code(data["phone"])
        # Same answer for registered and unknown numbers: no account enumeration.
        return Response(
            {"detail": "如该号码已注册，验证码已发送，5分钟内有效"}, status=status.HTTP_202_ACCEPTED
        )


class RegisterPersonView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [RegistrationThrottle]

    @extend_schema(
        summary="自然人注册",
        responses={201: serializers.UserSummarySerializer, **REGISTRATION_ERRORS},
        auth=[],
    )
    @accepts(serializers.RegisterPersonSerializer)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        data = body.validated()
        person = services.register_person(**data, channel=ConsentChannel.API)
        return Response(serializers.user_summary(person.user), status=status.HTTP_201_CREATED)


class RegisterCompanyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [RegistrationThrottle]

    @extend_schema(
        summary="法人注册",
        responses={201: serializers.UserSummarySerializer, **REGISTRATION_ERRORS},
        auth=[],
    )
    @accepts(serializers.RegisterCompanySerializer)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        data = body.validated()
        company = services.register_company(**data)
        return Response(serializers.user_summary(company.user), status=status.HTTP_201_CREATED)


class MeView(APIView):
    """The caller: masked identifiers only, memberships, and for citizens their mandates."""

    authentication_classes = [AccountBearerTokenAuthentication, VerifiedSessionAuthentication]

    @extend_schema(
        summary="当前用户", responses={200: serializers.MeSerializer, **error_responses(*LOGIN_ERRORS)}
    )
    def get(self, request: Request) -> Response:
        return Response(me_body(request.user, getattr(request.auth, "account", None)))


def me_body(user: User, account) -> dict[str, Any]:
    """The answer of ``GET /api/v1/me/`` for ``user``; ``account``: what ``selectors.own_account``
    gives, when the token's statement read it already (else it is read here)."""
    memberships, person, region, mine = account if account is not None else selectors.own_account(user)
    body = {
        **serializers.user_summary(user),
        "phone_masked": user.phone_masked,
        "person": None,
        "company": None,
        "region": None,
        "memberships": memberships,
    }
    if person is not None:
        body["person"], body["region"] = person, region
    company = getattr(user, "company", None) if user.kind == AccountKind.COMPANY else None
    if company is not None:
        body["company"] = serializers.CompanySerializer(company).data
        body["region"] = serializers.region_data(company.region)
    if user.kind != AccountKind.STAFF:
        # The caller's own mandates, scoped in the statement that read the account (the owners'
        # rule: what ``scoped(mandates, actor_for(user))`` leaves of them; docs/performance.md,
        # "session 15: me").
        if mine is None:  # not read with the account (a token taken for a staff account's)
            mine = selectors.own_mandate_rows(user)
        given, received = selectors.own_mandates(user, mine)
        body["mandates"] = {
            "given": serializers.MandateSerializer(given, many=True).data,
            "received": serializers.MandateSerializer(received, many=True).data,
        }
    return body


_drf_me = MeView.as_view()


@functools.cache
def _me_headers() -> tuple[list[str] | None, tuple[tuple[str, str], ...]]:
    """What DRF's ``finalize_response`` adds to :class:`MeView`'s answers: the ``Vary`` values it
    patches in first, then the other headers (``Allow``), in its order."""
    view = MeView()
    view.setup(None)  # as for a request: a view with get() answers HEAD too (Allow)
    headers = dict(view.default_response_headers)
    vary = headers.pop("Vary", None)
    return (None if vary is None else list(split_header_value(vary))), tuple(headers.items())


@functools.cache
def _me_header_store() -> dict[str, tuple[str, str]]:
    """:func:`_me_headers` as a fresh answer's header store holds them once the ``Vary`` values are
    patched in and the others set one by one (checked and converted once per process, not per
    answer; as ``sifa.applications.api.track`` sets its own)."""
    response = HttpResponse(content_type=JSONRenderer.media_type)
    vary, headers = _me_headers()
    if vary is not None:
        patch_vary_headers(response, vary)
    for name, value in headers:
        response[name] = value
    return {name: header for name, header in response.headers._store.items() if name != "content-type"}


@csrf_exempt
@functools.wraps(_drf_me)  # its view class and schema (drf-spectacular reads MeView from it)
def me(request: HttpRequest) -> HttpResponse:
    """``GET /api/v1/me/`` with a bearer token: a plain ``GET`` (no query string) asking for JSON
    (``Accept`` absent, ``*/*`` or ``application/json``) with a well-formed ``Authorization: Bearer``
    header is answered here, without DRF's request wrapping, negotiation, authentication loop and
    response: the token's statement (the same read, :func:`token_with_user`), the same stamp and
    audit context (:func:`accept`), the same body (:func:`me_body`) written by DRF's
    ``JSONRenderer``, with the headers DRF gives it (docs/performance.md, "session 5: me").

    A token that is not live (revoked, expired, its account deactivated, unknown) is answered by
    :class:`MeView` through DRF (its 401), with the read made here (not read twice); so is every
    other request (a session, HEAD, OPTIONS, a browser's ``Accept``, a query string), and an error
    raised on the way is answered by DRF's exception handling as :class:`MeView` answers it."""
    if (
        request.method != "GET"
        or request.META.get("QUERY_STRING")
        or request.META.get("HTTP_ACCEPT", "*/*") not in QUICK_ACCEPT
    ):
        return _drf_me(request)
    key = bearer_key(request)
    if key is None:
        return _drf_me(request)
    try:
        # Only the fields read here (``narrow``: the others deferred); a token not live is None.
        token = token_with_user(key, with_account=True, narrow=True)
        if token is None:
            setattr(request, READ_ATTRIBUTE, (key, (True, False), None))
            return _drf_me(request)
        accept(token)
        request.user, request.auth = token.user, token  # as DRF's ``Request`` sets them
        content = me_json(token.user, token.account)
    except Exception as error:  # answered as DRF's dispatch answers it
        return _drf_error(request, error)
    response = HttpResponse(content, content_type=JSONRenderer.media_type)
    response.headers._store.update(_me_header_store())  # after Content-Type, as set one by one
    return response


_SEPARATORS = SHORT_SEPARATORS if JSONRenderer.compact else LONG_SEPARATORS
_ENCODER = JSONRenderer.encoder_class(
    ensure_ascii=JSONRenderer.ensure_ascii, allow_nan=not JSONRenderer.strict, separators=_SEPARATORS
)
"""``json.dumps`` with DRF's encoder and settings, as ``JSONRenderer().render`` calls it (no
``indent``: the plain view's ``Accept`` has none), made once: ``json.dumps(…, cls=…)`` builds one per
call."""
_STRING = encode_basestring_ascii if JSONRenderer.ensure_ascii else encode_basestring
"""A string as the encoder writes it (its C function)."""


def _object(keys: tuple[str, ...]) -> str:
    """An object of ``keys`` as :data:`_ENCODER` writes it, each value a ``%s`` (the value's JSON)."""
    item_separator, key_separator = (separator.replace("%", "%%") for separator in _SEPARATORS)
    return (
        "{" + item_separator.join(f"{_STRING(key).replace('%', '%%')}{key_separator}%s" for key in keys) + "}"
    )


_STAFF_ME = _object(
    (
        "public_id",
        "username",
        "kind",
        "display_name",
        "phone_masked",
        "person",
        "company",
        "region",
        "memberships",
    )
)
_MEMBERSHIP = _object(("organisation", "role", "role_display"))
_ORGANISATION_KEYS = ("id", "name", "level", "path", "region_code")
_ORGANISATION = _object(_ORGANISATION_KEYS)
""":func:`me_body`'s objects for a staff account (no company, no mandates) with their keys written
once, in its order: only the values are encoded per request."""


def _value(value: Any) -> str:
    return _STRING(value) if type(value) is str else _ENCODER.encode(value)


def me_json(user: User, account) -> bytes:
    """``JSONRenderer().render(me_body(user, account))``, byte for byte: DRF's encoder and settings
    and its escaping of U+2028/U+2029; a staff account's answer written into :func:`me_body`'s
    objects' templates (``_STAFF_ME``…), the same bytes without the renderer's steps and the
    encoder's walk over the dictionaries (``accounts/tests/test_me_plain.py`` compares both)."""
    if user.kind != AccountKind.STAFF or account is None:
        text = _ENCODER.encode(me_body(user, account))
    else:
        memberships, person, region, _mine = account
        members = [
            _MEMBERSHIP
            % (
                _ORGANISATION
                % tuple(map(_value, itemgetter(*_ORGANISATION_KEYS)(membership["organisation"]))),
                _value(membership["role"]),
                _value(membership["role_display"]),
            )
            for membership in memberships
        ]
        text = _STAFF_ME % (
            _value(str(user.public_id)),
            _value(user.username),
            _value(user.kind),
            _value(user.display_name),
            _value(user.phone_masked),
            _value(person),
            "null",
            "null" if person is None else _value(region),  # as me_body: the person's region
            f"[{_SEPARATORS[0].join(members)}]",
        )
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def _drf_error(request: HttpRequest, error: Exception) -> HttpResponse:
    """The answer :class:`MeView`'s ``dispatch`` gives when ``error`` is raised in it."""
    view = MeView()
    view.setup(request)
    view.args, view.kwargs = (), {}
    wrapped = view.initialize_request(request)
    view.request = wrapped
    view.headers = view.default_response_headers
    view.format_kwarg = view.get_format_suffix()
    wrapped.accepted_renderer, wrapped.accepted_media_type = view.perform_content_negotiation(wrapped)
    wrapped.version, wrapped.versioning_scheme = view.determine_version(wrapped)
    response = view.handle_exception(error)
    view.response = view.finalize_response(wrapped, response)
    return view.response


class PersonViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    filter_backends: list = []  # the lookups below go through selectors (blind index), not django-filter

    @extend_schema(
        parameters=[
            OpenApiParameter("id_number", str, description="精确查找：公民身份号码（盲索引，不解密）")
        ],
        responses={200: serializers.PersonListSerializer(many=True), **error_responses(*LOGIN_ERRORS)},
    )
    def list(self, request: Request) -> Response:
        queryset = selectors.persons(
            actor_for(request.user), id_number=request.query_params.get("id_number", "")
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializers.PersonListSerializer(page, many=True).data)

    @extend_schema(
        parameters=[
            path_parameter("id", "自然人 id（UUID）"),
            OpenApiParameter("purpose", str, description="查看用途（记入个人数据查看记录），默认“办理业务”"),
        ],
        responses={200: serializers.PersonDetailSerializer, **error_responses(*LOGIN_ERRORS, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        actor = actor_for(request.user)
        row = selectors.person(actor, pk)
        purpose = request.query_params.get("purpose", "").strip() or selectors.DEFAULT_PURPOSE
        revealed = selectors.reveal_person(actor, request.user, row, purpose=purpose)
        return Response(serializers.PersonDetailSerializer(row, context={"revealed": revealed}).data)


class CompanyViewSet(viewsets.GenericViewSet):
    filter_backends: list = []  # the uscc lookup goes through selectors, not django-filter

    @extend_schema(
        parameters=[OpenApiParameter("uscc", str, description="精确查找：统一社会信用代码")],
        responses={200: serializers.CompanySerializer(many=True), **error_responses(*LOGIN_ERRORS)},
    )
    def list(self, request: Request) -> Response:
        queryset = selectors.companies(actor_for(request.user), uscc=request.query_params.get("uscc", ""))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializers.CompanySerializer(page, many=True).data)

    @extend_schema(
        parameters=[
            path_parameter("id", "法人 id（UUID）"),
            OpenApiParameter("purpose", str, description="查看用途（记入个人数据查看记录），默认“办理业务”"),
        ],
        responses={200: serializers.CompanySerializer, **error_responses(*LOGIN_ERRORS, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        actor = actor_for(request.user)
        row = selectors.company(actor, pk)
        purpose = request.query_params.get("purpose", "").strip() or selectors.DEFAULT_PURPOSE
        selectors.log_company_read(actor, request.user, row, purpose=purpose)
        return Response(serializers.CompanySerializer(row).data)


def _agent_for(data: dict[str, Any]) -> User:
    """The agent named on the 委托书: a person by name + ID number, a company by name + USCC."""
    company = data["agent_kind"] == AccountKind.COMPANY
    return selectors.agent_by_identity(
        kind=data["agent_kind"],
        name=data["agent_name"],
        identifier=data["agent_uscc"] if company else data["agent_id_number"],
        field="agent_uscc" if company else "agent_id_number",
    )


@extend_schema_view(
    list=extend_schema(
        responses={200: serializers.MandateSerializer(many=True), **error_responses(*LOGIN_ERRORS)}
    )
)
class MandateViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.MandateSerializer

    def get_queryset(self):
        return selectors.mandates(actor_for(self.request.user))

    @extend_schema(
        parameters=[path_parameter("id", "委托 id（UUID）")],
        responses={200: serializers.MandateSerializer, **error_responses(*LOGIN_ERRORS, 404)},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.serializer_class(selectors.mandate(actor_for(request.user), pk)).data)

    @extend_schema(
        summary="办理委托（委托书）",
        responses={
            201: serializers.MandateSerializer,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                409,
                notes={
                    409: "mandate.overlap：与同一受托人的有效委托在日期和事项上重叠",
                    400: "mandate.agent_not_found：受托人须已注册，姓名（名称）与证件号码相符；"
                    "mandate.scope_unknown 等：各项问题一次列全",
                    403: "mandate.principal_invalid：只有群众或企业账户可以委托",
                },
            ),
        },
    )
    @accepts(serializers.MandateCreateSerializer)
    def create(self, request: Request, *, body: RequestBody) -> Response:
        if request.user.kind not in (AccountKind.PERSON, AccountKind.COMPANY):
            raise Forbidden("只有群众或企业账户可以办理委托", code="mandate.principal_invalid")
        data = body.validated()
        mandate = services.create_mandate(
            principal=request.user,
            agent=_agent_for(data),
            scope=data["scope"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            document_reference=data["document_reference"],
        )
        return Response(self.serializer_class(mandate).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="撤销委托",
        parameters=[path_parameter("id", "委托 id（UUID）")],
        responses={
            200: serializers.MandateSerializer,
            **error_responses(*LOGIN_ERRORS, 404, 409, notes={409: "mandate.already_revoked"}),
        },
    )
    @accepts(None)
    def revoke(self, request: Request, pk: str) -> Response:
        mandate = services.revoke_mandate(selectors.mandate(actor_for(request.user), pk), by=request.user)
        return Response(self.serializer_class(mandate).data)


def _consent_text_data(text: consents.ConsentText) -> dict[str, Any]:
    return {
        "code": text.code,
        "version": text.version,
        "effective": text.effective,
        "title": text.title,
        "text": text.text,
        "legal_basis": text.legal_basis,
        "withdrawable": text.withdrawable,
        "withdrawal_consequence": text.withdrawal_consequence,
        "per_application": text.per_application,
    }


class ConsentTextsView(APIView):
    """The consent texts in force today (what a registration page or app shows next to the box)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="同意书（当前版本）", responses={200: serializers.ConsentTextSerializer(many=True)}, auth=[]
    )
    def get(self, request: Request) -> Response:
        return Response([_consent_text_data(consents.current(code)) for code in consents.codes()])


def _consent_record_data(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in serializers.ConsentRecordSerializer().fields}


class MyConsentsView(APIView):
    """The caller's consents (own rows only: the address names no one), and giving one again."""

    @extend_schema(
        summary="我的授权同意记录",
        responses={200: serializers.ConsentRecordSerializer(many=True), **error_responses(*LOGIN_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return Response([_consent_record_data(row) for row in selectors.consent_rows(request.user)])

    @extend_schema(
        summary="重新同意（如撤回后再同意处理公民身份号码）",
        responses={
            201: serializers.ConsentRecordSerializer,
            **error_responses(
                400,
                *LOGIN_ERRORS,
                409,
                notes={409: "consent.stale_version：同意书已更新；consent.give_on_application：在申请页勾选"},
            ),
        },
    )
    @accepts(serializers.ConsentGiveSerializer)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        data = body.validated()
        record = services.give_consent_again(
            request.user, data["code"], version=data["version"], channel=ConsentChannel.API
        )
        [row] = [r for r in selectors.consent_rows(request.user) if r["id"] == record.pk]
        return Response(_consent_record_data(row), status=status.HTTP_201_CREATED)


class ConsentWithdrawView(APIView):
    @extend_schema(
        summary="撤回同意（个人信息保护法第十五条）",
        parameters=[path_parameter("id", "同意记录 id")],
        responses={
            200: serializers.ConsentRecordSerializer,
            **error_responses(
                *LOGIN_ERRORS,
                404,
                409,
                notes={409: "consent.withdraw_on_application：针对一件申请的同意在该申请页撤回"},
            ),
        },
    )
    @accepts(None)
    def post(self, request: Request, pk: str) -> Response:
        record = services.withdraw_consent(request.user, pk, channel=ConsentChannel.API)
        [row] = [r for r in selectors.consent_rows(request.user) if r["id"] == record.pk]
        return Response(_consent_record_data(row))


first_urlpatterns = [path("me/", me, name="me")]
"""``GET /api/v1/me/``, routed at the site's top level before ``api/v1/``'s include
(``sifa.api.urls.root_urlpatterns``): every API client reads it on start and after, and each include
Django enters or passes over on the way costs its list of tried patterns and a match of its own
(docs/performance.md, "2026-12-06 (day): me" and "2026-12-07 (session 8): me")."""

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("auth/token/revoke/", TokenRevokeView.as_view(), name="auth-token-revoke"),
    path("auth/sms-code/", SmsCodeView.as_view(), name="auth-sms-code"),
    path("accounts/register/person/", RegisterPersonView.as_view(), name="register-person"),
    path("accounts/register/company/", RegisterCompanyView.as_view(), name="register-company"),
    path("accounts/consent-texts/", ConsentTextsView.as_view(), name="consent-texts"),
    path("me/consents/", MyConsentsView.as_view(), name="my-consents"),
    path("me/consents/<str:pk>/withdraw/", ConsentWithdrawView.as_view(), name="my-consent-withdraw"),
    path("persons/", PersonViewSet.as_view({"get": "list"}), name="person-list"),
    path("persons/<str:pk>/", PersonViewSet.as_view({"get": "retrieve"}), name="person-detail"),
    path("companies/", CompanyViewSet.as_view({"get": "list"}), name="company-list"),
    path("companies/<str:pk>/", CompanyViewSet.as_view({"get": "retrieve"}), name="company-detail"),
    path("mandates/", MandateViewSet.as_view({"get": "list", "post": "create"}), name="mandate-list"),
    path("mandates/<str:pk>/", MandateViewSet.as_view({"get": "retrieve"}), name="mandate-detail"),
    path("mandates/<str:pk>/revoke/", MandateViewSet.as_view({"post": "revoke"}), name="mandate-revoke"),
]
