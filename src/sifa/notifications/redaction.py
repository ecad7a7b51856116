"""Keep personal data out of ``Delivery.last_error``: provider messages often echo the number."""

from __future__ import annotations

import re

from sifa.core.masking import mask_id_number, mask_phone

_ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1\d{10}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MAX_ERROR_CHARS = 500


def mask_email(value: str) -> str:
    """``z***@example.com``: the first character of the local part and the domain stay visible."""
    local, sep, domain = value.partition("@")
    if not sep:
        return "*" * len(value)
    return f"{local[:1]}***@{domain}"


def redact(text: str) -> str:
    """Mask ID numbers, mobile numbers and e-mail addresses; cut to the column length."""
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    text = _PHONE.sub(lambda m: mask_phone(m.group()[-11:]), text)
    text = _EMAIL.sub(lambda m: mask_email(m.group()), text)
    return text[:MAX_ERROR_CHARS]
