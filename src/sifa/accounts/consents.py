"""The consent texts the portal shows, versioned (个人信息保护法 §14, §15, §29).

Each :class:`ConsentText` is one version of one consent: its code, version, the date it took
effect, the exact Chinese text shown, the article it rests on, whether and how it can be
withdrawn. A changed text is a **new version** appended here, never an edit of an old one: a
:class:`~sifa.accounts.models.ConsentRecord` names the version the person saw, so what they agreed
to can always be shown again word for word. :func:`current` is the version shown today.

Where consent is not the legal basis — the 司法行政机关's statutory duties (§13 第一款第三项: 为履行
法定职责或者法定义务所必需) such as keeping a case file — the texts say so: withdrawing a consent
stops the processing that rests on it, never the keeping of records the law requires, and does not
affect processing done before (§15 第二款).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sifa.core.identifiers import local_today


@dataclass(frozen=True)
class ConsentText:
    code: str
    version: str
    effective: dt.date
    title: str
    text: str
    """The exact text shown next to the checkbox."""
    legal_basis: str
    withdrawable: bool
    withdrawal_consequence: str
    """What withdrawing does (and does not) change, shown before the person withdraws."""
    per_application: bool = False
    """Given for one application (the record names it), withdrawn on that application's page."""


REGISTER_ID_NUMBER = "register.id_number"
PARTNER_CHECK = "application.partner_check"
"""The police checks of an application that asks for the criminal record (律师执业许可): identity and
无犯罪记录, the latter sensitive personal information (§28), hence a separate consent (§29)."""
PARTNER_IDENTITY = "application.partner_identity"
"""The police check of an application that asks only for the applicant's identity (法律援助申请,
公证员执业许可 …): name and 公民身份号码 compared, nothing about a criminal record — the consent names
only what is checked (§14: specific; §17: the notice says what is processed)."""

_TEXTS: tuple[ConsentText, ...] = (
    ConsentText(
        code=REGISTER_ID_NUMBER,
        version="2026-12-v1",
        effective=dt.date(2026, 12, 5),
        title="公民身份号码的单独同意",
        text=(
            "我同意本平台处理我的公民身份号码，用于核验身份、确认办件申请人和领取电子证照。"
            "公民身份号码属于敏感个人信息（个人信息保护法第二十八条），本平台加密保存，页面只显示部分号码，"
            "仅在办理我申请的事项时使用。"
        ),
        legal_basis="个人信息保护法第二十九条（处理敏感个人信息应当取得个人的单独同意）",
        withdrawable=True,
        withdrawal_consequence=(
            "撤回后，本平台不再以您的身份号码受理新的网上申请（可以再次同意，或携带身份证到窗口办理）。"
            "撤回不影响撤回前已经进行的处理（个人信息保护法第十五条）；已提交办件的档案属于司法行政机关"
            "履行法定职责所必需的记录（第十三条第一款第三项），按保存期限保存，不因撤回而删除。"
        ),
    ),
    ConsentText(
        code=PARTNER_CHECK,
        version="police-check-2026-12-v1",
        effective=dt.date(2026, 12, 5),
        title="向公安机关核验身份信息和无犯罪记录",
        text="同意向公安机关核验身份信息和无犯罪记录",
        legal_basis="个人信息保护法第十四条、第二十九条（犯罪记录属于敏感个人信息，需单独同意）",
        withdrawable=True,
        withdrawal_consequence=(
            "撤回后不再向公安机关核验，相应材料需要您自行上传；已收到的核验结果仍然有效"
            "（个人信息保护法第十五条）。申请提交前可在该申请的材料页撤回。"
        ),
        per_application=True,
    ),
    ConsentText(
        code=PARTNER_IDENTITY,
        version="police-identity-2026-12-v1",
        effective=dt.date(2026, 12, 7),
        title="向公安机关核验身份信息",
        text="同意向公安机关核验身份信息（姓名、公民身份号码）",
        legal_basis="个人信息保护法第十三条第一款第一项、第十四条",
        withdrawable=True,
        withdrawal_consequence=(
            "撤回后不再向公安机关核验，相应材料需要您自行上传；已收到的核验结果仍然有效"
            "（个人信息保护法第十五条）。申请提交前可在该申请的材料页撤回。"
        ),
        per_application=True,
    ),
)

REGISTRY: dict[tuple[str, str], ConsentText] = {(t.code, t.version): t for t in _TEXTS}


def current(code: str, today: dt.date | None = None) -> ConsentText:
    """The version of ``code`` in effect ``today`` (the latest effective one)."""
    today = today or local_today()  # the day in Beijing, not the server clock's
    versions = [t for t in _TEXTS if t.code == code and t.effective <= today]
    if not versions:
        versions = [t for t in _TEXTS if t.code == code]
    return max(versions, key=lambda t: t.effective)


def text_of(code: str, version: str) -> ConsentText | None:
    return REGISTRY.get((code, version))


def codes() -> list[str]:
    return sorted({t.code for t in _TEXTS})
