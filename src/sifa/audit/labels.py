"""Chinese labels for audit action codes, for timelines and the audit-admin views.

Codes are ``<area>.<verb>`` (e.g. ``auth.login``). Each app adds its own in its
``AppConfig.ready()`` with :func:`register_labels`; an unknown code is shown as the code itself,
so a missing label is visible but never an error. The table lives in memory: nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping

from sifa.audit.subjects import type_name
from sifa.organisations.models import Role

_LABELS: dict[str, str] = {
    # sign-in and sessions (a failed attempt is the same action with result "失败"/"拒绝")
    "auth.login": "登录",
    "auth.logout": "退出登录",
    "auth.sms_code": "发送短信验证码",
    "auth.token_issued": "签发 API 令牌",
    "auth.token_revoked": "吊销 API 令牌",
    "auth.lockout": "登录锁定（账户+地址）",
    "auth.backoff": "登录退避（账户，跨地址）",
    "auth.limits_lifted": "解除登录限制",
    # accounts
    "account.register_person": "自然人注册",
    "account.register_company": "法人注册",
    "account.password_reset": "短信验证码重置密码",
    "account.password_changed": "修改密码",
    "account.phone_changed": "更换手机号码",
    "account.address_changed": "修改详细地址",
    "account.create_staff": "创建工作人员账户",
    "account.grant_role": "授予岗位",
    "account.revoke_role": "撤销岗位",
    "account.add_totp_device": "绑定动态口令",
    "account.create_mandate": "委托代办",
    "account.revoke_mandate": "撤销委托",
    "consent.given": "同意处理个人信息",
    "consent.withdrawn": "撤回同意",
    # 个人信息保护 (sifa.privacy)
    "privacy.export": "下载个人数据副本",
    "privacy.purged": "按保存期限清除个人数据",
    # regions and the organisation tree
    "organisation.regions_imported": "导入行政区划",
    "organisation.tree_built": "生成机构树",
    "organisation.set_document_code": "设置机关代字",
    # the audit trail itself: audit administrators' own reads are audited too
    "audit.events_read": "查阅审计记录",
    "audit.verified": "核验审计链",
    "audit.chain_rewritten": "重写审计链（对象命名迁移）",
    "audit.purged": "清除保存期满的审计事件",
    "audit.access_purged": "清除保存期满的个人数据查看记录",
}


def register_labels(labels: Mapping[str, str]) -> None:
    """Add (or refine) labels for action codes; call from an app's ``ready()``."""
    _LABELS.update(labels)


def action_label(code: str) -> str:
    return _LABELS.get(code, code)


def all_labels() -> dict[str, str]:
    return dict(_LABELS)


def role_label(value: str) -> str:
    """The Chinese name of a staff role value (``reviewer`` → 审查人员)."""
    return Role(value).label if value in Role.values else value


def data_type_label(object_type: str) -> str:
    """``accounts.NaturalPerson`` → the model's verbose name (自然人), a pseudo-type's Chinese name
    (``documents.SealCertificate`` → 电子印章证书, from :data:`sifa.audit.subjects.OBJECT_TYPES`);
    other values unchanged."""
    return type_name(object_type)
