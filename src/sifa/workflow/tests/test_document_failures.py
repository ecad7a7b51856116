"""An owed document that cannot be issued is marked failed *and* audited, in one transaction."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.audit.models import AuditEvent, AuditResult
from sifa.core.errors import ServiceError
from sifa.workflow.models import CaseDocument, CaseDocumentStatus
from sifa.workflow.services import case_audit, casedocs, issue_owed
from sifa.workflow.tests.conftest import command, entry_for, make_case, travel

LAWYER = "律师执业许可（专职律师执业）"


def _broken(*args, **kwargs):
    raise ServiceError("documents.seal_not_configured", "电子印章尚未配置", status=503)


@pytest.fixture
def owed(w, people, monkeypatch):
    """A 受理通知书 owed by an acceptance, whose sealing fails."""
    case = make_case(entry_for(LAWYER, w["hz"]), people["citizen"])
    with travel(dt.date(2025, 9, 1)):
        assert command(people["hz_clerk"], case.number, "accept").status_code == 200
    monkeypatch.setattr(casedocs, "issue_document", _broken)
    return CaseDocument.objects.get(application=case, kind="acceptance_notice")


def test_a_failed_issuance_is_in_the_audit_trail_with_its_reason(owed):
    """Regression: the failure was written to the row and the log only; the audit trail — what a
    supervisor reads — did not show that the applicant's letter was never issued."""
    row = issue_owed(owed.pk)
    assert row.status == CaseDocumentStatus.FAILED and row.attempts == 1
    [event] = AuditEvent.objects.filter(action="workflow.document_failed")
    assert event.object_id == owed.application.number and event.result == AuditResult.FAILED
    assert event.detail["kind"] == "acceptance_notice" and "电子印章尚未配置" in event.detail["error"]


def test_the_failure_mark_and_its_audit_event_commit_together(owed, monkeypatch):
    def audit_down(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(case_audit, "record", audit_down)
    with pytest.raises(RuntimeError):
        issue_owed(owed.pk)
    owed.refresh_from_db()
    assert (owed.status, owed.attempts, owed.last_error) == (CaseDocumentStatus.PENDING, 0, "")
