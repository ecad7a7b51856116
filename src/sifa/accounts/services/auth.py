"""Login (password, staff TOTP, citizen SMS code), API tokens and their audit events.

Login commands are deliberately *not* one transaction: a failed attempt must stay recorded
(axes' counter, the back-off's count and the ``auth.login`` audit event) even though the command
is refused. Every password check goes through ``django.contrib.auth.authenticate`` with the
request, so django-axes counts failures and refuses locked-out username/address pairs (the pair's
lockout is audited once, ``auth.lockout``); a wrong or missing TOTP code is reported to axes as a
failure as well. Failures are also counted per account from every address together
(:mod:`sifa.accounts.services.backoff`): past the threshold an attempt must wait, and one made
during the wait is refused before any password is checked (``auth.backoff``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from sifa.accounts import sms
from sifa.accounts.models import AccountKind, ApiToken, SmsChallenge, SmsPurpose, User
from sifa.accounts.services import backoff
from sifa.accounts.services.common import PHONE_RE, normalize_phone, phone_index
from sifa.audit import services as audit
from sifa.audit.models import AuditResult
from sifa.core import limits
from sifa.core.crypto import constant_time_equal, sm3_hex
from sifa.core.errors import ServiceError

SMS_CODE_MINUTES = 5
SMS_CODE_ATTEMPTS = 5
SMS_RESEND_SECONDS = 60
SEND_PER_ADDRESS = limits.Rate(20, 3600)
"""SMS codes (every purpose) asked from one client address in an hour, whatever the numbers."""


class AuthError(ServiceError):
    """A refused login. 401 unless said otherwise; the message never says which part was wrong
    beyond what the stable code already tells the client."""

    status = 401


def invalid_credentials() -> AuthError:
    return AuthError("auth.invalid_credentials", "用户名或密码错误")


def locked() -> AuthError:
    minutes = settings.AXES_COOLOFF_TIME * 60
    return AuthError("auth.locked", f"登录失败次数过多，账户已临时锁定，请{minutes:g}分钟后再试", status=429)


def backed_off(wait: backoff.Wait, *, suggest_sms: bool = False) -> AuthError:
    """429 ``auth.backoff`` with the moment of the next possible try (``retry_after`` too)."""
    refused = AuthError("auth.backoff", backoff.message(wait, suggest_sms=suggest_sms), status=429)
    refused.retry_after = wait.seconds
    return refused


@dataclass(frozen=True)
class LoginResult:
    user: User
    device: TOTPDevice | None
    method: str


def _http(request) -> HttpRequest:
    """The Django request under a DRF request: axes keeps its flags on that one."""
    return getattr(request, "_request", request)


def _axes_username(identifier: str) -> tuple[User | None, str]:
    """Resolve the login name. Phone logins are recorded under a pseudonym, never the number."""
    identifier = (identifier or "").strip()
    phone = normalize_phone(identifier)
    if PHONE_RE.match(phone):
        index = phone_index(phone)
        user = User.objects.filter(phone_index=index).first()
        return user, user.username if user else f"phone:{index[:24]}"
    return User.objects.filter(username=identifier).first(), identifier


def _audit_login(result: str, *, user: User | None, method: str, reason: str = "") -> None:
    detail = {"method": method}
    if reason:
        detail["reason"] = reason
    audit.record(
        "auth.login",
        actor=user,
        subject=user or User,  # an unknown account: the type, no id
        result=result,
        scope_path=user.scope_path if user else "",
        detail=detail,
    )


def _count_failure(http: HttpRequest, axes_username: str) -> None:
    user_login_failed.send(sender=__name__, credentials={"username": axes_username}, request=http)


def _note_failure(http: HttpRequest, user: User | None, axes_username: str, method: str, kind: str) -> None:
    """After a failure axes has counted: audit the pair's lockout when this one locked it, and
    count the failure for the account across addresses (which may impose a wait, audited)."""
    if getattr(http, "axes_locked_out", False):
        audit.record(
            "auth.lockout",
            actor=user,
            subject=user or User,  # an unknown account: the type, no id
            scope_path=user.scope_path if user else "",
            detail={
                "method": method,
                "failures": settings.AXES_FAILURE_LIMIT,
                "minutes": round(settings.AXES_COOLOFF_TIME * 60),
            },
        )
    backoff.record_failure(axes_username, user, kind)


def _refuse(http: HttpRequest, user: User | None, method: str, error: AuthError) -> AuthError:
    if getattr(http, "axes_locked_out", False):
        error = locked()
        # We answer with our own error body; stop axes' middleware replacing it with its page.
        http.axes_locked_out = False
    _audit_login(AuditResult.FAILED, user=user, method=method, reason=error.code)
    return error


def _verify_totp(user: User, code: str) -> TOTPDevice | None:
    code = (code or "").strip()
    if not code.isdigit():
        return None
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(code):
            return device
    return None


def _succeed(http: HttpRequest, user: User, axes_username: str, method: str) -> None:
    AxesProxyHandler.reset_attempts(ip_address=getattr(http, "axes_ip_address", None), username=axes_username)
    backoff.forget(axes_username)
    # The login time and the login event commit together: never a login without its event.
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        _audit_login(AuditResult.SUCCESS, user=user, method=method)


def login_with_password(request, *, identifier: str, password: str, totp: str = "") -> LoginResult:
    """Check a login. Staff need the current TOTP code; citizens may give their phone number."""
    http = _http(request)
    hint, axes_username = _axes_username(identifier)
    method = "password+totp" if hint is not None and hint.kind == AccountKind.STAFF else "password"
    wait = backoff.current_wait(axes_username, "password")
    if wait is not None:  # refused before the password is looked at, and not counted
        by_phone = bool(PHONE_RE.match(normalize_phone((identifier or "").strip())))
        raise _refuse(http, hint, method, backed_off(wait, suggest_sms=by_phone))
    if not AxesProxyHandler.is_allowed(http, {"username": axes_username}):
        raise _refuse(http, hint, method, locked())
    user = authenticate(http, username=axes_username, password=password or "")
    if user is None:
        _note_failure(http, hint, axes_username, method, "password")
        raise _refuse(http, hint, method, invalid_credentials())
    device = None
    if user.kind == AccountKind.STAFF:
        if not (totp or "").strip():
            _count_failure(http, axes_username)
            _note_failure(http, user, axes_username, method, "password")
            raise _refuse(http, user, method, AuthError("auth.totp_required", "工作人员登录须填写动态验证码"))
        device = _verify_totp(user, totp)
        if device is None:
            _count_failure(http, axes_username)
            _note_failure(http, user, axes_username, method, "password")
            raise _refuse(http, user, method, AuthError("auth.totp_invalid", "动态验证码错误或已过期"))
    _succeed(http, user, axes_username, method)
    return LoginResult(user=user, device=device, method=method)


# --- SMS one-time codes -------------------------------------------------------------------------


def _code_digest(index: str, code: str) -> str:
    return sm3_hex(f"{index}:{code}".encode())


def send_sms_code(phone: str, *, client: str = "") -> None:
    """Send a 6-digit login code. Answers the same whether or not the number has an account.
    ``client`` (the page's caller address) counts against :data:`SEND_PER_ADDRESS`; the API
    throttles by address itself."""
    phone = normalize_phone(phone)
    if not PHONE_RE.match(phone):
        raise ServiceError("phone.invalid", "手机号码应为11位中国大陆手机号（以13–19开头）")
    if client and not limits.hit(f"sms.address:{client}", SEND_PER_ADDRESS).allowed:
        raise ServiceError("auth.sms_rate_limited", "获取验证码过于频繁，请1小时后再试", status=429)
    try:
        # Checked for every number alike, so a misconfigured gateway reveals no account.
        gateway = sms.get_gateway()
    except sms.SmsGatewayError:
        raise ServiceError(
            "auth.sms_unavailable", "短信服务暂不可用，请稍后再试或使用密码登录", status=503
        ) from None
    index = phone_index(phone)
    now = timezone.now()
    with transaction.atomic():
        recent = SmsChallenge.objects.filter(
            phone_index=index,
            purpose=SmsPurpose.LOGIN,
            created_at__gt=now - dt.timedelta(seconds=SMS_RESEND_SECONDS),
        ).exists()
        if recent:
            raise ServiceError("auth.sms_rate_limited", "验证码发送过于频繁，请60秒后再试", status=429)
        code = f"{secrets.randbelow(10**6):06d}"
        SmsChallenge.objects.create(
            phone_index=index,
            code_digest=_code_digest(index, code),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=SMS_CODE_MINUTES),
        )
        user = User.objects.filter(phone_index=index, is_active=True).first()
        if user is not None:
            gateway.send(
                phone, "login_code", {"code": code, "minutes": str(SMS_CODE_MINUTES)}, recipient=user
            )
        audit.record(
            "auth.sms_code",
            actor=user,
            subject=user or User,  # an unknown account: the type, no id
            scope_path=user.scope_path if user else "",
        )


def login_with_sms_code(request, *, phone: str, code: str) -> LoginResult:
    """Check a citizen's SMS code: one use, 5 minutes, 5 attempts; failures count in axes too."""
    http = _http(request)
    hint, axes_username = _axes_username(phone)
    method = "sms"
    wait = backoff.current_wait(axes_username, "sms")
    if wait is not None:
        raise _refuse(http, hint, method, backed_off(wait))
    if not AxesProxyHandler.is_allowed(http, {"username": axes_username}):
        raise _refuse(http, hint, method, locked())
    index = phone_index(phone)
    now = timezone.now()
    with transaction.atomic():
        challenge = (
            SmsChallenge.objects.select_for_update()
            .filter(phone_index=index, purpose=SmsPurpose.LOGIN, consumed_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        ok = (
            challenge is not None
            and challenge.attempts < SMS_CODE_ATTEMPTS
            and constant_time_equal(challenge.code_digest, _code_digest(index, (code or "").strip()))
        )
        if challenge is not None:
            if ok:
                challenge.consumed_at = now
            challenge.attempts += 1
            challenge.save(update_fields=["attempts", "consumed_at"])
    user = hint if hint is not None and hint.is_active and hint.kind != AccountKind.STAFF else None
    if not ok or user is None:
        _count_failure(http, axes_username)
        _note_failure(http, hint, axes_username, method, "sms")
        raise _refuse(
            http, hint, method, AuthError("auth.sms_code_invalid", "短信验证码错误或已失效，请重新获取")
        )
    _succeed(http, user, axes_username, method)
    return LoginResult(user=user, device=None, method=method)


# --- API tokens -----------------------------------------------------------------------------------


def issue_api_token(user: User) -> tuple[str, ApiToken]:
    """A new bearer token: 32 random bytes, urlsafe. Only its SM3 digest and prefix are stored."""
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            key_digest=sm3_hex(key.encode()),
            prefix=key[:8],
            expires_at=timezone.now() + dt.timedelta(hours=settings.API_TOKEN_HOURS),
        )
        audit.record(
            "auth.token_issued",
            actor=user,
            subject=token,
            scope_path=user.scope_path,
            detail={"prefix": token.prefix},
        )
    return key, token


def revoke_api_token(token: ApiToken, *, by: User) -> None:
    if token.user_id != by.pk:
        raise AuthError("auth.token_not_owned", "只能吊销本人的令牌", status=404)
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(revoked=True)
        audit.record(
            "auth.token_revoked",
            actor=by,
            subject=token,
            scope_path=by.scope_path,
        )


def record_logout(user: User) -> None:
    audit.record(
        "auth.logout",
        actor=user,
        subject=user,
        scope_path=user.scope_path,
    )
