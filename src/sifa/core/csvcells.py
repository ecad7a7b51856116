"""Spreadsheet-safe CSV cells (OWASP "CSV injection"): every CSV Sifa publishes or lets staff
download passes its text cells through :func:`safe_cell`.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be read as
a formula by a spreadsheet program (``=HYPERLINK(…)``, ``@SUM(…)``); it gets a leading apostrophe,
which spreadsheets show as text and never evaluate. Numbers written as numbers (``int``/``float``)
are left alone, so a negative figure stays a figure; a negative number that arrives as text is
escaped like any other text.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text
