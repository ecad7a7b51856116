"""Masking of personal data wherever it is listed (PIPL §51 去标识化; common display practice)."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """``110105********002X`` style: first 3 and last 4 visible → ``110***********002X``."""
    value = value or ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    """``138****5678``: first 3 and last 4 visible."""
    value = value or ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """``张*`` / ``欧阳**``: keep the first character (the surname, for most names)."""
    value = value or ""
    if len(value) <= 1:
        return value
    return value[0] + "*" * (len(value) - 1)


#: The endings of the administrative units an address starts with (the longer first).
_ADDRESS_UNITS = ("街道", "自治区", "自治州", "自治县", "省", "市", "区", "县", "旗", "镇", "乡")


def mask_address(value: str) -> str:
    """``浙江省杭州市西湖区北山街道1号`` → ``浙江省杭州市西湖区北山街道****``: the places shown, the
    street, number and flat hidden (a fixed ``****``, which does not tell their length). An address
    that names no unit keeps at most its first 4 characters (a third of it); one that is only places stays whole."""
    value = (value or "").strip()
    if not value:
        return ""
    cut = max((value.rfind(unit) + len(unit) for unit in _ADDRESS_UNITS if unit in value), default=0)
    if cut >= len(value):
        return value
    if cut == 0:
        cut = min(4, max(1, len(value) // 3))
    return value[:cut] + "****"
