"""Licences API, included under ``/api/v1/`` (paths in ``urlpatterns`` at the end).

Public, no login, rate-limited: ``licences/verify/<identifier>/`` (GET), ``licences/verify/``
(POST a copy), ``keys/``. Holder and authorised staff: ``licences/<identifier>/pdf/``. Holder:
``me/licences/…`` (wallet, 用证授权, use log).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from sifa.core.errors import NotFound
from sifa.licences import pdf as licence_pdf
from sifa.licences import wallet
from sifa.licences.models import LicenceAuthorisation, LicenceUse
from sifa.licences.payload import keyring
from sifa.licences.verification import verify_copy, verify_identifier

VERIFY_RATE = "120/min"


class VerifyThrottle(AnonRateThrottle):
    """Per client address, logged in or not: verification is open to anyone, scraping is not."""

    scope = "licence_verify"
    rate = VERIFY_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [VerifyThrottle]


class VerifyView(PublicView):
    """Authentic or not, the current status (never cached), masked holder, issuer, validity, and
    the exact signed bytes with signature and key id for an offline check."""

    @extend_schema(responses={200: dict}, auth=[])
    def get(self, request: Request, identifier: str) -> Response:
        response = Response(verify_identifier(identifier))
        response["Cache-Control"] = "no-store"
        return response


class CopySerializer(serializers.Serializer):
    payload = serializers.CharField(max_length=100_000, trim_whitespace=True)
    signature = serializers.CharField(max_length=400, trim_whitespace=True)
    key_id = serializers.CharField(max_length=80, trim_whitespace=True)


class VerifyCopyView(PublicView):
    """Check a copy ``{payload, signature, key_id}`` (base64, base64 DER, key id).

    A well-formed copy with a bad signature answers 200 with ``authentic: false`` and a reason;
    malformed input (bad base64, not canonical JSON, unknown key id) answers 400 with a code.
    """

    @extend_schema(request=CopySerializer, responses={200: dict}, auth=[])
    def post(self, request: Request) -> Response:
        serializer = CopySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        response = Response(verify_copy(data["payload"], data["signature"], data["key_id"]))
        response["Cache-Control"] = "no-store"
        return response


class KeysView(PublicView):
    """Public keys (PEM) with key ids, algorithm, validity and status; retired keys still verify."""

    @extend_schema(responses={200: dict}, auth=[])
    def get(self, request: Request) -> Response:
        return Response(keyring().public_keys())


class PdfView(APIView):
    """The sealed PDF, for the holder and for staff the holder authorised (others: 404)."""

    @extend_schema(responses={(200, "application/pdf"): bytes})
    def get(self, request: Request, identifier: str) -> HttpResponse:
        licence, authorisation = wallet.licence_for_download(request.user, identifier)
        if not licence.pdf_storage_key:
            raise NotFound("该电子证照暂无版式文件（PDF）", "licence.no_pdf")
        if authorisation is not None:
            wallet.record_use(
                licence,
                action="download_pdf",
                purpose=authorisation.purpose,
                user=request.user,
                organisation=authorisation.grantee_organisation,
                application=authorisation.grantee_application,
                authorisation=authorisation,
            )
        response = HttpResponse(licence_pdf.read_pdf(licence), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="licence-{licence.number}-{licence.version:03d}.pdf"'
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-SM3"] = licence.pdf_sm3
        response["X-Content-SM2-Key-Id"] = licence.pdf_key_id
        return response


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

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response({"results": [wallet_entry(licence) for licence in wallet.my_licences(request.user)]})


class GrantSerializer(serializers.Serializer):
    organisation_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
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

    @extend_schema(responses={200: dict})
    def get(self, request: Request, identifier: str) -> Response:
        licence = wallet.my_licence(request.user, identifier)
        grants = licence.authorisations.select_related("grantee_organisation", "grantee_application")
        return Response({"results": [authorisation_entry(g) for g in grants]})

    @extend_schema(request=GrantSerializer, responses={201: dict})
    def post(self, request: Request, identifier: str) -> Response:
        licence = wallet.my_licence(request.user, identifier)
        serializer = GrantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        grant = wallet.grant(
            licence,
            holder=request.user,
            purpose=data["purpose"],
            valid_until=data["valid_until"],
            organisation_id=data.get("organisation_id"),
            application_number=data.get("application_number") or None,
        )
        return Response(authorisation_entry(grant), status=status.HTTP_201_CREATED)


class RevokeAuthorisationView(APIView):
    @extend_schema(request=None, responses={200: dict})
    def post(self, request: Request, identifier: str, authorisation_id: str) -> Response:
        licence = wallet.my_licence(request.user, identifier)
        grant = wallet.revoke_grant(licence, authorisation_id, holder=request.user)
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

    @extend_schema(responses={200: dict})
    def get(self, request: Request, identifier: str) -> Response:
        licence = wallet.my_licence(request.user, identifier)
        return Response({"results": [use_entry(u) for u in wallet.uses_for_holder(licence)]})


urlpatterns = [
    path("licences/verify/", VerifyCopyView.as_view(), name="licence-verify-copy"),
    path("licences/verify/<str:identifier>/", VerifyView.as_view(), name="licence-verify"),
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
