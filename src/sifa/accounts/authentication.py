"""Bearer tokens for scripts and apps (``Authorization: Bearer <token>``), and the browser session.

Tokens are issued by ``POST /api/v1/auth/token/`` (``sifa.accounts.services.issue_api_token``):
username, password and — for staff — the current TOTP code. Only the SM3 digest of a token is
stored, so a database leak does not leak usable tokens.

The API also accepts the pages' session (:class:`VerifiedSessionAuthentication`), but a staff
session counts only once it was verified with TOTP (django-otp): a password-only staff session
is anonymous to the API, as it is to the workbench (等保 2.0 身份鉴别 d, two factors for staff).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from sifa.accounts.models import AccountKind, ApiToken
from sifa.audit import context
from sifa.core.crypto import sm3_hex


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("令牌格式错误")
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("令牌格式错误") from None
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_digest=sm3_hex(key.encode()), revoked=False, expires_at__gt=timezone.now())
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("令牌无效或已过期，请重新登录")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        context.bind_user(token.user)
        return (token.user, token)

    def authenticate_header(self, request) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "sifa.accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (with its CSRF check), refusing staff sessions without TOTP."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        is_staff = user.is_superuser or getattr(user, "kind", "") == AccountKind.STAFF
        verified = getattr(user, "is_verified", None)
        if is_staff and not (verified is not None and verified()):
            return None  # as if not logged in: 401/403 where a login is needed
        return result


class VerifiedSessionScheme(SessionScheme):
    target_class = "sifa.accounts.authentication.VerifiedSessionAuthentication"
