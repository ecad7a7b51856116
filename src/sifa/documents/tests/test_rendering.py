"""Rendering: Chinese fonts embedded and subset, text extractable, QR codes that decode, fast."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sifa.documents.rendering import chinese_date, chinese_number, document_date, html_to_pdf, render_pdf
from sifa.documents.tests.conftest import APPROVAL_CONTEXT, needs_poppler
from sifa.documents.tests.tools import has

CONTEXT = {**APPROVAL_CONTEXT, "title": "准予行政许可决定书", "organisation_name": "杭州市西湖区司法局", "number": "浙西司许〔2026〕7号", "issued_on": dt.date(2026, 11, 27)}  # fmt: skip


def poppler(tool: str, pdf: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])], capture_output=True, text=True, check=True).stdout  # fmt: skip


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_pdf("documents/approval_decision.html", CONTEXT)


@needs_poppler
def test_an_embedded_subset_cjk_font(pdf, tmp_path):
    lines = [line for line in poppler("pdffonts", pdf, tmp_path).splitlines() if "CJK" in line]
    assert lines, "no CJK font in the PDF"
    for line in lines:
        columns = line.split()
        # name  type…  encoding  emb sub uni  object ID
        assert columns[-5:-2] == ["yes", "yes", "yes"], line
        assert "+" in columns[0]  # a subset tag such as ABCDEF+Noto-Serif-CJK-SC


@needs_poppler
def test_the_chinese_text_can_be_extracted(pdf, tmp_path):
    text = poppler("pdftotext", pdf, tmp_path)
    for expected in (
        "准予行政许可决定书",
        "浙西司许〔2026〕7号",
        "杭州市西湖区司法局",
        "2026年11月27日",  # 成文日期 in Arabic numerals (GB/T 9704-2012 §7.3.5.4)
        "律师执业许可",
    ):
        assert expected in text


def test_the_qr_code_decodes_to_the_verification_url(pdf, tmp_path):
    if not has("zbarimg", "pdftoppm"):
        pytest.skip("zbarimg (Debian zbar-tools) and pdftoppm (poppler-utils) are needed to read the QR code")
    (tmp_path / "doc.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "doc.pdf"), str(tmp_path / "page")], check=True)  # fmt: skip
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True
    )
    assert decoded.stdout.strip() == APPROVAL_CONTEXT["verify_url"]


def test_applicant_text_is_escaped_and_never_fetches_files(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not an image")
    hostile = {**CONTEXT, "applicant_name": f'<img src="file://{secret}">张三'}
    pdf = render_pdf("documents/approval_decision.html", hostile)
    assert pdf.startswith(b"%PDF-")
    # Even a template that asks for a local file gets nothing: only data: URLs are fetched.
    html = f'<html><body><p>测试</p><img src="file://{secret}"><img src="http://127.0.0.1:9/x.png"></body></html>'
    assert html_to_pdf(html).startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("date", "text"),
    [
        (dt.date(2026, 11, 27), "二〇二六年十一月二十七日"),
        (dt.date(2030, 1, 10), "二〇三〇年一月十日"),
        (dt.date(2026, 10, 30), "二〇二六年十月三十日"),
        (dt.date(2026, 2, 1), "二〇二六年二月一日"),
    ],
)
def test_chinese_dates(date, text):
    assert chinese_date(date) == text


@pytest.mark.parametrize(
    ("date", "text"),
    [(dt.date(2026, 11, 27), "2026年11月27日"), (dt.date(2027, 1, 5), "2027年1月5日")],
)
def test_document_dates_follow_gbt9704_2012(date, text):
    assert document_date(date) == text


_VALUES = dict(zip("一二三四五六七八九", range(1, 10), strict=True))


def _parse(text: str) -> int:
    if "十" not in text:
        return _VALUES[text]
    tens, _, ones = text.partition("十")
    return (_VALUES[tens] if tens else 1) * 10 + (_VALUES[ones] if ones else 0)


@given(st.integers(min_value=1, max_value=99))
def test_chinese_numbers_read_back(value):
    text = chinese_number(value)
    assert "〇" not in text
    assert _parse(text) == value


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_every_date_has_the_year_digit_by_digit(date):
    text = chinese_date(date)
    assert text.startswith("".join("〇一二三四五六七八九"[int(d)] for d in str(date.year)) + "年")
    assert text.endswith("日")


@needs_poppler
def test_a_cancellation_letter_says_it_cancels_and_a_change_letter_that_it_changes(tmp_path):
    """行政许可法 §70 / §49: neither letter may read as a grant of a new licence (准予行政许可)."""
    base = {**CONTEXT, "application_number": "SF33010020260302000001", "licence_name": "律师执业证"}
    cancel = poppler("pdftotext", render_pdf("documents/approval_decision.html", {
        **base, "title": "注销行政许可决定书", "item_name": "律师执业注销", "effect": "cancel",
        "legal_basis": "《中华人民共和国行政许可法》第七十条",
    }), tmp_path)  # fmt: skip
    flat = "".join(cancel.split())
    assert "注销行政许可决定书" in flat and "本机关决定注销你（单位）的律师执业证" in flat
    assert "应当办理注销手续的情形" in flat and "准予行政许可" not in flat
    change = poppler("pdftotext", render_pdf("documents/approval_decision.html", {
        **base, "title": "准予变更行政许可决定书", "item_name": "律师执业变更许可（变更执业机构）",
        "effect": "reissue", "licence_version": 2, "changed": [("执业机构", "浙江新律师事务所")],
        "legal_basis": "《中华人民共和国律师法》第十条",
    }), tmp_path)  # fmt: skip
    flat = "".join(change.split())
    assert "本机关决定准予变更" in flat and "变更后的执业机构浙江新律师事务所" in flat
    assert "（第2版）" in flat and "准予行政许可" not in flat
    denial = poppler("pdftotext", render_pdf("documents/denial_decision.html", {
        **base, "title": "不予注销行政许可决定书", "reasons": ["正在接受立案调查"], "decision_text": "不予注销",
    }), tmp_path)  # fmt: skip
    assert "本机关决定不予注销" in "".join(denial.split())
