"""Issue a 律师执业证, verify it (API, page, openssl), revoke it, rotate the key, try bad input."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sifa.core.licence_ids import parse_licence_id
from sifa.licences import services
from sifa.licences.models import Licence, LicenceStatus, LicenceType
from sifa.licences.payload import holder_commitment

from .conftest import CITIZEN_ID, client_for

VERIFY = "/api/v1/licences/verify"


def lawyer_licence(people, orgs, **kwargs) -> Licence:
    licence_type = LicenceType.objects.get(key="lawyer_licence")
    kwargs.setdefault("particulars", {"practice_organisation": "浙江示例律师事务所"})
    return services.issue_licence(
        licence_type, people["citizen"], orgs["zj"], actor=people["decider"], with_pdf=False, **kwargs
    )


def verify(identifier: str) -> tuple[int, dict]:
    response = client_for().get(f"{VERIFY}/{identifier}/")
    return response.status_code, response.json()


def openssl_verify(tmp_path: Path, pem: str, payload: bytes, signature: bytes) -> subprocess.CompletedProcess:
    (tmp_path / "pub.pem").write_text(pem)
    (tmp_path / "payload.json").write_bytes(payload)
    (tmp_path / "payload.sig").write_bytes(signature)
    command = [
        "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-digest", "sm3",
        "-pkeyopt", "distid:1234567812345678", "-in", "payload.json", "-sigfile", "payload.sig",
    ]  # fmt: skip
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)


def test_issued_licence_has_a_valid_identifier_and_masked_public_facts(people, orgs):
    licence = lawyer_licence(people, orgs)
    parsed = parse_licence_id(licence.identifier)
    assert parsed.type_code == LicenceType.objects.get(key="lawyer_licence").code
    assert parsed.type_code.startswith(orgs["ministry"].uscc) and parsed.issuer_code == orgs["zj"].uscc
    assert parsed.version == 1 and parsed.serial == licence.number

    status, body = verify(licence.identifier)
    assert status == 200
    assert body["authentic"] is True and body["status"] == "valid" and body["status_label"] == "有效"
    assert body["holder"] == "张*" and body["holder_code"] == CITIZEN_ID[:3] + "*" * 11 + CITIZEN_ID[-4:]
    assert body["issuer"] == {"name": "浙江省司法厅", "uscc": orgs["zj"].uscc}
    assert body["valid_until"] is None and body["name"] == "律师执业证"
    payload = base64.b64decode(body["payload"])
    assert CITIZEN_ID not in payload.decode() and "张三" not in payload.decode()
    signed = json.loads(payload)
    assert signed["certificate_identifier"] == licence.identifier
    assert signed["certificate_holder_type"] == "111"
    assert signed["particulars"] == {"practice_organisation": "浙江示例律师事务所"}
    # The commitment binds the signature to the full ID number the server holds sealed.
    assert signed["certificate_holder_commitment"] == holder_commitment(
        licence.holder_salt, CITIZEN_ID, "张三"
    )


def test_the_holder_code_is_stored_sealed_not_in_clear(people, orgs):
    licence = Licence.objects.get(pk=lawyer_licence(people, orgs).pk)
    assert CITIZEN_ID.encode() not in bytes(licence.holder_code_enc)
    assert licence.reveal_holder_code() == CITIZEN_ID
    assert CITIZEN_ID not in licence.payload


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")
def test_signature_verifies_with_openssl_and_one_changed_byte_fails(people, orgs, tmp_path):
    licence = lawyer_licence(people, orgs)
    _status, body = verify(licence.identifier)
    keys = client_for().get("/api/v1/keys/").json()
    pem = next(k["public_key_pem"] for k in keys if k["key_id"] == body["key_id"])
    payload, signature = base64.b64decode(body["payload"]), base64.b64decode(body["signature"])

    good = openssl_verify(tmp_path, pem, payload, signature)
    assert good.returncode == 0 and "Signature Verified Successfully" in good.stdout, good.stderr

    changed = bytearray(payload)
    changed[len(changed) // 2] ^= 0x01
    bad = openssl_verify(tmp_path, pem, bytes(changed), signature)
    assert bad.returncode != 0 and "Signature Verified Successfully" not in bad.stdout


def test_keys_endpoint_is_public_and_lists_pem_keys(people, orgs):
    lawyer_licence(people, orgs)
    keys = client_for().get("/api/v1/keys/").json()
    assert len(keys) == 1
    key = keys[0]
    assert key["algorithm"] == "SM2-with-SM3" and key["status"] == "active"
    assert key["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----") and key["valid_from"]


def test_revocation_shows_at_once_on_the_api_and_the_page(people, orgs):
    licence = lawyer_licence(people, orgs)
    assert "证照真实有效" in client_for().get(f"/verify/{licence.identifier}").content.decode()

    services.revoke(licence, actor=people["decider"], reason="因违法执业被吊销律师执业证书")

    status, body = verify(licence.identifier)
    assert status == 200 and body["authentic"] is True
    assert body["status"] == "revoked" and body["status_reason"] == "因违法执业被吊销律师执业证书"
    page = client_for().get(f"/verify/{licence.identifier}")
    text = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert "已吊销" in text and "证照真实有效" not in text


def test_the_verify_page_is_a_portal_page_naming_the_practice_organisation(people, orgs):
    """/verify/<id> wears the portal's header and navigation; a lawyer's licence shows the 执业机构 it
    records (律师法 §10), a licence recording none shows no such row."""
    licence = lawyer_licence(people, orgs)
    text = client_for().get(f"/verify/{licence.identifier}").content.decode()
    assert 'aria-label="主导航"' in text and "sifa-footer" in text and 'lang="zh-Hans"' in text
    assert "<dt>执业机构</dt><dd>浙江示例律师事务所</dd>" in text
    bare = lawyer_licence(people, orgs, particulars={})
    assert "执业机构" not in client_for().get(f"/verify/{bare.identifier}").content.decode()


def test_suspension_and_reinstatement(people, orgs):
    licence = lawyer_licence(people, orgs)
    services.suspend(licence, actor=people["decider"], reason="停止执业六个月")
    assert verify(licence.identifier)[1]["status_label"] == "停止执业"
    services.reinstate(licence, actor=people["decider"], reason="停止执业期满")
    assert verify(licence.identifier)[1]["status"] == "valid"


def test_only_deciders_over_the_issuer_change_a_licence(people, orgs):
    from sifa.core.errors import Forbidden, ServiceError

    licence = lawyer_licence(people, orgs)
    for outsider in (people["citizen"], people["bj_decider"], people["hz_clerk"]):
        with pytest.raises(Forbidden):
            services.revoke(licence, actor=outsider, reason="无权")
    with pytest.raises(ServiceError) as error:
        services.revoke(licence, actor=people["decider"], reason="  ")
    assert error.value.code == "licence.reason_required"


def test_expiry_is_computed(people, orgs):
    import datetime as dt

    licence = lawyer_licence(people, orgs, valid_from=dt.date(2015, 1, 1), valid_until=dt.date(2020, 12, 31))
    _status, body = verify(licence.identifier)
    assert body["status"] == "expired" and body["status_label"] == "已过期" and body["authentic"] is True
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.VALID  # nothing stored


def test_reissue_is_a_new_version_and_the_old_one_reads_superseded(people, orgs):
    first = lawyer_licence(people, orgs)
    second = services.reissue(
        first, actor=people["decider"], reason="变更执业机构", particulars={"practice_organisation": "新所"}
    )
    old, new = parse_licence_id(first.identifier), parse_licence_id(second.identifier)
    assert (new.serial, new.version) == (old.serial, 2) and new.check  # the check character validates
    assert second.number == first.number and second.previous_id == first.pk

    _status, old_body = verify(first.identifier)
    assert old_body["status"] == "superseded" and old_body["superseded_by"] == second.identifier
    assert old_body["authentic"] is True
    _status, new_body = verify(second.identifier)
    signed = json.loads(base64.b64decode(new_body["payload"]))
    assert signed["previous_identifier"] == first.identifier and signed["issue_kind"] == "reissue"
    assert signed["particulars"]["practice_organisation"] == "新所"

    third = services.replace(second, actor=people["decider"], reason="证书遗失补办")
    assert parse_licence_id(third.identifier).version == 3
    from sifa.core.errors import Conflict

    with pytest.raises(Conflict):
        services.change(first, actor=people["decider"], reason="旧版本不能再变更")


def test_signatures_made_before_a_rotation_still_verify(people, orgs, ring):
    before = lawyer_licence(people, orgs)
    ring.rotate()
    after = services.issue_licence(
        LicenceType.objects.get(key="law_firm_licence"), people["firm"], orgs["zj"], actor=people["decider"],
        with_pdf=False,
    )  # fmt: skip
    assert before.key_id != after.key_id
    for licence in (before, after):
        status, body = verify(licence.identifier)
        assert status == 200 and body["authentic"] is True and body["key_id"] == licence.key_id
    keys = {k["key_id"]: k["status"] for k in client_for().get("/api/v1/keys/").json()}
    assert keys == {before.key_id: "retired", after.key_id: "active"}
    # A company holder's name and USCC are public registration data: shown in full.
    body = verify(after.identifier)[1]
    assert body["holder"] == "浙江示例律师事务所" and body["holder_code_type"] == "001"


def test_a_deleted_key_makes_its_licences_read_as_not_authentic(people, orgs, ring):
    licence = lawyer_licence(people, orgs)
    ring.rotate()
    for path in ring.directory.glob(f"{licence.key_id}.*"):
        path.unlink()
    status, body = verify(licence.identifier)
    assert status == 200 and body["authentic"] is False and body["reason_code"] == "signing.unknown_key"


def test_a_remembered_verification_still_sees_a_deleted_key_and_changed_bytes(people, orgs, ring):
    """``stored_check`` remembers verification results, never the key's existence nor other bytes."""
    from sifa.licences.models import Licence

    licence = lawyer_licence(people, orgs)
    assert verify(licence.identifier)[1]["authentic"] is True
    assert verify(licence.identifier)[1]["authentic"] is True  # remembered
    tampered = licence.payload.replace(licence.number, licence.number[:-1] + "9")
    Licence.objects.filter(pk=licence.pk).update(payload=tampered)
    body = verify(licence.identifier)[1]
    assert body["authentic"] is False and body["reason_code"] == "licence.signature_invalid"
    Licence.objects.filter(pk=licence.pk).update(payload=licence.payload)
    assert verify(licence.identifier)[1]["authentic"] is True
    ring.rotate()
    for path in ring.directory.glob(f"{licence.key_id}.*"):
        path.unlink()
    status, body = verify(licence.identifier)
    assert status == 200 and body["authentic"] is False and body["reason_code"] == "signing.unknown_key"


