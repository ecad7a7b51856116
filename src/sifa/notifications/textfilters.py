"""Template filters for SMS texts, counted the way carriers bill them: UTF-16 code units.

Django's ``truncatechars`` counts what a reader sees (grapheme clusters), so a name full of
combining marks or emoji could push a message into a second segment; ``clip`` cannot.
"""

from __future__ import annotations

from django import template

register = template.Library()

ELLIPSIS = "…"


def sms_length(text: str) -> int:
    """Length in UTF-16 code units (an emoji outside the BMP counts twice, as on the handset)."""
    return len(text.encode("utf-16-le")) // 2


@register.filter
def clip(value: object, units: int) -> str:
    """Cut ``value`` to at most ``units`` UTF-16 code units, ellipsis included."""
    text = str(value)
    if sms_length(text) <= units:
        return text
    out, used = [], sms_length(ELLIPSIS)
    for char in text:
        width = sms_length(char)
        if used + width > units:
            break
        out.append(char)
        used += width
    return "".join(out) + ELLIPSIS
