"""HTML → PDF with WeasyPrint: A4, Noto CJK fonts through fontconfig, embedded and subset.

Fonts are found by family name ("Noto Serif CJK SC", "Noto Sans CJK SC", Debian
``fonts-noto-cjk``). WeasyPrint subsets them with HarfBuzz when ``libharfbuzz-subset0`` is
installed (about 0.2 s per document); without it fontTools subsets the 20 MB collections in
about 10 s, so the Debian package is a hard requirement (README, ``.ci/run``).

A rendered document fetches nothing: only ``data:`` URLs are allowed, so text from an applicant
can never make the server read a local file or call another host (SSRF).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

_DIGITS = "〇一二三四五六七八九"
_local = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread: Pango font maps are not thread-safe, and building
    one per document would reload the CJK collections every time."""
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


def _fetcher() -> URLFetcher:
    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def html_to_pdf(html: str) -> bytes:
    """Render a complete HTML document (already escaped) to PDF bytes."""
    document = HTML(string=html, url_fetcher=_fetcher(), media_type="print")
    return document.write_pdf(font_config=_font_config())


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render the Django template ``template_name`` with ``context`` to an A4 PDF.

    The template should extend ``documents/base.html`` (fonts, page size, the seal anchor).
    """
    return html_to_pdf(render_to_string(template_name, context))


def chinese_number(value: int) -> str:
    """1–99 in Chinese numerals as dates write them: 7 → 七, 10 → 十, 27 → 二十七, 30 → 三十."""
    if not 0 < value < 100:
        raise ValueError("chinese_number handles 1–99")
    tens, ones = divmod(value, 10)
    text = ("" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")) + (
        _DIGITS[ones] if ones else ""
    )
    return text


def document_date(value: dt.date) -> str:
    """``2026-11-07`` → ``2026年11月7日``: GB/T 9704-2012 §7.3.5.4 writes the 成文日期 (and §9,
    after GB/T 15835, every date in the text) in Arabic numerals, the year in full, month and day
    without leading zeros."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def chinese_date(value: dt.date) -> str:
    """``2026-11-27`` → ``二〇二六年十一月二十七日``, the date in Chinese numerals as certificates (the
    e-licence PDF) print it. Documents under GB/T 9704-2012 use :func:`document_date`."""
    if isinstance(value, dt.datetime):
        value = value.date()
    year = "".join(_DIGITS[int(d)] for d in f"{value.year:04d}")
    return f"{year}年{chinese_number(value.month)}月{chinese_number(value.day)}日"


def qr_svg(url: str, *, size_mm: int = 25) -> SafeString:
    """An inline SVG QR code for ``url`` (segno; error correction M), ``size_mm`` wide on paper."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=1, border=2, dark="#000", svgclass="qr", lineclass=None)
    # segno writes width/height in user units; a viewBox lets CSS size it exactly in mm.
    width = code.symbol_size(scale=1, border=2)[0]
    svg = svg.replace("<svg ", f'<svg viewBox="0 0 {width} {width}" ', 1)
    svg = svg.replace(f'width="{width}" height="{width}"', f'width="{size_mm}mm" height="{size_mm}mm"', 1)
    return format_html('<div class="qr-code">{}</div>', mark_safe(svg))  # noqa: S308 — segno output, URL encoded as modules
