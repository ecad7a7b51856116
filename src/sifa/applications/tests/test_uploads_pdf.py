"""The PDF screen at the token level: hex escapes, chunk boundaries, and no false alarms."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sifa.applications.uploads import inspect_upload
from sifa.applications.uploads.errors import PDF_ACTIVE_CONTENT, UploadRejected
from sifa.applications.uploads.pdf import ACTIVE_LONG, ACTIVE_SHORT, CHUNK, _DataScan, decode_name

from .upload_corpus import make_pdf, pdf_stream
from .upload_corpus.samples import catalog_with, noise, object_stream


def verdict(data: bytes):
    return inspect_upload(io.BytesIO(data), "a.pdf")


def escape(name: bytes, mask: list[bool], *, spelling: bytes = b"#%02X") -> bytes:
    return b"".join(
        spelling % byte if hide else bytes([byte]) for byte, hide in zip(name, mask, strict=False)
    )


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(ACTIVE_LONG | ACTIVE_SHORT)), st.lists(st.booleans(), min_size=20, max_size=20))
def test_every_hex_escaped_spelling_of_an_active_name_is_caught(name, mask):
    spelled = escape(name, mask)
    assert decode_name(spelled) == name
    assert verdict(make_pdf(catalog=catalog_with(b"/" + spelled + b" 5 0 R"))).code == PDF_ACTIVE_CONTENT
    in_objstm = make_pdf([object_stream([b"<< /" + spelled + b" 1 >>"], flate=True)])
    assert verdict(in_objstm).code == PDF_ACTIVE_CONTENT


@pytest.mark.parametrize("shift", range(-12, 3))
def test_names_straddling_a_chunk_boundary_are_caught(shift):
    head = make_pdf()[:9]  # "%PDF-1.7\n"
    padding = b" " * (CHUNK - len(head) - 40 + shift)
    data = make_pdf(catalog=catalog_with(padding + b"/J#61vaScript 5 0 R"))
    assert verdict(data).code == PDF_ACTIVE_CONTENT


def test_active_names_inside_strings_are_text_not_actions():
    data = make_pdf(catalog=catalog_with(b"/Title (How to disable /JavaScript and /Launch \\) obj)"))
    assert verdict(data).accepted


def test_short_names_in_binary_image_data_are_not_false_alarms():
    pixels = noise(50_000) + b" /JS /AA /EF " + noise(1000)
    data = make_pdf([pdf_stream(pixels, b" /Subtype /Image /Filter /DCTDecode")])
    assert verdict(data).accepted


def test_long_names_in_any_stream_are_caught():
    data = make_pdf([pdf_stream(noise(1000) + b"/S /Launch " + noise(1000))])
    assert verdict(data).code == PDF_ACTIVE_CONTENT


@pytest.mark.parametrize(
    ("value", "refused"),
    [(b"<< /S /URI /URI (https://evil.example/) >>", True), (b"12 0 R", True), (b"[3 0 R /Fit]", False)],
)
def test_open_action_in_an_object_stream_is_judged_by_its_value_at_every_piece_boundary(value, refused):
    """Issue 14: inflated object streams arrive in pieces; the value after ``/OpenAction`` (past
    white space and a comment) may start in the next piece, and must still be read."""
    data = b"1 0 << /Type /Catalog /Open#41ction   %note\n  " + value + b" >>"
    for size in range(1, len(data) + 1):
        scan = _DataScan(lambda name: None, objects=True)
        try:
            for start in range(0, len(data), size):
                scan.feed(data[start : start + size])
            scan.close()
        except UploadRejected as rejected:
            assert refused and rejected.code == PDF_ACTIVE_CONTENT, size
        else:
            assert not refused, size


def names_seen(data: bytes, size: int, *, long_names_only: bool) -> list[bytes]:
    seen: list[bytes] = []
    scan = _DataScan(
        lambda name: seen.append(name) if name in ACTIVE_LONG else None, long_names_only=long_names_only
    )
    for start in range(0, len(data), size):
        scan.feed(data[start : start + size])
    scan.close()
    return seen


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=300),
            st.sampled_from(sorted(ACTIVE_LONG)).map(lambda name: b"/" + name),
            st.tuples(
                st.sampled_from(sorted(ACTIVE_LONG)), st.lists(st.booleans(), min_size=20, max_size=20)
            ).map(lambda pair: b"/" + escape(*pair)),
            st.tuples(
                st.sampled_from(sorted(ACTIVE_LONG)), st.lists(st.booleans(), min_size=20, max_size=20)
            ).map(lambda pair: b"/" + escape(*pair, spelling=b"#%02x")),
            st.tuples(
                st.sampled_from(sorted(ACTIVE_LONG)), st.sampled_from([b"x", b"#", b"#6", b"s", b"\x80"])
            ).map(lambda pair: b"/" + pair[0] + pair[1]),
            st.sampled_from(sorted(ACTIVE_LONG)).map(lambda name: b"/x" + name),
            st.sampled_from(
                [b"/", b" ", b"#", b"/J#61va", b"Script", b"(", b"/" + b"x" * 300, b"#2F", b"/#4A", b"/Ja#76"]
            ),
        ),
        max_size=12,
    ),
    st.integers(min_value=1, max_value=400),
)
def test_the_fast_scan_of_stream_data_flags_exactly_the_names_the_full_scan_flags(parts, size):
    """Raw stream data (images, fonts) is searched for suspect names in one regex pass; it must see
    the same long active names as reading every name, whatever the pieces the stream comes in."""
    data = b"".join(parts)
    assert names_seen(data, size, long_names_only=True) == names_seen(data, size, long_names_only=False)
