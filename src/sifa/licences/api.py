"""Licences API, included under ``/api/v1/`` (paths in ``urlpatterns`` at the end).

Public, no login, rate-limited: ``licences/verify/<identifier>/`` (GET), ``licences/verify/``
(POST a copy), ``keys/``. Holder and authorised staff: ``licences/<identifier>/pdf/``. Holder:
``me/licences/…`` (wallet, 用证授权, use log).
"""

from __future__ import annotations

import functools
from functools import cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifa.core import limits
from sifa.core.api import throttles
from sifa.core.api.bodies import RequestBody, StrictSerializer, accepts
from sifa.core.api.negotiation import QUICK_ACCEPT
from sifa.core.api.schema import LOGIN_ERRORS, EnumField, error_responses, file_response, path_parameter
from sifa.core.errors import NotFound
from sifa.core.identifiers import IdentifierError
from sifa.licences import pdf as licence_pdf
from sifa.licences import selectors, services, verification
from sifa.licences.models import HolderCodeType, LicenceAuthorisation, LicenceUse
from sifa.licences.payload import keyring
from sifa.licences.verification import verify_copy, verify_identifier

VERIFY_RATE = "120/min"

IDENTIFIER = path_parameter("identifier", "电子证照标识（GB/T 36904，含校验位）")
STATUS_HELP = (
    "valid 有效 / suspended 停止执业 / revoked 已吊销 / cancelled 已注销 / superseded 已换发 / expired 已过期"
)


# --- OpenAPI shapes of the answers built in ``verification``/``selectors`` (documentation only) ----


class IssuerSerializer(serializers.Serializer):
    name = serializers.CharField()
    uscc = serializers.CharField(help_text="发证机构统一社会信用代码")


class LicenceFactsSerializer(serializers.Serializer):
    identifier = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField(help_text="证照类型名称")
    type_code = serializers.CharField()
    number = serializers.CharField(help_text="证照编号")
    version = serializers.IntegerField()
    status = serializers.CharField(help_text=f"当前状态（实时）：{STATUS_HELP}")
    status_label = serializers.CharField()
    status_reason = serializers.CharField()
    status_date = serializers.DateField(allow_null=True)
    suspended_until = serializers.DateField(allow_null=True)
    superseded_by = serializers.CharField(allow_null=True, help_text="新版本的证照标识")
    holder = serializers.CharField(help_text="持证主体（个人姓名脱敏）")
    holder_code = serializers.CharField(help_text="持证主体代码（脱敏）")
    holder_code_type = EnumField(HolderCodeType)
    holder_code_type_name = serializers.CharField()
    issuer = IssuerSerializer()
    issue_date = serializers.DateField()
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    jurisdiction_code = serializers.CharField()


class CheckSerializer(serializers.Serializer):
    authentic = serializers.BooleanField(help_text="签名验证通过")
    reason_code = serializers.CharField(help_text="稳定的结果代码")
    reason = serializers.CharField(help_text="中文说明")


class VerificationSerializer(CheckSerializer, LicenceFactsSerializer):
    payload = serializers.CharField(help_text="签名数据（规范化 JSON 的 base64）")
    signature = serializers.CharField(help_text="签名值（DER 的 base64）")
    key_id = serializers.CharField(help_text="签名密钥标识，公钥见 /api/v1/keys/")
    algorithm = serializers.CharField(help_text="SM2-with-SM3 或 Ed25519")
    checked_at = serializers.DateTimeField()


class CopyVerificationSerializer(CheckSerializer):
    key_id = serializers.CharField()
    algorithm = serializers.CharField()
    identifier = serializers.CharField(help_text="签名数据中的证照标识")
    checked_at = serializers.DateTimeField()
    registered = serializers.BooleanField(required=False, help_text="证照库中有该标识（仅签名有效时）")
    matches_register = serializers.BooleanField(required=False, help_text="与证照库中的签名数据一致")
    licence = LicenceFactsSerializer(required=False, help_text="证照库中的当前信息（仅已登记时）")


class PublicKeySerializer(serializers.Serializer):
    key_id = serializers.CharField()
    algorithm = serializers.CharField()
    public_key_pem = serializers.CharField()
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(["active", "retired"], help_text="retired 的密钥仍可用于验证")


