"""Template helpers for printed documents: dates (GB/T 9704-2012) and verification QR codes."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.safestring import SafeString

from sifa.documents.rendering import chinese_date as _chinese_date
from sifa.documents.rendering import document_date as _document_date
from sifa.documents.rendering import qr_svg

register = template.Library()


@register.filter
def document_date(value: dt.date | None) -> str:
    """``{{ issued_on|document_date }}`` → 2026年11月27日 (GB/T 9704-2012 §7.3.5.4)."""
    return _document_date(value) if value else ""


@register.filter
def chinese_date(value: dt.date | None) -> str:
    """``{{ issue_date|chinese_date }}`` → 二〇二六年十一月二十七日 (certificates, not 公文)."""
    return _chinese_date(value) if value else ""


@register.simple_tag
def qr_code(url: str, size_mm: int = 25) -> SafeString:
    """``{% qr_code verify_url %}``: an inline SVG QR code (segno)."""
    return qr_svg(url, size_mm=size_mm)
