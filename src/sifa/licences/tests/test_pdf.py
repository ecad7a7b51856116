"""The sealed PDF rendition (rendered and sealed by ``sifa.documents``: WeasyPrint, Noto CJK, pyHanko)."""

from __future__ import annotations

import shutil
import subprocess

from sifa.licences.models import LicenceType
from sifa.licences.services import issue_licence

from .conftest import client_for


def test_the_holder_downloads_a_sealed_pdf_that_validates_and_names_the_licence(people, orgs, ring, tmp_path):
    from sifa.documents.sealing import verify_sealed_pdf

    licence = issue_licence(
        LicenceType.objects.get(key="lawyer_licence"), people["citizen"], orgs["zj"], actor=people["decider"],
        particulars={"practice_organisation": "浙江示例律师事务所"},
    )  # fmt: skip
    assert licence.pdf_storage_key and licence.pdf_key_id == licence.key_id
    response = client_for(people["citizen"]).get(f"/api/v1/licences/{licence.identifier}/pdf/")
    assert response.status_code == 200
    pdf = response.content
    result = verify_sealed_pdf(pdf, bytes(licence.pdf_signature), licence.pdf_key_id, keyring=ring)
    assert result.valid, result.errors
    assert result.sm3_hex == licence.pdf_sm3 and result.signer_uscc in ("", orgs["zj"].uscc)

    tampered = bytearray(pdf)
    tampered[len(tampered) // 3] ^= 0x01
    assert not verify_sealed_pdf(
        bytes(tampered), bytes(licence.pdf_signature), licence.pdf_key_id, keyring=ring
    ).valid

    if shutil.which("pdftotext"):
        (tmp_path / "licence.pdf").write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", "licence.pdf", "-"], cwd=tmp_path, capture_output=True, text=True
        ).stdout
        assert "律师执业证" in text and licence.number in text and "/verify/" in text


def test_the_licence_qr_code_opens_verify_on_the_configured_public_address(people, orgs, settings, tmp_path):
    """`PORT=8765 make run` gives the app SIFA_PUBLIC_URL=http://localhost:8765 (tests/test_make_run.py);
    the QR code printed on the licence, read back with zbar, opens /verify/<identifier> there."""
    import pytest

    from sifa.documents.tests.tools import has

    if not has("zbarimg", "pdftoppm"):
        pytest.skip("zbarimg (Debian zbar-tools) and pdftoppm (poppler-utils) are needed to read the QR code")
    settings.PUBLIC_URL = "http://sifa.example.test:8765"
    licence = issue_licence(
        LicenceType.objects.get(key="lawyer_licence"), people["citizen"], orgs["zj"], actor=people["decider"],
        particulars={"practice_organisation": "浙江示例律师事务所"},
    )  # fmt: skip
    pdf = client_for(people["citizen"]).get(f"/api/v1/licences/{licence.identifier}/pdf/").content
    (tmp_path / "licence.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "licence.pdf"), str(tmp_path / "page")], check=True)  # fmt: skip
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True
    ).stdout.strip()
    assert decoded == f"http://sifa.example.test:8765/verify/{licence.identifier}"