def test_a_new_licence_needs_an_issuer_with_uscc_and_a_matching_holder(people, orgs):
    from sifa.core.errors import ServiceError

    orgs["hz"].uscc = ""
    orgs["hz"].save()
    lawyer = LicenceType.objects.get(key="lawyer_licence")
    with pytest.raises(ServiceError) as error:
        services.issue_licence(lawyer, people["citizen"], orgs["hz"], actor=None, with_pdf=False)
    assert error.value.code == "licence.issuer_no_uscc"
    with pytest.raises(ServiceError) as error:
        services.issue_licence(lawyer, people["firm"], orgs["zj"], actor=None, with_pdf=False)
    assert error.value.code == "licence.holder_kind"


def test_numbers_count_up_per_type_issuer_and_year(people, orgs):
    first, second = lawyer_licence(people, orgs), lawyer_licence(people, orgs)
    assert first.number[:6] == "330000" and int(second.number[-5:]) == int(first.number[-5:]) + 1
    assert first.serial != second.serial


def test_the_holder_is_notified_after_commit(people, orgs, django_capture_on_commit_callbacks):
    from sifa.notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        licence = lawyer_licence(people, orgs)
    notification = Notification.objects.get(recipient=people["citizen"], event="licence.issued")
    assert licence.identifier in notification.body and "律师执业证" in notification.title
