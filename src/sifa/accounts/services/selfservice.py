"""What a person does to their own account: 忘记密码 (reset by SMS code), 修改密码, 更换手机号码.

Every command is audited (``account.password_reset``, ``account.password_changed``,
``account.phone_changed``; each code sent is an ``auth.sms_code`` event with its purpose).

**Codes.** An SMS code is 6 digits, lives :data:`~sifa.accounts.services.auth.SMS_CODE_MINUTES`
minutes, is tried at most :data:`~sifa.accounts.services.auth.SMS_CODE_ATTEMPTS` times, is used
once and serves one purpose (:class:`~sifa.accounts.models.SmsPurpose`): a login code never resets
a password. Only its SM3 digest is kept.

**Limits** (all in :mod:`sifa.core.limits`, shared by every web process): sending to one number
:data:`SEND_PER_NUMBER_MINUTE` and :data:`SEND_PER_NUMBER_DAY`; sending from one client address
:data:`SEND_PER_ADDRESS`; checking codes for one number :data:`CHECK_PER_NUMBER`.

**No account enumeration.** :func:`send_reset_code` answers the same whether or not the number has
an account: a challenge is kept and the limits count either way, only the message is not sent to a
number nobody registered. A code for such a number can never match, so the reset page answers
"验证码错误或已失效" as it would for a wrong code.

A password reset or change ends the account's other sessions (Django checks each session against the
password hash); the page that changed it keeps its own session (``update_session_auth_hash``).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.db import transaction
from django.utils import timezone

from sifa.accounts import sms
from sifa.accounts.models import AccountKind, SmsChallenge, SmsPurpose, User
from sifa.accounts.services import backoff
from sifa.accounts.services.auth import SEND_PER_ADDRESS, SMS_CODE_ATTEMPTS, SMS_CODE_MINUTES
from sifa.accounts.services.common import (
    PHONE_RE,
    FieldErrors,
    check_password,
    check_phone,
    normalize_phone,
    phone_index,
    set_phone,
)
from sifa.audit import services as audit
from sifa.core import limits
from sifa.core.crypto import constant_time_equal, sm3_hex
from sifa.core.errors import ServiceError

logger = logging.getLogger(__name__)

SEND_PER_NUMBER_MINUTE = limits.Rate(1, 60)
"""One code per number per minute (the page says 60 秒后可以重新获取)."""
SEND_PER_NUMBER_DAY = limits.Rate(10, 86400)
CHECK_PER_NUMBER = limits.Rate(10, 3600)
"""Code checks for one number in an hour (on top of the 5 tries of each code)."""

TEMPLATES = {
    SmsPurpose.PASSWORD_RESET: "reset_code",
    SmsPurpose.PHONE_CHANGE: "phone_change_code",
}


def _digest(purpose: str, index: str, code: str) -> str:
    return sm3_hex(f"{purpose}:{index}:{code}".encode())


def _rate_limited(retry_after: float) -> ServiceError:
    seconds = max(1, int(retry_after))
    wait = f"{seconds}秒" if seconds < 120 else f"{(seconds + 59) // 60}分钟"
    refused = ServiceError("sms.rate_limited", f"获取验证码过于频繁，请{wait}后再试", status=429)
    refused.retry_after = seconds
    return refused


def _gateway() -> sms.SmsGateway:
    try:
        return sms.get_gateway()
    except sms.SmsGatewayError:
        raise ServiceError("sms.unavailable", "短信服务暂不可用，请稍后再试", status=503) from None


def _issue(phone: str, purpose: str, *, recipient: User | None, client: str, actor: User | None) -> None:
    """Count the limits, keep a challenge, send the code when there is a ``recipient``."""
    gateway = _gateway()
    index = phone_index(phone)
    for key, rate in (
        (f"sms.address:{client or '-'}", SEND_PER_ADDRESS),
        (f"sms.{purpose}.minute:{index}", SEND_PER_NUMBER_MINUTE),
        (f"sms.{purpose}.day:{index}", SEND_PER_NUMBER_DAY),
    ):
        decision = limits.hit(key, rate)
        if not decision.allowed:
            raise _rate_limited(decision.retry_after)
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        # A new code replaces the older ones of the same purpose.
        SmsChallenge.objects.filter(phone_index=index, purpose=purpose, consumed_at__isnull=True).update(
            consumed_at=now
        )
        SmsChallenge.objects.create(
            phone_index=index,
            purpose=purpose,
            code_digest=_digest(purpose, index, code),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=SMS_CODE_MINUTES),
        )
        if recipient is not None:
            gateway.send(
                phone,
                TEMPLATES[purpose],
                {"code": code, "minutes": str(SMS_CODE_MINUTES)},
                recipient=recipient,
            )
        audit.record(
            "auth.sms_code",
            actor=actor,
            subject=recipient or User,  # an unknown number: the type, no id
            scope_path=recipient.scope_path if recipient else "",
            detail={"purpose": purpose},
        )


def _consume(phone: str, purpose: str, code: str) -> bool:
    """Check ``code`` against the newest live challenge; a match uses it up. Counted per number."""
    index = phone_index(phone)
    decision = limits.hit(f"sms.{purpose}.check:{index}", CHECK_PER_NUMBER)
    if not decision.allowed:
        refused = ServiceError(
            "sms.check_rate_limited", "验证码输错次数过多，请1小时后重新获取验证码", status=429
        )
        refused.retry_after = int(decision.retry_after)
        raise refused
    now = timezone.now()
    with transaction.atomic():
        challenge = (
            SmsChallenge.objects.select_for_update()
            .filter(phone_index=index, purpose=purpose, consumed_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if challenge is None:
            return False
        ok = challenge.attempts < SMS_CODE_ATTEMPTS and constant_time_equal(
            challenge.code_digest, _digest(purpose, index, (code or "").strip())
        )
        challenge.attempts += 1
        if ok:
            challenge.consumed_at = now
        challenge.save(update_fields=["attempts", "consumed_at"])
        return ok


def _applicant_by_phone(phone: str) -> User | None:
    """The active citizen or company account holding ``phone`` (staff reset through their
    security administrator, never by SMS: their second factor is the TOTP device)."""
    return (
        User.objects.filter(phone_index=phone_index(phone), is_active=True)
        .exclude(kind=AccountKind.STAFF)
        .first()
    )


def _phone_or_error(phone: str, field: str = "phone") -> str:
    errors = FieldErrors()
    phone = check_phone(phone, errors, field)
    errors.raise_if_any()
    return phone


def _code_or_error(code: str, errors: FieldErrors) -> str:
    code = (code or "").strip()
    if not code:
        errors.add("code", "field.required", "请填写短信验证码")
    elif not (code.isdigit() and len(code) == 6):
        errors.add("code", "sms.code_format", "短信验证码是6位数字")
    return code


def _check_new_password(password: str, confirm: str, user: User, errors: FieldErrors) -> None:
    check_password(password, user, errors)
    if password and confirm != password:
        errors.add("password_confirm", "password.mismatch", "两次输入的新密码不一致")


# --- 忘记密码 -------------------------------------------------------------------------------------


def send_reset_code(phone: str, *, client: str = "") -> None:
    """Send a reset code to ``phone`` if it belongs to a citizen or company; the same answer,
    limits and audit event (without an account) when it does not."""
    phone = _phone_or_error(phone)
    user = _applicant_by_phone(phone)
    _issue(phone, SmsPurpose.PASSWORD_RESET, recipient=user, client=client, actor=user)


def reset_password(*, phone: str, code: str, password: str, password_confirm: str) -> User:
    """Set a new password with the reset code sent to ``phone``; lifts the login back-off."""
    errors = FieldErrors()
    phone = check_phone(phone, errors)
    code = _code_or_error(code, errors)
    user = _applicant_by_phone(phone) if PHONE_RE.match(phone) else None
    _check_new_password(password, password_confirm, user or User(kind=AccountKind.PERSON), errors)
    errors.raise_if_any()
    if not _consume(phone, SmsPurpose.PASSWORD_RESET, code) or user is None:
        raise ServiceError("sms.code_invalid", "短信验证码错误或已失效，请重新获取", errors=[_code_error()])
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record("account.password_reset", actor=user, subject=user, scope_path=user.scope_path)
    backoff.forget(user.username)
    return user


def _code_error() -> dict[str, str]:
    return {"field": "code", "code": "sms.code_invalid", "message": "短信验证码错误或已失效，请重新获取"}


# --- 修改密码 -------------------------------------------------------------------------------------


def change_password(user: User, *, current: str, password: str, password_confirm: str) -> None:
    """Change the signed-in user's password; the current one is asked again (wrong tries are
    limited like logins, :data:`CHECK_PER_NUMBER` per account)."""
    errors = FieldErrors()
    if not current:
        errors.add("current_password", "field.required", "请填写当前密码")
    _check_new_password(password, password_confirm, user, errors)
    if password and current and password == current:
        errors.add("password", "password.unchanged", "新密码不能与当前密码相同")
    errors.raise_if_any()
    _check_current_password(user, current)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record("account.password_changed", actor=user, subject=user, scope_path=user.scope_path)


def _check_current_password(user: User, current: str) -> None:
    decision = limits.peek(f"account.reauth:{user.pk}", CHECK_PER_NUMBER)
    if not decision.allowed:
        raise ServiceError("account.reauth_rate_limited", "当前密码输错次数过多，请1小时后再试", status=429)
    if not user.check_password(current):
        limits.add(f"account.reauth:{user.pk}", CHECK_PER_NUMBER)
        raise ServiceError(
            "account.wrong_password",
            "当前密码不正确",
            errors=[
                {"field": "current_password", "code": "account.wrong_password", "message": "当前密码不正确"}
            ],
        )


# --- 更换手机号码 ---------------------------------------------------------------------------------


def send_phone_change_code(user: User, *, new_phone: str, current: str, client: str = "") -> str:
    """Ask for the password again, then send a confirmation code to the **new** number.
    Returns the normalised number (the page keeps it for the next step)."""
    errors = FieldErrors()
    new_phone = check_phone(new_phone, errors, "new_phone")
    if not current:
        errors.add("current_password", "field.required", "请填写当前密码")
    if not errors.has("new_phone") and user.phone_index and phone_index(new_phone) == user.phone_index:
        errors.add("new_phone", "phone.unchanged", "新手机号码与当前号码相同")
    errors.raise_if_any()
    _check_current_password(user, current)
    _issue(new_phone, SmsPurpose.PHONE_CHANGE, recipient=user, client=client, actor=user)
    return new_phone


def _tell_old_number(phone: str, notice: dict[str, str], user: User) -> None:
    """After the change commits, the old number is told (a taken-over account's owner learns of
    it there). The change stands if the gateway fails: the failure is logged, not raised."""
    try:
        sms.get_gateway().send(phone, "phone_changed_notice", notice, recipient=user)
    except sms.SmsGatewayError:
        logger.warning("phone change notice to the old number not sent (user %s)", user.pk)


def change_phone(user: User, *, new_phone: str, code: str) -> None:
    """Set the new number once the code sent to it is confirmed (audited with both masks); the old
    number is then told by SMS (:func:`_tell_old_number`)."""
    errors = FieldErrors()
    new_phone = check_phone(new_phone, errors, "new_phone")
    code = _code_or_error(code, errors)
    errors.raise_if_any()
    if not _consume(new_phone, SmsPurpose.PHONE_CHANGE, code):
        raise ServiceError("sms.code_invalid", "短信验证码错误或已失效，请重新获取", errors=[_code_error()])
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if User.objects.filter(phone_index=phone_index(new_phone)).exclude(pk=user.pk).exists():
            raise ServiceError(
                "account.duplicate_phone",
                "该手机号码已被其他账户使用",
                errors=[
                    {
                        "field": "new_phone",
                        "code": "account.duplicate_phone",
                        "message": "该手机号码已被其他账户使用",
                    }
                ],
            )
        old_masked = locked.phone_masked
        old_phone = locked.reveal_phone()
        set_phone(locked, normalize_phone(new_phone))
        locked.save(update_fields=["phone_enc", "phone_index", "phone_masked"])
        audit.record(
            "account.phone_changed",
            actor=locked,
            subject=locked,
            scope_path=locked.scope_path,
            detail={"from": old_masked, "to": locked.phone_masked},
        )
        if old_phone:
            notice = {
                "time": _when(timezone.localtime()),
                "masked": locked.phone_masked,
            }
            transaction.on_commit(lambda: _tell_old_number(old_phone, notice, locked))
    user.phone_enc, user.phone_index, user.phone_masked = (
        locked.phone_enc,
        locked.phone_index,
        locked.phone_masked,
    )


def _when(moment) -> str:
    """``2027年1月4日 09:05``: the date as GB/T 15835 writes it (no leading zeros), then the time."""
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"
