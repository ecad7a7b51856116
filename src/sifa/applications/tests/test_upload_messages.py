"""Size and type refusals state the limit they broke: 文件不能超过 20 MB，仅支持 PDF、JPG、PNG、OFD."""

from __future__ import annotations

import io

from sifa.applications.uploads import inspect_upload
from sifa.applications.uploads.errors import TOO_LARGE, TYPE_NOT_ALLOWED, size_text, upload_rule

from .upload_corpus import make_pdf


def test_the_rule_names_the_limit_and_the_types(settings):
    settings.UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    assert upload_rule() == "文件不能超过 20 MB，仅支持 PDF、JPG、PNG、OFD"
    assert size_text(1536 * 1024) == "1.5 MB" and size_text(300 * 1024) == "300 KB"


def test_an_oversize_file_is_told_the_limit(settings):
    settings.UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    verdict = inspect_upload(io.BytesIO(make_pdf() + b"%" * 2048), "a.pdf", max_bytes=1024 * 1024 // 1024)
    assert verdict.code == TOO_LARGE
    assert verdict.message.startswith("文件不能超过 1 KB，仅支持 PDF、JPG、PNG、OFD。")
    big = make_pdf() + b"%" * (3 * 1024 * 1024)
    verdict = inspect_upload(io.BytesIO(big), "a.pdf", max_bytes=2 * 1024 * 1024)
    assert "文件不能超过 2 MB" in verdict.message


def test_a_file_of_another_type_is_told_which_types_are_accepted(settings):
    settings.UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    verdict = inspect_upload(io.BytesIO(b"MZ\x90\x00" + bytes(200)), "a.pdf")
    assert verdict.code == TYPE_NOT_ALLOWED
    assert verdict.message.startswith("文件不能超过 20 MB，仅支持 PDF、JPG、PNG、OFD。")
