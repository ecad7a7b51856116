"""``sifa privacy purge``: expired rows go per the retention table, nothing younger is touched, and
both hash chains still verify afterwards (issue 14 point 7).

Rows are written as they would be, with the clock set back: text messages 40 days ago and 10
days ago; a consultation answered four years ago and one answered last month; access-log reads
four years ago, and this year; audit events four years ago. One run of the job deletes the old
messages, clears the old ticket's contact details, purges the access log's and the audit trail's
expired prefixes with their checkpoints, and records one ``privacy.purged`` event (counts only).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.utils import timezone

from sifa.accounts.models import SmsChallenge, SmsMessage
from sifa.accounts.services import keep_local_message
from sifa.audit import services as audit_services
from sifa.audit.chain import verify_access_log, verify_chain
from sifa.audit.models import AuditEvent, PersonalDataAccess
from sifa.audit.services.access import chain_pending
from sifa.audit.tests.conftest import _anchors_in_tmp, citizen, orgs, reviewer  # noqa: F401  (fixtures)
from sifa.audit.tests.test_access_chain import reads
from sifa.consultation.models import Ticket
from sifa.organisations.models import Region
from sifa.privacy import retention
from sifa.privacy.services import purge
from sifa.privacy.services.purge import _audit_cutoff

pytestmark = pytest.mark.django_db

YEARS_4 = 4 * 365


@contextmanager
def at(monkeypatch, days_ago: int) -> Iterator[None]:
    """Run the block ``days_ago`` days back, one second per call (times never run backwards)."""
    start = timezone.now() - dt.timedelta(days=days_ago)
    ticks = iter(range(10**6))
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: start + dt.timedelta(seconds=next(ticks)))
        yield


def ticket(organisation, asker, *, answered_days_ago: int, n: int) -> Ticket:
    region = Region.objects.order_by("code").first()
    answered = timezone.now() - dt.timedelta(days=answered_days_ago)
    return Ticket.objects.create(
        number=f"ZX3301062026000{n}",
        channel="web",
        category="mediation",
        region=region,
        organisation=organisation,
        scope_path=organisation.path,
        asker=asker,
        name_enc=b"sealed-name",
        name_masked="李*",
        phone_enc=b"sealed-phone",
        phone_masked="139****5551",
        wants_sms=True,
        title="邻里纠纷如何申请调解",
        question_enc=b"sealed-question",
        due_date=answered.date(),
        answered_at=answered,
        status="answered",
    )


@pytest.fixture
def aged(monkeypatch, orgs, reviewer, citizen):  # noqa: F811
    with at(monkeypatch, YEARS_4):
        for i in range(3):
            audit_services.record("test.step", detail={"step": i})
        reads(reviewer, citizen, 3)
    with at(monkeypatch, 100):
        reads(reviewer, citizen, 2)
    chain_pending()
    for days, code in ((40, "123456"), (10, "654321")):
        sms = keep_local_message("13900005551", "code", {"code": code}, f"验证码 {code}", recipient=citizen)
        SmsMessage.objects.filter(pk=sms.pk).update(sent_at=timezone.now() - dt.timedelta(days=days))
    SmsChallenge.objects.create(
        phone_index="x" * 64, code_digest="d" * 64, expires_at=timezone.now() - dt.timedelta(days=60)
    )
    old = ticket(orgs["hangzhou"], citizen, answered_days_ago=YEARS_4, n=1)
    young = ticket(orgs["hangzhou"], citizen, answered_days_ago=30, n=2)
    return {"old": old, "young": young}


def test_the_daily_job_purges_what_expired_and_the_chains_still_verify(aged, capsys):
    before = (SmsMessage.objects.count(), PersonalDataAccess.objects.count(), AuditEvent.objects.count())
    dry = purge(dry_run=True)
    assert dry["counts"] == {
        "sms.messages": 1,
        "sms.challenges": 1,
        "consultation.contacts": 1,
        "access_log": 3,
        "audit": dry["counts"]["audit"],
    }
    assert dry["counts"]["audit"] >= 3
    assert (
        SmsMessage.objects.count(),
        PersonalDataAccess.objects.count(),
        AuditEvent.objects.count(),
    ) == before
    assert not AuditEvent.objects.filter(action="privacy.purged").exists()

    call_command("privacy", "purge", "--json")
    counts = json.loads(capsys.readouterr().out)["counts"]
    assert counts["sms.messages"] == 1 and counts["access_log"] == 3 and counts["consultation.contacts"] == 1
    # Nothing younger than its period was touched.
    assert SmsMessage.objects.get().body == "验证码 654321"
    assert sorted(PersonalDataAccess.objects.values_list("seq", flat=True)) == [4, 5]
    young = Ticket.objects.get(pk=aged["young"].pk)
    assert young.phone_masked and young.name_enc is not None and young.wants_sms
    old = Ticket.objects.get(pk=aged["old"].pk)
    assert (old.name_enc, old.phone_enc, old.name_masked, old.phone_masked) == (None, None, "", "")
    assert old.title == "邻里纠纷如何申请调解" and bytes(old.question_enc) == b"sealed-question"
    assert not AuditEvent.objects.filter(
        occurred_at__lt=timezone.now() - dt.timedelta(days=retention.AUDIT_DAYS)
    )
    # Both chains verify after the purge, from the checkpoints recorded in the audit chain.
    access = verify_access_log(anchors=[])
    assert access.ok and access.purged_through == 3 and access.count == 2, access.message
    chain = verify_chain(anchors=[])
    assert chain.ok and chain.purged_through >= 3, chain.message
    # The run is audited with counts per rule, never contents.
    event = AuditEvent.objects.get(action="privacy.purged")
    assert event.detail["counts"] == counts
    assert "654321" not in json.dumps(event.detail) and "13900005551" not in json.dumps(event.detail)
    # A second run the same day finds nothing more.
    assert set(purge()["counts"].values()) == {0}
    assert verify_access_log(anchors=[]).ok and verify_chain(anchors=[]).ok
    sys.__stdout__.write(
        f"\nprivacy purge: {sum(counts.values())} rows purged, access log and audit chain verify after it\n"
    )


def test_the_audit_purge_never_removes_the_access_logs_checkpoint(aged):
    """The access log's checkpoint event is in the audit chain: a later audit purge stops before it."""
    purge()
    checkpoint = AuditEvent.objects.get(action="audit.access_purged")
    # Years on, the checkpoint event is older than the audit period itself: the cutoff stops at it.
    later = timezone.now() + dt.timedelta(days=retention.AUDIT_DAYS * 2)
    assert later - dt.timedelta(days=retention.AUDIT_DAYS) > checkpoint.occurred_at
    assert _audit_cutoff(later) == checkpoint.occurred_at
    assert not AuditEvent.objects.filter(pk=checkpoint.pk, occurred_at__lt=_audit_cutoff(later)).exists()


def test_the_table_is_the_docs_table():
    """docs/privacy.md lists every rule with its period and action."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[4] / "docs" / "privacy.md").read_text()
    for rule in retention.RULES:
        assert f"`{rule.code}`" in text, rule.code
        period = f"{rule.period_days} 天" if rule.period_days else "—"
        assert period in text, (rule.code, period)
