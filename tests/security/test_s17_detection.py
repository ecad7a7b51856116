"""S17 (security bar, docs/testing.md): synthetic attacks through the real routes raise the expected
security events and the rules' incidents within 60 s, and the security administrator acknowledges
the login incident in the workbench.

The attacks: 20 failed logins on one staff account (``POST /api/v1/auth/token/``); a 50-id burst of a
Beijing county clerk at 杭州's applications (``GET /api/v1/applications/<number>/`` → 404); 10 refused
uploads of a citizen (``POST …/materials/``); an audit row changed in the database behind the guard
triggers' back; exchange envelopes with a forged signature (``POST /api/v1/exchange/inbox/``) up to
the rule's threshold. Then one run of the detector as ``sifa scheduler`` runs it
(``run_job("security detect")``, the real clock).

Mutation switch: with the rules switched off (``RULES`` empty) the same scenario must fail.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Min
from rest_framework.test import APIClient

from sifa.applications.tests.conftest import lawyer_form
from sifa.audit import triggers
from sifa.audit.models import AuditEvent
from sifa.conf.management.commands.scheduler import run_job
from sifa.core import limits
from sifa.core.signing import KeyRing
from sifa.exchange.models import PartnerKey
from sifa.exchange.services import envelopes, partners
from sifa.organisations.models import Role
from sifa.security.models import EventKind, Incident, IncidentStatus, SecurityEvent, Severity
from sifa.security.services import detect
from sifa.security.services import detector as detector_module
from sifa.testing import staff, verified_login
from sifa.testing.cases import make_case

pytestmark = pytest.mark.slow(seconds=30)

API = "/api/v1/applications"
TOKEN_URL = "/api/v1/auth/token/"
INBOX = "/api/v1/exchange/inbox/"
EXE = b"MZ\x90\x00" + b"\x00" * 200

EXPECTED = {
    # rule → (event kind, severity, events at least)
    "login.account": (EventKind.LOGIN_FAILED, Severity.HIGH, 20),
    "access.not_found_burst": (EventKind.NOT_FOUND, Severity.HIGH, 50),
    "upload.rejected_account": (EventKind.UPLOAD_REJECTED, Severity.HIGH, 10),
    "audit.chain_broken": (EventKind.CHAIN_BROKEN, Severity.CRITICAL, 1),
    "exchange.bad_signature": (EventKind.BAD_SIGNATURE, Severity.HIGH, 3),
}


@pytest.fixture
def s17(world, settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path  # the audit chain's anchors: this test's own folder
    settings.ACCOUNT_BACKOFF_AFTER = 100  # every attempt reaches the password check
    ring = KeyRing(tmp_path / "signing", generate=True)
    monkeypatch.setattr(envelopes, "default_keyring", lambda: ring)
    key_dir = tmp_path / "partner-keys"
    key_dir.mkdir()
    loaded = partners.load_demo_partners(key_dir)
    for key in PartnerKey.objects.all():  # made just now: valid from yesterday
        partners.add_key(
            key.partner,
            key.public_key_pem,
            key_id=key.key_id,
            valid_from=key.valid_from - dt.timedelta(days=1),
        )
    limits.clear()
    yield {
        **world,
        "secadmin": staff("sec-zj", world["orgs"]["zj"], Role.SECURITY_ADMIN, totp=True),
        "partners": loaded,
        "key_dir": key_dir,
    }
    limits.clear()


def _failed_logins(target) -> int:
    api = APIClient()
    for _ in range(20):
        answer = api.post(
            TOKEN_URL,
            {"username": target.username, "password": "Wrong-pass-99"},
            format="json",
            REMOTE_ADDR="198.51.100.7",
        )
        assert answer.status_code in (400, 401, 429), answer.content
    return 20


def _foreign_burst(w) -> int:
    numbers = [make_case(w["entry"], w["citizen"]).number for _ in range(50)]
    for number in numbers:
        assert w["api"].get(f"{API}/{number}/").status_code == 200  # there, for its applicant
    for number in numbers:
        assert w["elsewhere_api"].get(f"{API}/{number}/").status_code == 404  # 东城区: not its case
    return len(numbers)


def _rejected_uploads(w) -> int:
    draft = w["api"].post(
        f"{API}/drafts/",
        {"entry": w["entry"].implementation_code, "form_data": lawyer_form()},
        format="json",
    )
    assert draft.status_code == 201, draft.content
    body = draft.json()
    material = next(m["material"] for m in body["materials"] if m["requested"])
    for i in range(10):
        answer = w["api"].post(
            f"{API}/{body['id']}/materials/",
            {"material": str(material), "file": SimpleUploadedFile(f"证明{i}.pdf", EXE, "application/pdf")},
            format="multipart",
            REMOTE_ADDR="203.0.113.20",
        )
        assert answer.status_code == 400 and answer.json()["code"] == "upload.type_not_allowed"
    return 10


def _forged_signatures(w, count: int) -> int:
    for i in range(count):
        envelope = envelopes.seal(
            {
                "kind": "request",
                "issue": f"(2026)浙0106刑初{900 + i}号",
                "purpose": "通知法律援助机构指派律师",
                "service": {"code": "legal-aid.notify", "version": "1"},
                "sender": w["partners"]["court"].uscc,
                "receiver": w["orgs"]["hz"].uscc,
                "user_id": {"official": "审判员李某", "organisation": w["partners"]["court"].name},
            },
            {"case_number": f"(2026)浙0106刑初{900 + i}号", "notified_at": "2026-12-05"},
            signer=partners.demo_signer("court", w["key_dir"]),
        )
        wire = envelope.as_wire()
        wire["header"]["purpose"] = "别的用途"  # changed after signing: the signature no longer holds
        answer = APIClient().post(INBOX, wire, format="json", REMOTE_ADDR="192.0.2.4")
        assert answer.status_code == 403 and answer.json()["code"] == "exchange.bad_signature", answer.content
    return count


def _change_an_audit_row(after_seq: int) -> int:
    seq = (
        AuditEvent.objects.filter(seq__gt=after_seq, action__startswith="application.")
        .order_by("seq")
        .values_list("seq", flat=True)
        .first()
    )
    assert seq is not None
    triggers.uninstall(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET result = 'denied' WHERE seq = %s", [seq])
    finally:
        triggers.install(connection)
    return seq


def scenario(w, client, settings) -> dict[str, int | float]:
    detect()  # the detector has been running: the chain is verified up to here
    baseline = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    started = time.monotonic()
    attacks = (
        _failed_logins(w["city_clerk"])
        + _foreign_burst(w)
        + _rejected_uploads(w)
        + _forged_signatures(w, settings.SECURITY_BAD_SIGNATURES)
    )
    changed = _change_an_audit_row(baseline)
    attacks += 1

    assert run_job("security detect")  # one run, as the scheduler runs it, on the real clock
    seconds = time.monotonic() - started

    incidents = {i.rule: i for i in Incident.objects.all()}
    for rule, (kind, severity, at_least) in EXPECTED.items():
        assert rule in incidents, f"{rule}: no incident"
        incident = incidents[rule]
        assert incident.severity == severity, rule
        events = SecurityEvent.objects.filter(incident=incident, kind=kind)
        assert events.count() >= at_least, (rule, events.count())
        first = events.aggregate(first=Min("occurred_at"))["first"]
        assert incident.opened_at - first <= dt.timedelta(seconds=60), (rule, incident.opened_at - first)
    assert f"第 {changed} 条" in incidents["audit.chain_broken"].title
    not_found = incidents["access.not_found_burst"]
    assert not_found.key == f"account:{w['county_elsewhere'].public_id}"
    assert not_found.title.startswith("同一账户短时间内访问 50 个")
    assert incidents["login.account"].key == f"account:{w['city_clerk'].public_id}"

    # The security administrator of 浙江 acknowledges the login incident in the workbench.
    login = incidents["login.account"]
    verified_login(client, w["secadmin"])
    url = f"/workbench/security/{login.public_id}/"
    assert "同一账户短时间内登录失败" in client.get("/workbench/security/").content.decode()
    assert client.post(url + "actions/acknowledge/").status_code == 302
    login.refresh_from_db()
    assert login.status == IncidentStatus.ACKNOWLEDGED and login.owner == w["secadmin"]

    return {
        "attacks": attacks,
        "events": SecurityEvent.objects.count(),
        "incidents": len(incidents),
        "seconds": round(seconds, 1),
    }


def test_s17_synthetic_attacks_raise_their_incidents_within_a_minute(s17, client, settings):
    figures = scenario(s17, client, settings)
    sys.__stdout__.write(
        f"\nS17 detection: {figures['attacks']} attacks, {figures['events']} events, "
        f"{figures['incidents']} incidents, {figures['seconds']} seconds\n"
    )
    sys.__stdout__.flush()


def test_s17_mutation_rules_off_fails(s17, client, settings, monkeypatch):
    monkeypatch.setattr(detector_module, "RULES", ())
    with pytest.raises(AssertionError):
        scenario(s17, client, settings)
