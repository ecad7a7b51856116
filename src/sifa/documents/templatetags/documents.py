"""Template helpers for printed documents: Chinese dates and verification QR codes."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.safestring import SafeString

from sifa.documents.rendering import chinese_date as _chinese_date
from sifa.documents.rendering import qr_svg

register = template.Library()


@register.filter
def chinese_date(value: dt.date | None) -> str:
    """``{{ issued_on|chinese_date }}`` → 二〇二六年十一月二十七日."""
    return _chinese_date(value) if value else ""


@register.simple_tag
def qr_code(url: str, size_mm: int = 25) -> SafeString:
    """``{% qr_code verify_url %}``: an inline SVG QR code (segno)."""
    return qr_svg(url, size_mm=size_mm)