class WalletEntrySerializer(serializers.Serializer):
    identifier = serializers.CharField()
    name = serializers.CharField()
    type_code = serializers.CharField()
    number = serializers.CharField()
    version = serializers.IntegerField()
    issuer = serializers.CharField()
    issue_date = serializers.DateField()
    status = serializers.CharField(help_text=STATUS_HELP)
    status_label = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    has_pdf = serializers.BooleanField()


class WalletSerializer(serializers.Serializer):
    results = WalletEntrySerializer(many=True)


class AuthorisationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    organisation = serializers.CharField(allow_null=True)
    organisation_id = serializers.IntegerField(allow_null=True)
    application_number = serializers.CharField(allow_null=True)
    purpose = serializers.CharField()
    valid_until = serializers.DateField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class AuthorisationListSerializer(serializers.Serializer):
    results = AuthorisationSerializer(many=True)


class UseSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.CharField()
    purpose = serializers.CharField()
    organisation = serializers.CharField(allow_null=True)
    application_number = serializers.CharField(allow_null=True)
    authorisation_id = serializers.UUIDField(allow_null=True)


class UseListSerializer(serializers.Serializer):
    results = UseSerializer(many=True)


class VerifyThrottle(throttles.AnonymousThrottle):
    """Per client address, logged in or not: verification is open to anyone, scraping is not."""

    scope = "licence_verify"
    rate = VERIFY_RATE

    def allow_request(self, request: Request, view: Any) -> bool:
        """Counted with ``limits.tally``: a read-only look, the count sent to the store in batches
        (docs/adr/0015-licence-verifications-counted-in-batches.md)."""
        return self._decide(request, view, limits.tally)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [VerifyThrottle]


# The verification by identifier as DRF serves it: its schema, and every request verify() does not
# answer itself. Its docstring is the operation's description (drf-spectacular).
class VerifyView(PublicView):
    """Authentic or not, the current status (never cached), masked holder, issuer, validity, and
    the exact signed bytes with signature and key id for an offline check."""

    _checked = False
    """The throttle already counted in :func:`verify` (``_refused`` says what it decided), and
    the licence was not found when it was allowed."""
    _refused = False
    _wait: float | None = None

    def check_throttles(self, request: Request) -> None:
        if not self._checked:
            super().check_throttles(request)
        elif self._refused:
            self.throttled(request, self._wait)

    @extend_schema(
        summary="核验电子证照（免登录）",
        parameters=[IDENTIFIER],
        responses={
            200: VerificationSerializer,
            **error_responses(400, 404, 429, notes={400: "标识格式或校验位错误", 404: "licence.not_found"}),
        },
        auth=[],
    )
    def get(self, request: Request, identifier: str) -> Response:
        if self._checked:  # counted and read by verify(): not in the register
            raise verification.not_found()
        response = Response(verify_identifier(identifier))
        response["Cache-Control"] = "no-store"
        return response


_drf_verify = VerifyView.as_view()


@cache
def _verify_headers() -> tuple[tuple[str, str], ...]:
    """The headers DRF's ``finalize_response`` gives :class:`VerifyView`'s answers (``Allow``, ``Vary``)."""
    view = VerifyView()
    view.setup(None)  # as for a request: a view with get() answers HEAD too (Allow)
    return tuple(view.default_response_headers.items())


@functools.wraps(_drf_verify)  # its view class and schema (drf-spectacular reads VerifyView from it)
def verify(request: HttpRequest, identifier: str) -> HttpResponse:
    """``GET /api/v1/licences/verify/{identifier}/``: a plain ``GET`` asking for JSON (or anything)
    with a well-formed identifier is answered here, without DRF's request wrapping, negotiation
    and response: the throttle's count (every request counts, 120 a minute per client address) and,
    only when it allows the request, the licence's read, in one statement on PostgreSQL
    (:func:`sifa.licences.verification.checked_verification`), and the answer's JSON as DRF's
    renderer writes it. The bytes and headers are DRF's (``tests/perf/test_queries_verify.py``
    compares them for every kind of answer). The 404 and 429 answers (with the count already
    made), a malformed identifier (400, counted by DRF's throttle first, as before), and every
    other request (HEAD, OPTIONS, a browser's ``Accept``, a query string) are :class:`VerifyView`'s
    through DRF's ``dispatch``."""
    if request.method != "GET" or request.GET or request.META.get("HTTP_ACCEPT", "*/*") not in QUICK_ACCEPT:
        return _drf_verify(request, identifier=identifier)
    try:
        canonical = verification.canonical(identifier)
    except IdentifierError:
        return _drf_verify(request, identifier=identifier)
    throttle = VerifyThrottle()
    decision, body = verification.checked_verification(
        canonical,
        throttle.get_cache_key(request, None) if throttle.rate is not None else None,
        limits.Rate(throttle.num_requests or 0, throttle.duration or 0),
    )
    if body is None:
        refused = decision is not None and not decision.allowed
        view = VerifyView(_checked=True, _refused=refused, _wait=decision.retry_after if refused else None)
        view.setup(request, identifier=identifier)
        return view.dispatch(request, identifier=identifier)
    response = HttpResponse(body, content_type=JSONRenderer.media_type)
    response["Cache-Control"] = "no-store"
    for name, value in _verify_headers():
        response[name] = value
    return response


