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
