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
from django.db.models import Q

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
    distinct: str = ""
    """Count distinct values of this SecurityEvent field instead of events (ids tried, not tries)."""
    where: Callable[[], Q] | None = None
    """Only trigger events matching this condition count (the big exports, not every export)."""


LOGIN_KINDS = (EventKind.LOGIN_FAILED, EventKind.LOCKOUT, EventKind.BACKOFF)


def _failed_logins() -> int:
    return settings.SECURITY_FAILED_LOGINS


def _big_export() -> Q:
    return Q(details__rows__gt=settings.SECURITY_EXPORT_ROWS)


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
        code="access.not_found_burst",
        name="批量访问不存在或无权对象",
        trigger=EventKind.NOT_FOUND,
        kinds=(EventKind.NOT_FOUND,),
        field="account",
        threshold=lambda: settings.SECURITY_NOT_FOUND_IDS,
        severity=Severity.HIGH,
        title="同一账户短时间内访问 {count} 个不存在或无权查看的对象（疑似遍历编号）",
        distinct="subject",
    ),
    Rule(
        code="upload.rejected_account",
        name="同一账户上传被拒过多",
        trigger=EventKind.UPLOAD_REJECTED,
        kinds=(EventKind.UPLOAD_REJECTED,),
        field="account",
        threshold=lambda: settings.SECURITY_UPLOAD_REJECTIONS,
        severity=Severity.HIGH,
        title="同一账户短时间内上传被拒 {count} 次（疑似投放恶意文件）",
    ),
    Rule(
        code="upload.rejected_address",
        name="同一地址上传被拒过多",
        trigger=EventKind.UPLOAD_REJECTED,
        kinds=(EventKind.UPLOAD_REJECTED,),
        field="address",
        threshold=lambda: settings.SECURITY_UPLOAD_REJECTIONS,
        severity=Severity.HIGH,
        title="同一来源地址 {value} 短时间内上传被拒 {count} 次",
    ),
    Rule(
        code="export.large",
        name="大批量导出个人数据",
        trigger=EventKind.DATA_EXPORT,
        kinds=(EventKind.DATA_EXPORT,),
        field="account",
        threshold=lambda: 1,
        severity=Severity.MEDIUM,
        title="大批量导出个人数据（{count} 次超过行数上限）",
        where=_big_export,
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
