"""Streaming, storage and serving of uploads."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import tracemalloc
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from sifa.applications.uploads import (
    FileSystemUploadStore,
    UploadRejected,
    attachment_response,
    inspect_upload,
    store_upload,
)
from sifa.applications.uploads.errors import PDF_ACTIVE_CONTENT, TOO_LARGE, TYPE_NOT_ALLOWED
from sifa.applications.uploads.streaming import EICAR, WorkFile
from sifa.core.errors import NotFound

from .upload_corpus import make_pdf, pdf_stream
from .upload_corpus.samples import JS_ACTION, catalog_with, image_bytes

MB = 1024 * 1024


@pytest.fixture
def store(tmp_path) -> FileSystemUploadStore:
    return FileSystemUploadStore(tmp_path / "media")


def files_under(store: FileSystemUploadStore) -> list[str]:
    return sorted(str(p) for p in store.root.rglob("*") if p.is_file()) if store.root.exists() else []


def write_big_pdf(path, size: int) -> None:
    """A ~``size``-byte PDF whose bulk is one binary image stream, written in pieces."""
    head = make_pdf()[: -len(b"%%EOF\n")]
    body = size - len(head) - 200
    with open(path, "wb") as fh:
        fh.write(head)
        fh.write(b"9 0 obj\n<< /Subtype /Image /Filter /DCTDecode /Length %d >>\nstream\n" % body)
        for _ in range(body // MB):
            fh.write(os.urandom(MB))
        fh.write(os.urandom(body % MB))
        fh.write(b"\nendstream\nendobj\n%%EOF\n")


def test_20_mb_upload_streams_without_holding_the_file(tmp_path, store):
    path = tmp_path / "big.pdf"
    write_big_pdf(path, 20 * MB - 4096)
    with open(path, "rb") as raw:
        upload = TemporaryUploadedFile("big.pdf", "application/pdf", os.path.getsize(path), None)
        while chunk := raw.read(MB):
            upload.write(chunk)
        upload.seek(0)
    tracemalloc.start()
    try:
        verdict = store_upload(upload, "big.pdf", store=store)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        upload.close()
    assert verdict.accepted, verdict.detail
    assert peak < 5 * MB, f"peak {peak / MB:.1f} MB"
    stored = store.media_root / verdict.stored.key
    digest = hashlib.new("sm3")
    with open(stored, "rb") as fh:
        while chunk := fh.read(MB):
            digest.update(chunk)
    assert verdict.stored.sm3 == digest.hexdigest()
    assert verdict.stored.size == os.path.getsize(path)


def test_oversize_is_refused_while_streaming_and_stores_nothing(store):
    class Endless(io.RawIOBase):
        """A client that keeps sending; the gate must stop reading at the limit."""

        read_total = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            self.read_total += len(buffer)
            buffer[:] = (b"%PDF-1.7\n" + bytes(len(buffer)))[: len(buffer)]
            return len(buffer)

    endless = Endless()
    verdict = store_upload(io.BufferedReader(endless), "x.pdf", max_bytes=2 * MB, store=store)
    assert verdict.code == TOO_LARGE
    assert endless.read_total < 3 * MB
    assert files_under(store) == []


def test_declared_size_over_the_limit_is_refused_before_reading(store, settings):
    upload = SimpleUploadedFile("a.pdf", make_pdf())
    upload.size = 21 * MB
    assert store_upload(upload, "a.pdf", store=store).code == TOO_LARGE


def test_limit_comes_from_the_settings(settings, store):
    settings.UPLOAD_MAX_BYTES = 1000
    data = make_pdf([pdf_stream(b"x" * 2000)])
    assert store_upload(io.BytesIO(data), "a.pdf", store=store).code == TOO_LARGE


def test_disallowed_type_is_refused_after_the_first_chunk(store):
    source = io.BytesIO(b"<html>" + b"a" * (10 * MB))
    verdict = store_upload(source, "a.pdf", store=store)
    assert verdict.code == TYPE_NOT_ALLOWED
    assert source.tell() <= 64 * 1024


def test_django_uploaded_files_are_accepted(store):
    upload = SimpleUploadedFile("证明.pdf", make_pdf(), content_type="application/pdf")
    upload.read(10)  # a view peeked: the gate still reads from the start
    verdict = store_upload(upload, upload.name, declared_content_type=upload.content_type, store=store)
    assert verdict.accepted and verdict.stored.content_type == "application/pdf"
    assert verdict.declared_content_type == "application/pdf"


def test_declared_content_type_is_not_trusted(store):
    data = make_pdf(catalog=catalog_with(JS_ACTION))
    verdict = store_upload(io.BytesIO(data), "a.pdf", declared_content_type="image/png", store=store)
    assert verdict.code == PDF_ACTIVE_CONTENT


def test_key_layout_and_permissions(store):
    verdict = store_upload(io.BytesIO(image_bytes("JPEG")), "我的照片.JPG", store=store)
    key = verdict.stored.key
    assert re.fullmatch(r"uploads/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", key)
    mode = (store.media_root / key).stat().st_mode & 0o777
    assert mode & 0o111 == 0  # never executable
    assert not list((store.root / ".incoming").iterdir())  # no work files left behind


def test_inspect_does_not_store(store, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "m2"
    verdict = inspect_upload(io.BytesIO(make_pdf()), "a.pdf")
    assert verdict.accepted and verdict.stored is None and verdict.kind == "pdf"
    assert not (tmp_path / "m2" / "uploads").exists()


def test_rejection_raises_a_service_error_for_the_api(store):
    verdict = store_upload(io.BytesIO(b"MZ" + bytes(100)), "a.pdf", store=store)
    with pytest.raises(UploadRejected) as caught:
        verdict.raise_if_rejected()
    assert caught.value.status == 400 and caught.value.code == TYPE_NOT_ALLOWED
    assert caught.value.errors[0]["field"] == "file"


def test_default_store_uses_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    verdict = store_upload(io.BytesIO(make_pdf()), "a.pdf")
    assert (tmp_path / "media" / verdict.stored.key).is_file()


@pytest.mark.django_db  # closing a FileResponse fires request_finished, which closes connections
def test_attachment_response_headers(store):
    verdict = store_upload(io.BytesIO(make_pdf()), "律师执业许可申请书.pdf", store=store)
    response = attachment_response(
        verdict.stored.key, verdict.stored.display_name, verdict.stored.content_type, store=store
    )
    body = b"".join(response.streaming_content)
    response.close()
    assert body == make_pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "律师执业许可申请书.pdf"
    assert disposition.isascii()


@pytest.mark.django_db
def test_attachment_response_never_serves_html(store):
    verdict = store_upload(io.BytesIO(make_pdf()), 'a"b.pdf', store=store)
    response = attachment_response(verdict.stored.key, 'x"\r\n.pdf', "text/html", store=store)
    response.close()
    assert response["Content-Type"] == "application/octet-stream"
    assert "\r" not in response["Content-Disposition"] and '"x_' in response["Content-Disposition"]


@pytest.mark.parametrize(
    "key", ["../../etc/passwd", "uploads/2025/01/../../../x.pdf", "uploads/2025/01/" + "a" * 32 + ".pdf"]
)
def test_unknown_or_malformed_keys_are_not_found(store, key):
    with pytest.raises(NotFound):
        attachment_response(key, "a.pdf", "application/pdf", store=store)


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=200),
            st.just(EICAR),
            st.integers(min_value=1, max_value=len(EICAR) - 1).map(lambda cut: EICAR[:cut]),
            st.integers(min_value=1, max_value=len(EICAR) - 1).map(lambda cut: EICAR[cut:]),
        ),
        max_size=8,
    ),
    st.integers(min_value=1, max_value=300),
)
def test_the_streamed_file_sees_the_signature_and_digest_whatever_the_chunks(parts, size):
    """The upload handler's chunks may cut the body anywhere (even into pieces shorter than the
    signature): the signature is found exactly when it is in the bytes, and the SM3 is theirs."""
    data = b"".join(parts)
    fd, name = tempfile.mkstemp(prefix=".part-")
    work = WorkFile(Path(name), os.fdopen(fd, "w+b"), "a.pdf", "application/pdf", None)
    try:
        for start in range(0, len(data), size):
            work.feed(data[start : start + size])
        work.finish()
        assert work.malware is (EICAR in data)
        assert work.sm3 == hashlib.new("sm3", data).hexdigest()
        assert work.file.read() == data
    finally:
        work.close()
