"""A sealed PDF validates in pyHanko and in poppler's pdfsig; one changed byte fails both and SM2."""

from __future__ import annotations

import io
import subprocess
from types import SimpleNamespace

import pytest
from PIL import Image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from sifa.core.errors import ServiceError
from sifa.core.signing import default_keyring
from sifa.documents.ca import SealAuthority, default_authority
from sifa.documents.rendering import render_pdf
from sifa.documents.sealing import seal_pdf, verify_sealed_pdf
from sifa.documents.tests.conftest import APPROVAL_CONTEXT, XIHU_USCC, needs_poppler
from sifa.documents.tests.tools import has, pdfsig

ORG = SimpleNamespace(name="杭州市西湖区司法局", uscc=XIHU_USCC)
needs_certutil = pytest.mark.skipif(
    not has("certutil", "pdfsig"),
    reason="certutil (Debian libnss3-tools) is needed to trust the CA for pdfsig: apt-get install libnss3-tools",
)


@pytest.fixture(scope="module")
def sealed():
    context = {
        **APPROVAL_CONTEXT,
        "title": "准予行政许可决定书",
        "organisation_name": ORG.name,
        "number": "浙西司许〔2026〕1号",
    }
    pdf = render_pdf("documents/approval_decision.html", context)
    return seal_pdf(pdf, ORG, reason="准予行政许可决定", location="杭州")


def one_byte_changed(pdf: bytes) -> bytes:
    """Change one byte inside the signed range that leaves the file parseable (the producer name)."""
    index = pdf.index(b"WeasyPrint")
    assert index < pdf.index(b"/ByteRange")
    return pdf[:index] + b"w" + pdf[index + 1 :]


def test_sealed_pdf_validates_in_pyhanko_against_the_platform_ca(sealed):
    result = verify_sealed_pdf(sealed.pdf, sealed.sm2_signature_der, sealed.sm2_key_id)
    assert result.valid, result.errors
    assert (result.pades_intact, result.pades_valid, result.pades_trusted, result.pades_covers_file) == (
        True,
        True,
        True,
        True,
    )
    assert result.signer_name == "杭州市西湖区司法局"
    assert result.signer_uscc == XIHU_USCC
    assert result.sm3_hex == sealed.sm3_hex


@needs_certutil
def test_sealed_pdf_validates_in_pdfsig_once_the_ca_is_trusted(sealed, tmp_path):
    report = pdfsig(sealed.pdf, default_authority().ca_certificate_pem(), tmp_path)
    assert "Signature is Valid" in report
    assert "Certificate is Trusted" in report
    assert "CN=杭州市西湖区司法局" in report
    assert "Total document signed" in report


@needs_certutil
def test_one_changed_byte_fails_pyhanko_pdfsig_and_sm2(sealed, tmp_path):
    tampered = one_byte_changed(sealed.pdf)
    result = verify_sealed_pdf(tampered, sealed.sm2_signature_der, sealed.sm2_key_id)
    assert not result.valid
    assert not result.pades_intact
    assert not result.sm2_valid
    assert {e["code"] for e in result.errors} >= {"documents.seal_invalid", "documents.sm2_invalid"}
    report = pdfsig(tampered, default_authority().ca_certificate_pem(), tmp_path)
    assert "Signature is Valid" not in report
    assert "Digest Mismatch" in report


def test_a_seal_from_another_ca_is_not_trusted(tmp_path):
    stranger = SealAuthority(tmp_path / "other-ca", generate=True)
    pdf = render_pdf("documents/approval_decision.html", {**APPROVAL_CONTEXT, "organisation_name": ORG.name})
    forged = seal_pdf(pdf, ORG, reason="伪造", location="某地", authority=stranger)
    result = verify_sealed_pdf(forged.pdf, forged.sm2_signature_der, forged.sm2_key_id)
    assert result.pades_intact and not result.pades_trusted
    assert not result.valid
    assert "documents.seal_untrusted" in {e["code"] for e in result.errors}


def test_content_appended_after_sealing_is_reported(sealed):
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed.pdf))
    writer.root["/Lang"] = writer.root.get("/Lang", "zh-CN")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    result = verify_sealed_pdf(out.getvalue(), sealed.sm2_signature_der, sealed.sm2_key_id)
    assert not result.pades_covers_file
    assert not result.valid


def test_the_sm2_signature_verifies_with_openssl_over_the_sm3_digest(sealed, tmp_path):
    if not has("openssl"):
        pytest.skip("openssl is not installed")
    (tmp_path / "pub.pem").write_text(default_keyring().verifier(sealed.sm2_key_id).public_key_pem())
    (tmp_path / "doc.pdf").write_bytes(sealed.pdf)
    (tmp_path / "doc.sig").write_bytes(sealed.sm2_signature_der)
    digest = subprocess.run(
        ["openssl", "dgst", "-sm3", "-binary", "-out", str(tmp_path / "doc.sm3"), str(tmp_path / "doc.pdf")],
        capture_output=True,
    )
    assert digest.returncode == 0, digest.stderr
    assert (tmp_path / "doc.sm3").read_bytes().hex() == sealed.sm3_hex
    verify = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.pem"), "-rawin", "-digest", "sm3",
         "-pkeyopt", "distid:1234567812345678", "-in", str(tmp_path / "doc.sm3"), "-sigfile", str(tmp_path / "doc.sig")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert "Signature Verified Successfully" in verify.stdout


@pytest.mark.parametrize("garbage", [b"", b"not a pdf", b"%PDF-1.7\n%%EOF", b"%PDF-1.7\n" + b"\x00" * 100])
def test_garbage_is_reported_not_raised(garbage, sealed):
    result = verify_sealed_pdf(garbage, sealed.sm2_signature_der, sealed.sm2_key_id)
    assert not result.valid
    assert result.errors
    with pytest.raises(ServiceError) as excinfo:
        seal_pdf(garbage, ORG, reason="x", location="y")
    assert excinfo.value.code == "documents.bad_pdf"


def test_an_unknown_key_id_or_forged_signature_is_reported(sealed):
    unknown = verify_sealed_pdf(sealed.pdf, sealed.sm2_signature_der, "sm2-2026-11-deadbeef")
    assert not unknown.valid and unknown.pades_ok
    assert unknown.errors[0]["code"] == "signing.unknown_key"
    forged = verify_sealed_pdf(sealed.pdf, b"\x30\x06\x02\x01\x01\x02\x01\x01", sealed.sm2_key_id)
    assert not forged.sm2_valid


def test_an_organisation_without_uscc_cannot_seal(sealed):
    with pytest.raises(ServiceError) as excinfo:
        seal_pdf(sealed.pdf, SimpleNamespace(name="某司法所", uscc=""), reason="x", location="y")
    assert excinfo.value.code == "documents.no_uscc"


def _red_pixels(pdf: bytes, workdir) -> int:
    (workdir / "p.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", "-singlefile", str(workdir / "p.pdf"), str(workdir / "p")],
        check=True,
    )
    with Image.open(workdir / "p.png") as image:
        return sum(
            1 for r, g, b in image.convert("RGB").get_flattened_data() if r > 170 and g < 90 and b < 90
        )


@needs_poppler
def test_the_red_round_stamp_is_visible_on_the_page(sealed, tmp_path):
    unsealed = render_pdf(
        "documents/approval_decision.html", {**APPROVAL_CONTEXT, "organisation_name": ORG.name}
    )
    assert _red_pixels(unsealed, tmp_path) == 0
    # A 40 mm seal at 30 dpi is about 47 px across; its ring, star and characters are red.
    assert _red_pixels(sealed.pdf, tmp_path) > 150
