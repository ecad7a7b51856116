"""File-name rules: dangerous names are refused, the rest only tidied for display."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sifa.applications.uploads import UploadRejected, sanitize_display_name
from sifa.applications.uploads.errors import BAD_NAME


@pytest.mark.parametrize(
    "name",
    [
        "../a.pdf",
        "..\\a.pdf",
        "/etc/passwd",
        "C:\\x.pdf",
        "c:x.pdf",
        "a\x00.pdf",
        "a\u202egpj.exe",
        "a\u2066.pdf",
        "a\nb.pdf",
        "NUL",
        "com1.pdf",
        "LPT¹.txt",
        "x" * 201,
        "",
        "   ",
        "..",
        ". . .",
    ],
)
def test_dangerous_names_are_refused(name):
    with pytest.raises(UploadRejected) as caught:
        sanitize_display_name(name)
    assert caught.value.code == BAD_NAME


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("律师执业证.pdf", "律师执业证.pdf"),
        ("  scan   001 .jpg  ", "scan 001 .jpg"),
        (".hidden.pdf", "hidden.pdf"),
        ('a<b>:"c"|?*.pdf', "a_b___c____.pdf"),
        ("report.pdf...", "report.pdf"),
        ("e\u0301.pdf", "é.pdf"),  # NFC
        ("console.pdf", "console.pdf"),  # only exact device names are reserved
    ],
)
def test_safe_names_are_kept_for_display(name, shown):
    assert sanitize_display_name(name) == shown


@settings(max_examples=800, deadline=None)
@given(st.text(max_size=260))
def test_sanitizer_never_returns_a_dangerous_name(name):
    try:
        shown = sanitize_display_name(name)
    except UploadRejected:
        return
    assert shown and len(shown) <= 200
    assert "/" not in shown and "\\" not in shown
    assert not shown.startswith(".")
    assert not any(unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for char in shown)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1, max_size=60
    )
)
def test_ordinary_names_are_accepted(stem):
    stem = stem.replace("/", "").replace("\\", "")
    if not re.sub(r"\s+", " ", stem).strip(" ."):
        return  # nothing but white space and dots: the tidied name would lose its stem
    try:
        shown = sanitize_display_name(stem + ".pdf")
    except UploadRejected as exc:  # only the few Windows device names or drive prefixes
        assert exc.detail in {"reserved device name", "drive letter"}
        return
    assert shown.endswith(".pdf")
