"""The §32 job skips — and alerts on — a case it cannot start, and goes on with the others.

Issue 9: one case of an item without a process made ``apply-deemed-acceptance`` fail on every run,
so no later application was ever deemed accepted. Now the unstartable case stays untouched, is
recorded as a ``StartAlert`` (log line with the code, audit event; the workbench shows it, see
``sifa.workbench.tests.test_start_alerts``) and the good cases around it are deemed accepted.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.management import call_command

from sifa.applications.models import ApplicationStatus
from sifa.applications.signals import ready_for_acceptance
from sifa.audit.models import AuditEvent
from sifa.catalogue.models import ItemVersion, ProcessDefinition, VersionStatus
from sifa.workflow.models import ProcessInstance, StartAlert
from sifa.workflow.services import DEEMED_ACCEPTANCE_TITLE, apply_deemed_acceptance
from sifa.workflow.tests.conftest import entry_for, make_case, travel, working_days_after

DAY = dt.date(2025, 9, 1)
LAWYER = "律师执业许可（专职律师执业）"


def _unstartable(entry, citizen, received: dt.date):
    """A case pinned to a test-only version that names a process file Sifa does not ship."""
    version = ItemVersion.objects.create(item=entry.item, number=98, status=VersionStatus.DRAFT)
    ProcessDefinition.objects.create(version=version, bpmn_file="no_such_process.bpmn")
    return make_case(entry, citizen, received=received, version=version)


def test_three_good_cases_are_deemed_accepted_and_the_unstartable_one_is_alerted(w, people, caplog):
    entry = entry_for(LAWYER, w["hz"])
    first = make_case(entry, people["citizen"], received=DAY)
    bad = _unstartable(entry, people["citizen"], DAY + dt.timedelta(days=1))
    second = make_case(entry, people["citizen"], received=DAY + dt.timedelta(days=1))
    third = make_case(entry, people["citizen"], received=DAY + dt.timedelta(days=2))
    run_on = working_days_after(DAY + dt.timedelta(days=2), 5) + dt.timedelta(days=1)

    with travel(run_on), caplog.at_level(logging.ERROR, logger="sifa.workflow"):
        done = apply_deemed_acceptance(run_on)

    assert sorted(done) == sorted([first.number, second.number, third.number])
    for good in (first, second, third):
        good.refresh_from_db()
        assert good.status == ApplicationStatus.ACCEPTED and good.deemed_accepted
        assert DEEMED_ACCEPTANCE_TITLE in list(good.timeline.values_list("title", flat=True))
    bad.refresh_from_db()
    assert bad.status == ApplicationStatus.PENDING_ACCEPTANCE and bad.accepted_at is None
    assert not ProcessInstance.objects.filter(application=bad).exists()
    assert not bad.timeline.filter(event="deemed_accepted").exists()
    alert = StartAlert.objects.get(application=bad)
    assert (alert.code, alert.source, alert.occurrences) == ("workflow.no_process", "deemed_acceptance", 1)
    assert any(
        bad.number in r.getMessage() and "workflow.no_process" in r.getMessage() for r in caplog.records
    )
    assert AuditEvent.objects.filter(action="workflow.start_failed", object_id=bad.number).exists()

    # The next run skips it again and counts; it never fails the command.
    with travel(run_on):
        call_command("apply-deemed-acceptance", "--date", run_on.isoformat())
    alert.refresh_from_db()
    assert alert.occurrences == 2 and alert.resolved_at is None


def test_a_later_start_resolves_the_alert(w, people):
    entry = entry_for(LAWYER, w["hz"])
    case = _unstartable(entry, people["citizen"], DAY)
    ready_for_acceptance.send(sender=None, application=case)  # what pre-review does when it passes
    assert StartAlert.objects.get(application=case).source == "ready_for_acceptance"
    ProcessDefinition.objects.filter(version=case.version).update(bpmn_file="lawyer_licence.bpmn")
    case = type(case).objects.get(pk=case.pk)
    ready_for_acceptance.send(sender=None, application=case)
    assert StartAlert.objects.get(application=case).resolved_at is not None
    assert ProcessInstance.objects.filter(application=case).exists()


def test_only_licensing_items_are_deemed_accepted(w, people):
    """行政许可法 §32 is a licensing rule: a legal-aid application waits for the centre (its own
    clock runs from receipt, 法律援助法 §43) instead of being accepted by the job."""
    aid = make_case(entry_for("法律援助申请", w["xh_aid"]), people["citizen"], received=DAY)
    run_on = working_days_after(DAY, 5) + dt.timedelta(days=1)
    with travel(run_on):
        assert apply_deemed_acceptance(run_on) == []
    aid.refresh_from_db()
    assert aid.status == ApplicationStatus.PENDING_ACCEPTANCE
