"""Bearer tokens for scripts and apps (``Authorization: Bearer <token>``).

Tokens are issued by ``POST /api/v1/auth/token/`` (``sifa.accounts.services.issue_api_token``):
username, password and — for staff — the current TOTP code. Only the SM3 digest of a token is
stored, so a database leak does not leak usable tokens.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from sifa.accounts.models import ApiToken
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
