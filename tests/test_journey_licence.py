"""From application to a trusted e-licence (issues 4 and 5 together), through the public API.

The 律师执业许可 journey of ``test_journey_lawyer_licence`` runs again, this time letting the
documents task run at each commit (the ImmediateBackend runs it when the on-commit callbacks
fire). Then a person checks what they received the way the README tells them to: the licence
identifier's check character, its SM2 signature with ``openssl``, its sealed PDF with ``pdfsig``
and pyHanko, one changed byte, the documents with their numbers, and a revocation on /verify.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import shutil
import subprocess

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.tests.conftest import (  # noqa: F401  (fixtures)
    _media,
    cat,
    loaded,
    world,
)
from sifa.core import limits
from sifa.core.licence_ids import parse_licence_id
from sifa.documents.ca import default_authority
from sifa.documents.sealing import verify_sealed_pdf
from sifa.documents.tests.tools import pdfsig
from sifa.laws.services import import_sample
from sifa.licences import services as licence_services
from sifa.licences.models import Licence
from sifa.organisations.models import Role
from sifa.workflow.models import CaseDocument, CaseDocumentStatus
from sifa.workflow.services import casedocs
from tests.test_journey_lawyer_licence import _apply_correct_and_pass, _staff, _travel

pytestmark = [pytest.mark.django_db]
# GB/T 9704-2012 §7.2.5: the issuing organisation's own 代字 (杭州市司法局 杭司, 浙江省司法厅 浙司),
# the kind word, the full year in 六角括号, the sequence without 第 or leading zeros.
NUMBER = re.compile(r"^(杭司|浙司)(受|补|许|不许|不受)〔2026〕[1-9]\d*号$")
needs_tools = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("openssl", "pdfsig", "certutil")),
    reason="needs openssl, poppler-utils (pdfsig) and libnss3-tools (certutil)",
)


@pytest.fixture(autouse=True)
def _fresh_throttle():
    limits.clear()  # the verification endpoints are rate-limited per address
    yield
    limits.clear()


@pytest.fixture(autouse=True)
def worker(monkeypatch):
    """The documents tasks, run as the worker would — but at the real time, after the travel.

    The journey travels back to September 2026 for the calendar, before the development signing key
    and seal certificates were made; a document signed "then" would rightly not verify. The commands
    still owe their documents in September (``issued_on``), the worker issues them now.
    """
    owed: list[int] = []
    monkeypatch.setattr("sifa.workflow.tasks.enqueue_issue", owed.append)

    def run() -> None:
        from sifa.workflow.tasks import issue_case_document

        while owed:
            issue_case_document.enqueue(owed.pop(0))

    return run


def _run(client, capture, number, name, **body) -> dict:
    """A staff command, with its after-commit work (the documents task) run as a worker would."""
    with capture(execute=True):
        response = client.post(f"/api/v1/cases/{number}/commands/{name}/", body, format="json")
    assert response.status_code == 200, (name, response.json())
    return response.json()


def _approved_case(world, django_user_model, capture, worker):  # noqa: F811
    orgs = world["orgs"]
    reviewer = _staff(django_user_model, "hz-reviewer", orgs["hz"], Role.REVIEWER)
    decider = _staff(django_user_model, "zj-decider", orgs["zj"], Role.DECISION_MAKER)
    clerk = _staff(django_user_model, "zj-clerk", orgs["zj"], Role.WINDOW_CLERK)
    with _travel(dt.date(2026, 8, 31)):
        number, code = _apply_correct_and_pass(world, capture)
    with _travel(dt.date(2026, 9, 1)):
        _run(world["clerk_api"], capture, number, "accept")
    with _travel(dt.date(2026, 9, 15)):
        _run(reviewer, capture, number, "review", outcome="approve", opinion="符合条件，报省厅")
    with _travel(dt.date(2026, 9, 17)):
        _run(decider, capture, number, "decide", decision="approve", opinion="准予许可")
    worker()  # 送达 waits for the decision's documents, which the worker has issued by then
    with _travel(dt.date(2026, 9, 18)):
        _run(clerk, capture, number, "deliver", method="electronic")
    worker()
    return number, code, django_user_model.objects.get(username="zj-decider")


def _openssl_verify(workdir, pem: str, payload: bytes, signature: bytes) -> subprocess.CompletedProcess:
    (workdir / "pub.pem").write_text(pem)
    (workdir / "payload.json").write_bytes(payload)
    (workdir / "payload.sig").write_bytes(signature)
    return subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-digest", "sm3",
         "-pkeyopt", "distid:1234567812345678", "-in", "payload.json", "-sigfile", "payload.sig"],
        cwd=workdir, capture_output=True, text=True,
    )  # fmt: skip


@needs_tools
def test_the_approved_lawyer_holds_a_licence_anyone_can_verify(
    world,  # noqa: F811
    calendar,
    django_user_model,
    django_capture_on_commit_callbacks,
    worker,
    tmp_path,
):
    import_sample()  # the law library's sample: the letters name the articles they cite
    number, code, decider = _approved_case(
        world, django_user_model, django_capture_on_commit_callbacks, worker
    )
    application = Application.objects.get(number=number)
    assert application.status == ApplicationStatus.DELIVERED

    # The holder's wallet has a 律师执业证 whose identifier's check character validates.
    wallet = world["api"].get("/api/v1/me/licences/").json()
    [entry] = [w for w in (wallet["results"] if isinstance(wallet, dict) else wallet)]
    assert entry["name"] == "律师执业证"
    identifier = entry["identifier"]
    assert parse_licence_id(identifier).version == 1
    licence = Licence.objects.get(identifier=identifier)
    assert licence.application == application and licence.issuer == world["orgs"]["zj"]

    # Its SM2 signature verifies with openssl, with the key published at /api/v1/keys/.
    anyone = APIClient()
    answer = anyone.get(f"/api/v1/licences/verify/{identifier}/").json()
    assert answer["authentic"] is True and answer["status"] == "valid"
    keys = anyone.get("/api/v1/keys/").json()
    pem = next(k["public_key_pem"] for k in keys if k["key_id"] == answer["key_id"])
    payload, signature = base64.b64decode(answer["payload"]), base64.b64decode(answer["signature"])
    verified = _openssl_verify(tmp_path, pem, payload, signature)
    assert "Signature Verified Successfully" in verified.stdout, verified.stdout + verified.stderr
    forged = bytearray(payload)
    forged[len(forged) // 2] ^= 0x01
    assert _openssl_verify(tmp_path, pem, bytes(forged), signature).returncode != 0

    # Its sealed PDF validates with pdfsig (platform CA trusted) and pyHanko; one byte breaks both.
    pdf = world["api"].get(f"/api/v1/licences/{identifier}/pdf/").content
    ca_pem = default_authority().ca_certificate_pem()
    report = pdfsig(pdf, ca_pem, tmp_path)
    assert "Signature is Valid" in report and "Certificate is Trusted" in report, report
    assert verify_sealed_pdf(pdf, bytes(licence.pdf_signature), licence.pdf_key_id).valid
    tampered = bytearray(pdf)
    tampered[len(tampered) // 3] ^= 0x01
    assert "Signature is Valid" not in pdfsig(bytes(tampered), ca_pem, tmp_path)
    assert not verify_sealed_pdf(bytes(tampered), bytes(licence.pdf_signature), licence.pdf_key_id).valid

    # The applicant received the notices and the decision, numbered, in their space.
    documents = world["api"].get("/api/v1/me/documents/").json()
    by_title = {d["title"]: d for d in documents}
    assert {"补正告知书", "受理通知书", "准予行政许可决定书"} <= set(by_title)
    assert all(NUMBER.match(d["number"]) for d in documents), [d["number"] for d in documents]
    assert by_title["准予行政许可决定书"]["number"].startswith("浙司许〔2026〕")
    decision = world["api"].get(by_title["准予行政许可决定书"]["pdf"])
    assert decision.status_code == 200 and decision["Content-Disposition"].startswith("attachment")
    # The 受理通知书 states 律师法 §6's own limit and who decides, not 行政许可法 §42's 20 days.
    notice = world["api"].get(by_title["受理通知书"]["pdf"]).content
    flat = re.sub(
        r"\s+", "", subprocess.run(["pdftotext", "-", "-"], input=notice, capture_output=True).stdout.decode()
    )
    assert "本申请的法定办理期限为三十个工作日（《中华人民共和国律师法》第六条第三款）" in flat, flat
    assert "本机关自受理之日起二十个工作日内审查" in flat and "作出决定的机关：浙江省司法厅" in flat
    assert decision.content.startswith(b"%PDF")
    # The decision names the articles its legal basis cites, with their permanent addresses.
    flat = re.sub(
        r"\s+",
        "",
        subprocess.run(["pdftotext", "-", "-"], input=decision.content, capture_output=True).stdout.decode(),
    )
    assert "本文书引用的法律条文" in flat, flat
    for slug, key in (("律师法-2017-09-01", "6"), ("行政许可法-2019-04-23", "38")):
        assert f"{settings.PUBLIC_URL}/laws/{slug}/{key}/" in flat, flat
    # Nobody else can list or fetch them.
    assert world["other_api"].get("/api/v1/me/documents/").json() == []
    assert world["other_api"].get(by_title["准予行政许可决定书"]["pdf"]).status_code == 404
    assert world["elsewhere_api"].get(by_title["受理通知书"]["pdf"]).status_code == 404

    # The public timeline says what was sent; the staff case view links the documents.
    titles = [e["title"] for e in anyone.get(f"/api/v1/track/{number}/", {"code": code}).json()["timeline"]]
    assert {"已送达受理通知书", "已送达补正告知书", "已送达准予行政许可决定书"} <= set(titles)
    case = world["clerk_api"].get(f"/api/v1/cases/{number}/").json()
    approval = next(d for d in case["documents"] if d["kind"] == "approval_decision")
    assert approval["status"] == "issued" and approval["licence_identifier"] == identifier

    # Revoking shows as revoked on /verify at once.
    licence_services.revoke(licence, actor=decider, reason="违法执业被吊销")
    assert anyone.get(f"/api/v1/licences/verify/{identifier}/").json()["status"] == "revoked"
    page = anyone.get(f"/verify/{identifier}")
    assert page.status_code == 200 and "已吊销" in page.content.decode()


def test_a_failed_rendering_keeps_the_decision_and_the_sweep_issues_it_once(
    world,  # noqa: F811
    calendar,
    django_user_model,
    django_capture_on_commit_callbacks,
    worker,
    monkeypatch,
):
    from django.core.management import call_command

    from sifa.core.errors import ServiceError

    with _travel(dt.date(2026, 8, 31)):
        number, _code = _apply_correct_and_pass(world, django_capture_on_commit_callbacks)

    def broken(*args, **kwargs):
        raise ServiceError("documents.seal_not_configured", "电子印章尚未配置", status=503)

    real_issue = casedocs.issue_document
    monkeypatch.setattr(casedocs, "issue_document", broken)
    with _travel(dt.date(2026, 9, 1)):
        body = _run(world["clerk_api"], django_capture_on_commit_callbacks, number, "accept")
    worker()
    assert body["status"] == ApplicationStatus.ACCEPTED  # the decision stands
    row = CaseDocument.objects.get(application__number=number, kind="acceptance_notice")
    assert row.status == CaseDocumentStatus.FAILED and row.attempts == 1
    assert "电子印章尚未配置" in row.last_error and row.next_attempt_at is not None

    monkeypatch.setattr(casedocs, "issue_document", real_issue)
    CaseDocument.objects.filter(pk=row.pk).update(next_attempt_at=row.created_at)
    call_command("issue-pending-documents")
    call_command("issue-pending-documents")  # a second sweep (or a late task) changes nothing
    casedocs.issue_owed(row.pk)
    row.refresh_from_db()
    assert row.status == CaseDocumentStatus.ISSUED and row.document.number.startswith("杭司受〔2026〕")
    titles = [d["title"] for d in world["api"].get("/api/v1/me/documents/").json()]
    assert titles.count("受理通知书") == 1


def test_a_refusal_sends_a_notice_with_the_reasons_and_remedies(
    world,  # noqa: F811
    calendar,
    django_capture_on_commit_callbacks,
    worker,
):
    with _travel(dt.date(2026, 8, 31)):
        number, _code = _apply_correct_and_pass(world, django_capture_on_commit_callbacks)
    with _travel(dt.date(2026, 9, 1)):
        _run(
            world["clerk_api"],
            django_capture_on_commit_callbacks,
            number,
            "refuse",
            reasons="申请事项依法不属于本机关职权范围\n请向有管辖权的机关申请",
        )
    worker()
    documents = world["api"].get("/api/v1/me/documents/").json()
    [document] = [d for d in documents if d["kind"] == "refusal_notice"]
    assert document["title"] == "不予受理通知书" and document["number"].startswith("杭司不受〔2026〕")
    assert not Licence.objects.filter(application__number=number).exists()
    if shutil.which("pdftotext"):
        pdf = world["api"].get(document["pdf"]).content
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True).stdout.decode()
        flat = re.sub(r"\s+", "", text)
        assert "申请事项依法不属于本机关职权范围" in flat and "行政复议" in flat and number in flat
        # No law library imported: no list of cited articles (nothing to link to).
        assert "本文书引用的法律条文" not in flat
