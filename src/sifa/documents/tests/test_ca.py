"""The platform CA and seal certificates: files with safe modes, lazy issuance, rotation, no leaks."""

from __future__ import annotations

import logging
import stat
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from django.core.management.base import CommandError

from sifa.audit.models import AuditEvent
from sifa.core.errors import ServiceError
from sifa.documents.ca import SealAuthority, _default_directory, default_authority
from sifa.documents.rendering import render_pdf
from sifa.documents.sealing import seal_pdf, verify_sealed_pdf
from sifa.documents.tests.conftest import APPROVAL_CONTEXT, XIHU_USCC

NAME = "杭州市西湖区司法局"


@pytest.fixture
def authority(tmp_path) -> SealAuthority:
    return SealAuthority(tmp_path / "ca", generate=True)


def test_development_creates_a_ca_with_a_private_key_only_the_owner_can_read(authority):
    ca = authority.ca_certificate()
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert stat.S_IMODE(authority.ca_key_path.stat().st_mode) == 0o600
    assert authority.ca_certificate_pem().startswith("-----BEGIN CERTIFICATE-----")


def test_a_seal_certificate_names_the_organisation_and_its_uscc(authority):
    credentials = authority.credentials(XIHU_USCC, NAME)
    certificate = credentials.certificate
    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == NAME
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Sifa"
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == XIHU_USCC
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert certificate.issuer == authority.ca_certificate().subject
    key_files = list((authority.directory / "seals" / XIHU_USCC).glob("*.key.pem"))
    assert len(key_files) == 1 and stat.S_IMODE(key_files[0].stat().st_mode) == 0o600


def test_seal_certificates_are_issued_once_and_reused(authority):
    first = authority.credentials(XIHU_USCC, NAME)
    again = SealAuthority(authority.directory).credentials(XIHU_USCC, NAME)  # another process, from disk
    assert again.serial_hex == first.serial_hex


def test_a_renamed_organisation_gets_a_new_seal(authority):
    old = authority.credentials(XIHU_USCC, NAME)
    new = authority.credentials(XIHU_USCC, "杭州市西湖区司法局（更名）")
    assert new.serial_hex != old.serial_hex


def test_documents_sealed_before_a_rotation_still_verify(authority):
    org = SimpleNamespace(name=NAME, uscc=XIHU_USCC)
    pdf = render_pdf("documents/approval_decision.html", {**APPROVAL_CONTEXT, "organisation_name": NAME})
    before = seal_pdf(pdf, org, reason="x", location="y", authority=authority)
    rotated = authority.rotate(XIHU_USCC, NAME)
    after = seal_pdf(pdf, org, reason="x", location="y", authority=authority)
    assert after.certificate_serial == rotated.serial_hex != before.certificate_serial
    for sealed in (before, after):
        assert verify_sealed_pdf(
            sealed.pdf, sealed.sm2_signature_der, sealed.sm2_key_id, authority=authority
        ).valid
    assert len(authority.seal_certificates(XIHU_USCC)) == 2


def test_production_never_invents_a_ca(tmp_path, settings):
    empty = SealAuthority(tmp_path / "empty")
    with pytest.raises(ServiceError) as excinfo:
        empty.ca_certificate()
    assert (excinfo.value.code, excinfo.value.status) == ("documents.seal_not_configured", 503)
    settings.DEBUG = False
    settings.TESTING = False
    settings.SEAL_KEY_DIR = ""
    with pytest.raises(ServiceError) as excinfo:
        _default_directory()
    assert excinfo.value.code == "documents.seal_not_configured"


def test_without_the_ca_key_existing_seals_still_work_but_none_are_issued(authority):
    issued = authority.credentials(XIHU_USCC, NAME)
    authority.ca_key_path.unlink()
    offline = SealAuthority(authority.directory)
    assert offline.credentials(XIHU_USCC, NAME).serial_hex == issued.serial_hex
    with pytest.raises(ServiceError) as excinfo:
        offline.credentials("11330000002482022X", "浙江省司法厅")
    assert excinfo.value.code == "documents.ca_key_missing"


def test_a_malformed_uscc_is_refused(authority):
    with pytest.raises(ServiceError) as excinfo:
        authority.credentials("../../etc/passwd", NAME)
    assert excinfo.value.code == "documents.bad_uscc"


def test_private_keys_never_appear_in_logs_repr_or_the_database(caplog, orgs, citizen):
    from sifa.documents.services import issue_document

    caplog.set_level(logging.DEBUG)
    authority = default_authority()
    credentials = authority.credentials(XIHU_USCC, NAME)
    document = issue_document(
        "approval_decision", organisation=orgs["county"], recipient=citizen, context=dict(APPROVAL_CONTEXT)
    )
    key_pem = (authority.directory / "seals" / XIHU_USCC / f"{credentials.serial_hex}.key.pem").read_text()
    key_body = "".join(key_pem.splitlines()[1:-1])
    assert "PRIVATE KEY" not in caplog.text and key_body[:64] not in caplog.text
    assert "PRIVATE" not in repr(credentials) and key_body[:64] not in str(credentials)
    with pytest.raises(TypeError):
        __import__("pickle").dumps(credentials)
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("documents_document", "documents_documentnumbersequence", "audit_auditevent"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 — fixed table names
            dumped = repr(cursor.fetchall())
            assert "PRIVATE KEY" not in dumped and key_body[:64] not in dumped
    assert document.pk


def test_the_ca_cert_command_prints_the_pem(capsys, db):
    call_command("documents", "ca-cert")
    out = capsys.readouterr().out
    assert out.startswith("-----BEGIN CERTIFICATE-----") and "PRIVATE" not in out
    x509.load_pem_x509_certificate(out.encode())


def test_rotating_a_seal_is_audited_with_the_new_serial(orgs, capsys):
    """Regression guard: ``sifa documents rotate-seal`` issued a certificate without any audit event;
    now the organisation, the new serial and its end date are recorded with it."""
    call_command("documents", "rotate-seal", XIHU_USCC.lower())
    assert "新的印章证书" in capsys.readouterr().out
    newest = default_authority().seal_certificates(XIHU_USCC)[0]
    event = AuditEvent.objects.get(action="documents.seal.rotate")
    assert (event.object_type, event.object_id) == (
        "documents.SealCertificate",
        format(newest.serial_number, "x"),
    )
    assert event.organisation == orgs["county"] and event.scope_path == orgs["county"].path
    assert event.detail["not_valid_after"] == newest.not_valid_after_utc.isoformat()
    with pytest.raises(CommandError, match=r"\[documents.unknown_organisation\]"):
        call_command("documents", "rotate-seal", "91330106MA2XXXXXX0")
    assert AuditEvent.objects.filter(action="documents.seal.rotate").count() == 1
