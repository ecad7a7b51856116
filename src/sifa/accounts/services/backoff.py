"""The account-wide login back-off: guesses spread over many addresses are slowed down too.

django-axes locks an account *and address* pair after ``SIFA_LOGIN_FAILURE_LIMIT`` failures; an
attacker with many addresses gets that many guesses from each. So failures are also counted per
account, from every address together. From the ``SIFA_ACCOUNT_BACKOFF_AFTER``-th failure within
``SIFA_ACCOUNT_BACKOFF_HOURS`` on, each failure makes the next attempt wait: 1 s, 2 s, 4 s … up to
``SIFA_ACCOUNT_BACKOFF_MAX_SECONDS``. An attempt during the wait is refused *without checking the
password* (``auth.backoff``, 429, with the time of the next possible try) and is not counted.

It is a delay, never a lock and never a CAPTCHA (the audience includes the elderly): the account's
owner gets in at the next allowed moment with the right password, a successful login starts the
count afresh, and the security administrator can lift it (:func:`lift`). Passwords and SMS codes
are counted apart (``kind``), so guessing passwords does not hold up the owner's SMS-code login.
Every wait imposed is an ``auth.backoff`` audit event. The counts live in ``sifa.core.limits``,
shared by every web process (docs/security.md, "Account-wide back-off").
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sifa.accounts.models import User
from sifa.audit import services as audit
from sifa.core import limits
from sifa.core.errors import Forbidden, NotFound
from sifa.organisations.models import Membership, Role

KINDS = ("password", "sms")


@dataclass(frozen=True)
class Wait:
    until: dt.datetime
    seconds: int


def _keys(account: str, kind: str) -> tuple[str, str]:
    return f"login-backoff:{kind}:failures:{account}", f"login-backoff:{kind}:until:{account}"


def wait_seconds(failures: int) -> int:
    """The wait after the ``failures``-th failure: 0 below the threshold, then 1, 2, 4 … capped."""
    over = failures - settings.ACCOUNT_BACKOFF_AFTER
    if over < 0:
        return 0
    return min(2 ** min(over, 30), settings.ACCOUNT_BACKOFF_MAX_SECONDS)


def current_wait(account: str, kind: str = "password") -> Wait | None:
    """The wait still running for ``account``, or None when an attempt may be made now."""
    until_ms = limits.get(_keys(account, kind)[1])
    left = until_ms / 1000 - time.time()
    if left <= 0:
        return None
    until = dt.datetime.fromtimestamp(until_ms / 1000, tz=dt.UTC)
    return Wait(until=until, seconds=math.ceil(left))


def message(wait: Wait, *, suggest_sms: bool = False) -> str:
    """When to try again, in words an elderly user can follow (the ``auth.backoff`` refusal).

    ``suggest_sms``: a password login by phone number, whose owner may use an SMS code meanwhile
    (decided by the form of the login name, so the answer does not tell staff accounts apart)."""
    local = timezone.localtime(wait.until)
    minutes, seconds = divmod(wait.seconds, 60)
    after = f"{minutes}分{seconds}秒" if minutes else f"{seconds}秒"
    alternative = "也可改用短信验证码登录；" if suggest_sms else ""
    return (
        f"该账户近期登录失败次数较多，为保护账户安全，请于{local:%H:%M:%S}（约{after}后）再试。"
        f"{alternative}如非本人操作，请联系安全管理员。"
    )


def record_failure(account: str, user: User | None, kind: str = "password") -> Wait | None:
    """Count one failed login of ``account``; from the threshold on, impose the next wait (audited)."""
    failures_key, until_key = _keys(account, kind)
    failures = limits.count(failures_key, settings.ACCOUNT_BACKOFF_HOURS * 3600)
    seconds = wait_seconds(failures)
    if not seconds:
        return None
    until = time.time() + seconds
    limits.put(until_key, int(until * 1000), seconds)
    audit.record(
        "auth.backoff",
        actor=user,
        subject=user or User,  # an unknown account: the type, no id
        scope_path=user.scope_path if user else "",
        detail={"method": kind, "failures": failures, "wait_seconds": seconds},
    )
    return Wait(until=dt.datetime.fromtimestamp(until, tz=dt.UTC), seconds=seconds)


def forget(account: str) -> None:
    """A successful login: the count starts afresh (for both kinds: the owner is in)."""
    limits.reset(*(key for kind in KINDS for key in _keys(account, kind)))


def lift(user: User, *, by: User | None = None) -> None:
    """The security administrator lifts every login limit of ``user``: the account-wide back-off
    and django-axes' lockouts of the account from any address. Audited (``auth.limits_lifted``).

    Only a 安全管理员 whose organisation's subtree holds the account (or the command line,
    ``by=None``: ``sifa lift-login-limits``) may do it; anyone else gets 403."""
    if by is not None and not by.is_superuser:
        paths = Membership.objects.filter(
            user=by, role=Role.SECURITY_ADMIN, organisation__is_active=True
        ).values_list("organisation__path", flat=True)
        if not user.scope_path or not any(user.scope_path.startswith(path) for path in paths):
            raise Forbidden("只有该账户所属机构或上级机构的安全管理员可以解除登录限制")
    with transaction.atomic():
        forget(user.username)
        AxesProxyHandler.reset_attempts(username=user.username)
        audit.record(
            "auth.limits_lifted",
            actor=by,
            subject=user,
            scope_path=user.scope_path,
            detail={"by": "command line" if by is None else "security_admin"},
        )


def _security_admin_paths(by: User) -> list[str]:
    return list(
        Membership.objects.filter(
            user=by, role=Role.SECURITY_ADMIN, organisation__is_active=True
        ).values_list("organisation__path", flat=True)
    )


def lift_username(username: str, *, by: User) -> str:
    """The workbench form (解除登录限制) for an account named by its username: :func:`lift`, with
    an account outside the administrator's jurisdiction answered like one that does not exist.
    Returns the message to show."""
    paths = _security_admin_paths(by)
    user = User.objects.filter(username=username).first()
    if user is None or not user.scope_path or not any(user.scope_path.startswith(p) for p in paths):
        raise NotFound("未找到该账户，或该账户不在您的管辖范围内", code="accounts.not_found")
    lift(user, by=by)
    return f"已解除账户 {user.username} 的登录限制（所有地址的锁定和跨地址退避）。"


def lift_address(address: str, *, by: User) -> str:
    """The security administrator lifts django-axes' lockouts of every account from ``address``
    (an address belongs to no jurisdiction: any 安全管理员 may). Audited (``auth.address_limits_lifted``).
    Returns the message to show."""
    if not _security_admin_paths(by):
        raise Forbidden("只有安全管理员可以解除登录限制")
    with transaction.atomic():
        AxesProxyHandler.reset_attempts(ip_address=address)
        audit.record(
            "auth.address_limits_lifted",
            actor=by,
            detail={"address": address, "by": "security_admin"},
        )
    return f"已解除来源地址 {address} 的登录锁定。"
