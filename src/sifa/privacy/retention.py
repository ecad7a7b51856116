"""The retention table: how long each family of rows is kept, on which legal basis, from when.

One :class:`RetentionRule` per family (docs/privacy.md prints the same table; a test keeps them
equal). ``action`` says what the daily ``sifa privacy purge`` does when the period has run:
``delete``, ``anonymise`` (the record stays, the person's details go), ``prefix`` (a hash-chained
log: the expired prefix is removed with a checkpoint recorded in the audit chain, so verification
still passes) or ``keep`` (the job does not touch it: the reason is in ``note``).

个人信息保护法 §19: 个人信息的保存期限应当为实现处理目的所必要的最短时间 (unless a law sets
another); §47: delete when the purpose is achieved or the period has run. 网络安全法 §21 (三): network
logs at least six months — the chained logs' purge functions refuse anything younger whatever the
table says.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetentionRule:
    code: str
    data_class: str
    models: tuple[str, ...]
    period_days: int | None
    """``None``: not purged by the job (``action`` is ``keep``)."""
    trigger: str
    action: str
    legal_basis: str
    note: str = ""
    """For the operators and docs/privacy.md: how the job does it."""
    label: str = ""
    """What the data is, in the words of the people it is about (the 数据 column of 授权与个人数据)."""


AUDIT_DAYS = 3 * 365
ACCESS_LOG_DAYS = 3 * 365
CONSULTATION_CONTACT_DAYS = 3 * 365
SMS_DAYS = 30

RULES: tuple[RetentionRule, ...] = (
    RetentionRule(
        code="sms",
        data_class="personal",
        models=("accounts.SmsMessage", "accounts.SmsChallenge"),
        period_days=SMS_DAYS,
        trigger="短信发送时间；验证码过期时间",
        action="delete",
        legal_basis="个人信息保护法第十九条、第四十七条第一款第一项（验证码和通知已送达，处理目的已实现）",
        note="本地短信网关的留存副本（开发、测试环境读取验证码）和一次性验证码记录",
        label="短信通知和短信验证码",
    ),
    RetentionRule(
        code="consultation.contacts",
        data_class="personal",
        models=("consultation.Ticket",),
        period_days=CONSULTATION_CONTACT_DAYS,
        trigger="咨询答复时间",
        action="anonymise",
        legal_basis="个人信息保护法第十九条、第四十七条第一款第一项（联系方式仅用于答复，答复后目的已实现）",
        note="清除称呼、联系电话（密文和脱敏形式）和短信告知选项；咨询内容、答复和处理经过作为服务记录保留",
        label="法律咨询留下的称呼、联系电话和短信告知选项（咨询内容和答复作为服务记录保留）",
    ),
    RetentionRule(
        code="access_log",
        data_class="personal",
        models=("audit.PersonalDataAccess",),
        period_days=ACCESS_LOG_DAYS,
        trigger="查看（使用）时间",
        action="prefix",
        legal_basis="网络安全法第二十一条第三项（日志至少六个月）；个人信息保护法第十九条",
        note="哈希链前缀清除：先在审计链记录 audit.access_purged（清除到的序号和哈希），verify-access 自该哈希起核验",
        label="您的个人数据被查看、使用的记录（“我的数据使用记录”）",
    ),
    RetentionRule(
        code="audit",
        data_class="audit",
        models=("audit.AuditEvent",),
        period_days=AUDIT_DAYS,
        trigger="事件发生时间",
        action="prefix",
        legal_basis="网络安全法第二十一条第三项（日志至少六个月）；等保 2.0 安全审计",
        note="哈希链前缀清除（audit.purged）；不早于个人数据查看记录清除事件，以免其核验起点被删；清除前按月归档并保存锚点",
        label="平台操作审计记录（登录、办理、修改等操作的日志）",
    ),
    RetentionRule(
        code="cases",
        data_class="case",
        models=("applications.Application", "applications.ApplicationMaterial", "documents.Document"),
        period_days=None,
        trigger="办结",
        action="keep",
        legal_basis="个人信息保护法第十三条第一款第三项（履行法定职责）；档案法、机关档案管理规定（归档保存）",
        note="办件档案按档案保管期限归档、移交，不由本任务清除；撤回同意不影响其保存",
        label="办件、申请材料和文书（按档案保管期限归档，撤回同意不影响其保存）",
    ),
    RetentionRule(
        code="accounts",
        data_class="personal",
        models=("accounts.User", "accounts.NaturalPerson", "accounts.LegalPerson", "accounts.ConsentRecord"),
        period_days=None,
        trigger="账户注销",
        action="keep",
        legal_basis="个人信息保护法第十四条、第十五条（同意记录是同意和撤回的证明）、第四十七条",
        note="账户存续期间保存；平台尚无账户注销功能，注销后的清除规则随该功能实现",
        label="账户、身份信息和同意记录（账户存续期间保存）",
    ),
)


def rule(code: str) -> RetentionRule:
    return next(r for r in RULES if r.code == code)
