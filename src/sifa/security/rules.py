"""The detection rules: which events raise an incident, counted by what, from how many, how severe.

A rule counts the events of its ``trigger`` kind not yet attached to an incident, grouped by
``field`` (the account's public id, the address, the claimed sender), within
``SIFA_SECURITY_WINDOW_MINUTES``; a group reaching ``threshold`` raises one incident keyed
``<field>:<value>``. While that incident is open, every later event of the rule's ``kinds`` with
the same key attaches to it instead of raising another. Rules run in this order, so failures of
one account make an account incident and are not counted again for their address.
Pure data: nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from sifa.security.models import EventKind, Severity


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    trigger: str
    kinds: tuple[str, ...]
    field: str
    """The SecurityEvent field counted by; empty: one key for the whole platform."""
    threshold: Callable[[], int]
    severity: int
    title: str
    """The incident's title; ``{value}`` is the key's value, ``{count}`` the events counted."""


LOGIN_KINDS = (EventKind.LOGIN_FAILED, EventKind.LOCKOUT, EventKind.BACKOFF)


def _failed_logins() -> int:
    return settings.SECURITY_FAILED_LOGINS


RULES: tuple[Rule, ...] = (
    Rule(
        code="audit.chain_broken",
        name="审计链断裂",
        trigger=EventKind.CHAIN_BROKEN,
        kinds=(EventKind.CHAIN_BROKEN,),
        field="",
        threshold=lambda: 1,
        severity=Severity.CRITICAL,
        title="审计链断裂：{detail}",
    ),
    Rule(
        code="login.account",
        name="同一账户登录失败过多",
        trigger=EventKind.LOGIN_FAILED,
        kinds=LOGIN_KINDS,
        field="account",
        threshold=_failed_logins,
        severity=Severity.HIGH,
        title="同一账户短时间内登录失败 {count} 次",
    ),
    Rule(
        code="login.address",
        name="同一地址登录失败过多",
        trigger=EventKind.LOGIN_FAILED,
        kinds=(EventKind.LOGIN_FAILED,),
        field="address",
        threshold=_failed_logins,
        severity=Severity.HIGH,
        title="同一来源地址 {value} 短时间内登录失败 {count} 次",
    ),
    Rule(
        code="exchange.bad_signature",
        name="交换签名无效",
        trigger=EventKind.BAD_SIGNATURE,
        kinds=(EventKind.BAD_SIGNATURE,),
        field="subject",
        threshold=lambda: settings.SECURITY_BAD_SIGNATURES,
        severity=Severity.HIGH,
        title="交换消息签名或密钥无效 {count} 次（{value}）",
    ),
    Rule(
        code="privilege.separated_admin",
        name="授予三员岗位",
        trigger=EventKind.ADMIN_ROLE,
        kinds=(EventKind.ADMIN_ROLE,),
        field="account",
        threshold=lambda: 1,
        severity=Severity.MEDIUM,
        title="授予或撤销系统、安全或审计管理员岗位（账户 {value}）",
    ),
)


def rule(code: str) -> Rule | None:
    return next((r for r in RULES if r.code == code), None)
