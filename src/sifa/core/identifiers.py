"""National identifiers and their check characters.

* 公民身份号码 — GB 11643-1999, ISO 7064 MOD 11-2 check digit.
* 统一社会信用代码 — GB 32100-2015 check character, including the embedded 组织机构代码 (GB 11714).
* 行政区划代码 — GB/T 2260 six digits; 统计用区划代码 twelve digits.
* ISO/IEC 7064 MOD 37,36 (GB/T 17710), the check character of 电子证照标识 (GB/T 36904).

Every failure raises :class:`IdentifierError` with a stable ``code`` and a Chinese ``message`` so
that forms and the API can show it as is.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from sifa.core.divisions import is_ever_valid


class IdentifierError(ValueError):
    """An identifier failed validation. ``code`` is stable; ``message`` is for people (Chinese)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- 公民身份号码 (GB 11643-1999) ---------------------------------------------------------------

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
EARLIEST_BIRTH = dt.date(1890, 1, 1)


def local_today() -> dt.date:
    """Today in the platform's time zone (``TIME_ZONE``, Asia/Shanghai), not the server clock's: on a
    server kept in UTC, ``date.today()`` is still yesterday until 08:00 Beijing time. Outside
    Django (settings not configured) the local clock's date."""
    from django.conf import settings

    if settings.configured:
        from django.utils import timezone

        return timezone.localdate()
    return dt.date.today()


def id_number_check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise IdentifierError("id_number.format", "公民身份号码前17位应为数字")
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True)
class IdNumber:
    value: str
    region_code: str
    birth_date: dt.date
    sequence: str

    @property
    def sex(self) -> str:
        """GB 11643: an odd 顺序码 is male, an even one female."""
        return "男" if int(self.sequence[-1]) % 2 else "女"


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def parse_id_number(value: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate a 18-digit 公民身份号码 and return its parts.

    Checks, in order: format, check digit, a real birth date that is not in the future, and that
    the 6-digit address code was a GB/T 2260 code at some time (:mod:`sifa.core.divisions`): the
    number is fixed for life (居民身份证法 §3), so 110103 (崇文区, merged in 2010) is accepted.
    """
    raw = normalize_id_number(value)
    if len(raw) != 18:
        raise IdentifierError("id_number.length", "公民身份号码应为18位")
    if not _ID_RE.match(raw):
        raise IdentifierError("id_number.format", "公民身份号码应为17位数字加1位数字或X")
    if id_number_check_digit(raw[:17]) != raw[17]:
        raise IdentifierError("id_number.check_digit", "公民身份号码校验位错误，请核对后重新输入")
    try:
        birth = dt.date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
    except ValueError:
        raise IdentifierError("id_number.birth_date", "公民身份号码中的出生日期不存在") from None
    today = today or local_today()
    if birth > today:
        raise IdentifierError("id_number.birth_date_future", "公民身份号码中的出生日期晚于今天")
    if birth < EARLIEST_BIRTH:
        raise IdentifierError("id_number.birth_date", "公民身份号码中的出生日期不合理")
    if not is_ever_valid(raw[:6]):
        raise IdentifierError(
            "id_number.region", "公民身份号码前6位地址码不是任何时期的行政区划代码，请核对后重新输入"
        )
    return IdNumber(value=raw, region_code=raw[:6], birth_date=birth, sequence=raw[14:17])


# --- 统一社会信用代码 (GB 32100-2015) and 组织机构代码 (GB 11714) ----------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols: no I, O, S, V, Z
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def uscc_check_char(first17: str) -> str:
    if len(first17) != 17 or any(ch not in USCC_ALPHABET for ch in first17):
        raise IdentifierError("uscc.format", "统一社会信用代码含有不允许的字符")
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def orgcode_check_char(first8: str) -> str:
    """GB 11714 组织机构代码 check character over the 8-character body."""
    if len(first8) != 8 or any(ch not in _ORG_ALPHABET for ch in first8):
        raise IdentifierError("uscc.format", "组织机构代码含有不允许的字符")
    remainder = 11 - sum(_ORG_ALPHABET.index(ch) * w for ch, w in zip(first8, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def normalize_uscc(value: str) -> str:
    return (value or "").strip().upper()


def validate_uscc(value: str) -> str:
    """Return the normalized code or raise. Checks length, alphabet, the 组织机构代码 and the 18th character."""
    code = normalize_uscc(value)
    if len(code) != 18:
        raise IdentifierError("uscc.length", "统一社会信用代码应为18位")
    if any(ch not in USCC_ALPHABET for ch in code):
        raise IdentifierError("uscc.format", "统一社会信用代码含有不允许的字符（不使用I、O、S、V、Z）")
    if not code[2:8].isdigit():
        raise IdentifierError("uscc.region", "统一社会信用代码第3至8位应为登记管理机关行政区划码")
    if uscc_check_char(code[:17]) != code[17]:
        raise IdentifierError("uscc.check_char", "统一社会信用代码校验位错误，请核对后重新输入")
    if orgcode_check_char(code[8:16]) != code[16]:
        raise IdentifierError("uscc.orgcode_check", "统一社会信用代码中的组织机构代码校验位错误")
    return code


@lru_cache(maxsize=4096)
def uscc_is_valid(value: str) -> bool:
    """Whether ``value`` is a valid USCC. Cached: a pure function of the string, asked for both
    parties of every exchange message (the sender and receiver recur)."""
    try:
        validate_uscc(value)
    except IdentifierError:
        return False
    return True


def make_uscc(department: str, category: str, region_code: str, org_body: str) -> str:
    """Assemble a code from its parts: 登记管理部门 + 机构类别 + 区划(6) + 组织机构代码本体(8)."""
    first16 = f"{department}{category}{region_code}{org_body}"
    first17 = first16 + orgcode_check_char(org_body)
    return first17 + uscc_check_char(first17)


# --- 行政区划代码 ------------------------------------------------------------------------------

_DIVISION_RE = re.compile(r"^(\d{6}|\d{9}|\d{12})$")


def validate_division_code(value: str) -> str:
    """Format check for a 6-digit GB/T 2260 code or a 9/12-digit statistical code (padded to 12)."""
    code = (value or "").strip()
    if not _DIVISION_RE.match(code):
        raise IdentifierError("region.invalid_code", "行政区划代码应为6位或12位数字")
    if len(code) == 9:
        code += "000"
    if code[:2] == "00":
        raise IdentifierError("region.invalid_code", "行政区划代码的省级代码无效")
    return code


# --- ISO/IEC 7064 MOD 37,36 -----------------------------------------------------------------------

_A36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def iso7064_mod37_36(text: str) -> str:
    """Hybrid-system check character over 0-9A-Z (GB/T 17710), used by 电子证照标识 (GB/T 36904)."""
    m, product = 36, 36
    for ch in text.upper():
        if ch not in _A36:
            raise IdentifierError("licence_id.format", "电子证照标识含有不允许的字符")
        total = (product + _A36.index(ch)) % m or m
        product = (total * 2) % (m + 1)
    return _A36[(m + 1 - product) % m]