class CopySerializer(StrictSerializer):
    payload = serializers.CharField(max_length=100_000, trim_whitespace=True)
    signature = serializers.CharField(max_length=400, trim_whitespace=True)
    key_id = serializers.CharField(max_length=80, trim_whitespace=True)


class VerifyCopyView(PublicView):
    """Check a copy ``{payload, signature, key_id}`` (base64, base64 DER, key id).

    A well-formed copy with a bad signature answers 200 with ``authentic: false`` and a reason;
    malformed input (bad base64, not canonical JSON, unknown key id) answers 400 with a code.
    """

    @extend_schema(
        summary="核验证照副本的签名（免登录）",
        responses={
            200: CopyVerificationSerializer,
            **error_responses(400, 429, notes={400: "base64 错误、非规范 JSON 或未知密钥标识"}),
        },
        auth=[],
    )
    @accepts(CopySerializer)
    def post(self, request: Request, *, body: RequestBody) -> Response:
        data = body.validated()
        response = Response(verify_copy(data["payload"], data["signature"], data["key_id"]))
        response["Cache-Control"] = "no-store"
        return response


class KeysView(PublicView):
    """Public keys (PEM) with key ids, algorithm, validity and status; retired keys still verify."""

    @extend_schema(
        summary="签名公钥（免登录）",
        responses={200: PublicKeySerializer(many=True), **error_responses(429)},
        auth=[],
    )
    def get(self, request: Request) -> Response:
        return Response(keyring().public_keys())


class PdfView(APIView):
    """The sealed PDF, for the holder and for staff the holder authorised (others: 404)."""

    @extend_schema(
        summary="下载电子证照版式文件（持证人及经授权的工作人员）",
        parameters=[IDENTIFIER],
        responses={
            **file_response("application/pdf", "加盖电子印章的 PDF；X-Content-SM3 为其 SM3 摘要"),
            **error_responses(*LOGIN_ERRORS, 404, notes={404: "licence.not_found、licence.no_pdf"}),
        },
    )
    def get(self, request: Request, identifier: str) -> HttpResponse:
        licence, authorisation = selectors.licence_for_download(request.user, identifier)
        if not licence.pdf_storage_key:
            raise NotFound("该电子证照暂无版式文件（PDF）", "licence.no_pdf")
        if authorisation is not None:
            services.record_use(
                licence,
                action="download_pdf",
                purpose=authorisation.purpose,
                user=request.user,
                organisation=authorisation.grantee_organisation,
                application=authorisation.grantee_application,
                authorisation=authorisation,
            )
        return licence_pdf.pdf_response(licence)


def wallet_entry(licence: Any) -> dict[str, Any]:
    return {
        "identifier": licence.identifier,
        "name": licence.name,
        "type_code": licence.licence_type.code,
        "number": licence.number,
        "version": licence.version,
        "issuer": licence.issuer_name,
        "issue_date": licence.issue_date,
        "status": licence.effective_status(),
        "status_label": licence.effective_status_label(),
        "valid_from": licence.valid_from,
        "valid_until": licence.valid_until,
        "has_pdf": bool(licence.pdf_storage_key),
    }


class WalletView(APIView):
    """我的证照: every licence (and version) held by the caller."""

    @extend_schema(summary="我的证照", responses={200: WalletSerializer, **error_responses(*LOGIN_ERRORS)})
    def get(self, request: Request) -> Response:
        return Response(
            {"results": [wallet_entry(licence) for licence in selectors.my_licences(request.user)]}
        )


class GrantSerializer(StrictSerializer):
    organisation_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1
    )
    application_number = serializers.CharField(required=False, allow_blank=True, max_length=50)
    purpose = serializers.CharField(max_length=200)
    valid_until = serializers.DateField()


