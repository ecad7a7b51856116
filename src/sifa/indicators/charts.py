"""Server-rendered SVG charts for the indicator pages: no JavaScript, no chart library, no CDN.

Each chart is an inline ``<svg role="img">`` named by its ``<title>`` and described by its
``<desc>`` (the figures in words), drawn with SVG presentation attributes only (the CSP forbids
inline styles). The page puts the same numbers in a data table beside it, so nothing is told by
the picture alone (WCAG 1.1.1, 1.4.1). Sizes are in the ``viewBox``; the page's CSS scales the
picture to the column, so it fits 375 px.

Everything written into the SVG passes through :func:`django.utils.html.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
HEIGHT = 280
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 20, 44
INK = "#0b0c0c"  # text and axes: 19:1 on white
GRID = "#b1b4b6"
BAR = "#1d70b8"  # 5.2:1 on white (WCAG 1.4.11 non-text contrast ≥ 3:1)
LINE = "#00703c"  # 6.0:1 on white


@dataclass(frozen=True)
class Point:
    label: str  # in words, for <desc>: "2026年11月"
    value: float | None  # None: nothing to show that month (e.g. a rate without a denominator)
    axis: str = ""  # the short x axis label ("11月"); the label when empty


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.1f}%"
    if float(value).is_integer():
        return f"{int(value)}{unit}"
    return f"{value:.1f}{unit}"


def _nice_max(value: float) -> float:
    """A round top for the y axis: four gridline steps of 1, 2 or 5 × 10ⁿ (whole numbers, so a
    count axis never reads 0.5件), at least 4."""
    needed = max(value, 0) / 4
    magnitude = 1
    while magnitude * 10 <= needed:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= needed:
            return float(4 * step * magnitude)
    return float(40 * magnitude)  # pragma: no cover - the loop always returns


def describe(points: Sequence[Point], unit: str) -> str:
    """The figures in words, for ``<desc>``: "11月 12件；12月 无数据"."""
    return "；".join(f"{p.label} {_fmt(p.value, unit) if p.value is not None else '无数据'}" for p in points)


def _frame(ident: str, title: str, desc: str, body: list[str]) -> SafeString:
    head = (
        f'<svg class="ind-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{escape(ident)}-title {escape(ident)}-desc" focusable="false">'
        f'<title id="{escape(ident)}-title">{escape(title)}</title>'
        f'<desc id="{escape(ident)}-desc">{escape(desc)}</desc>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every value above is escaped


def _axes(top: float, unit: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" fill="{INK}">'
            f"{escape(_fmt(value, unit))}</text>"
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="{INK}" stroke-width="1"/>'
    )
    return parts


def _x_labels(points: Sequence[Point]) -> list[str]:
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w / max(len(points), 1)
    return [
        f'<text x="{LEFT + slot * (i + 0.5):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
        f'font-size="12" fill="{INK}">{escape(p.axis or p.label)}</text>'
        for i, p in enumerate(points)
    ]


def bar_chart(ident: str, title: str, points: Sequence[Point], unit: str = "") -> SafeString:
    """Vertical bars, one per point (a missing value draws no bar)."""
    values = [p.value for p in points if p.value is not None]
    top = _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    body = _axes(top, unit)
    for i, p in enumerate(points):
        if p.value is None:
            continue
        h = plot_h * (p.value / top)
        x = LEFT + slot * i + slot * 0.2
        body.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{slot * 0.6:.1f}" height="{h:.1f}" fill="{BAR}"/>'
        )
    body += _x_labels(points)
    return _frame(ident, title, describe(points, unit), body)


def line_chart(ident: str, title: str, points: Sequence[Point], unit: str = "%") -> SafeString:
    """A line through the points with a marker on each; a gap where a value is missing.
    Rates (``unit="%"``) use a fixed 0–100 axis, so months compare at a glance."""
    values = [p.value for p in points if p.value is not None]
    top = 100.0 if unit == "%" else _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    body = _axes(top, unit)
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, p in enumerate(points):
        if p.value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        x = LEFT + slot * (i + 0.5)
        y = TOP + plot_h - plot_h * (min(p.value, top) / top)
        segment.append(f"{x:.1f},{y:.1f}")
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{LINE}"/>')
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            body.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{LINE}" stroke-width="3"/>')
    body += _x_labels(points)
    return _frame(ident, title, describe(points, unit), body)
