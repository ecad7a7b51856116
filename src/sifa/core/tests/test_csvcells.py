"""One rule for spreadsheet-safe CSV cells, used by every CSV Sifa writes."""

from __future__ import annotations

import pytest

from sifa.core.csvcells import safe_cell


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_a_cell_a_spreadsheet_would_evaluate_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["", "杭州市西湖区司法局", "2026-12", "1+1", "'=already"])
def test_other_text_is_left_as_it_is(text):
    assert safe_cell(text) == text