def authorisation_entry(grant: LicenceAuthorisation) -> dict[str, Any]:
    return {
        "id": str(grant.id),
        "organisation": grant.grantee_organisation.name if grant.grantee_organisation_id else None,
        "organisation_id": grant.grantee_organisation_id,
        "application_number": grant.grantee_application.number if grant.grantee_application_id else None,
        "purpose": grant.purpose,
        "valid_until": grant.valid_until,
        "revoked_at": grant.revoked_at,
        "active": grant.is_active(),
        "created_at": grant.created_at,
    }


class AuthorisationsView(APIView):
    """用证授权: list (GET) or grant (POST {organisation_id | application_number, purpose, valid_until})."""

    @extend_schema(
        summary="用证授权列表",
        parameters=[IDENTIFIER],
        responses={200: AuthorisationListSerializer, **error_responses(*LOGIN_ERRORS, 404)},
    )
    def get(self, request: Request, identifier: str) -> Response:
        licence = selectors.my_licence(request.user, identifier)
        grants = licence.authorisations.select_related("grantee_organisation", "grantee_application")
        return Response({"results": [authorisation_entry(g) for g in grants]})

    @extend_schema(
        summary="授权机构或办件使用证照",
        parameters=[IDENTIFIER],
        responses={
            201: AuthorisationSerializer,
            **error_responses(400, *LOGIN_ERRORS, 404, 409, notes={409: "licence.not_usable"}),
        },
    )
    @accepts(GrantSerializer)
    def post(self, request: Request, identifier: str, *, body: RequestBody) -> Response:
        licence = selectors.my_licence(request.user, identifier)
        data = body.validated()
        grant = services.grant(
            licence,
            holder=request.user,
            purpose=data["purpose"],
            valid_until=data["valid_until"],
            organisation_id=data.get("organisation_id"),
            application_number=data.get("application_number") or None,
        )
        return Response(authorisation_entry(grant), status=status.HTTP_201_CREATED)


class RevokeAuthorisationView(APIView):
    @extend_schema(
        summary="撤销用证授权",
        parameters=[IDENTIFIER, path_parameter("authorisation_id", "用证授权 id（UUID）")],
        responses={200: AuthorisationSerializer, **error_responses(*LOGIN_ERRORS, 404)},
    )
    @accepts(None)
    def post(self, request: Request, identifier: str, authorisation_id: str) -> Response:
        licence = selectors.my_licence(request.user, identifier)
        grant = services.revoke_grant(licence, authorisation_id, holder=request.user)
        return Response(authorisation_entry(grant))


def use_entry(use: LicenceUse) -> dict[str, Any]:
    return {
        "at": use.at,
        "action": use.action,
        "purpose": use.purpose,
        "organisation": use.used_by_organisation.name if use.used_by_organisation_id else None,
        "application_number": use.application.number if use.application_id else None,
        "authorisation_id": str(use.authorisation_id) if use.authorisation_id else None,
    }


class UsesView(APIView):
    """Every use of one of my licences (用证记录)."""

    @extend_schema(
        summary="用证记录",
        parameters=[IDENTIFIER],
        responses={200: UseListSerializer, **error_responses(*LOGIN_ERRORS, 404)},
    )
    def get(self, request: Request, identifier: str) -> Response:
        licence = selectors.my_licence(request.user, identifier)
        return Response({"results": [use_entry(u) for u in selectors.uses_for_holder(licence)]})


urlpatterns = [
    path("licences/verify/", VerifyCopyView.as_view(), name="licence-verify-copy"),
    path("licences/<str:identifier>/pdf/", PdfView.as_view(), name="licence-pdf"),
    path("keys/", KeysView.as_view(), name="signing-keys"),
    path("me/licences/", WalletView.as_view(), name="my-licences"),
    path(
        "me/licences/<str:identifier>/authorisations/",
        AuthorisationsView.as_view(),
        name="my-licence-authorisations",
    ),
    path(
        "me/licences/<str:identifier>/authorisations/<str:authorisation_id>/revoke/",
        RevokeAuthorisationView.as_view(),
        name="my-licence-authorisation-revoke",
    ),
    path("me/licences/<str:identifier>/uses/", UsesView.as_view(), name="my-licence-uses"),
]

public_urlpatterns = [path("licences/verify/<str:identifier>/", verify, name="licence-verify")]
"""Verification by identifier (a QR code scanned), routed under ``api/v1/`` at the site's top level,
before the API's include (``sifa.api.urls.root_urlpatterns``: Django tries patterns in order)."""
