"""The worklist tells staff about cases in their jurisdiction that could not enter a process."""

from __future__ import annotations

from sifa.applications.signals import ready_for_acceptance
from sifa.catalogue.models import ItemVersion, ProcessDefinition, VersionStatus
from sifa.workbench.tests import world as W


def test_staff_whose_jurisdiction_covers_the_case_see_the_alert(w, people, login):
    entry = W.entry_for(W.LAWYER, w["hz"])
    version = ItemVersion.objects.create(item=entry.item, number=98, status=VersionStatus.DRAFT)
    ProcessDefinition.objects.create(version=version, bpmn_file="no_such_process.bpmn")
    bad = W.make_case(entry, people["citizen"], version=version)
    ready_for_acceptance.send(sender=None, application=bad)  # what pre-review does when it passes

    page = login(people["hz_clerk"]).get("/workbench/").content.decode()
    assert "1 个办件未能进入办理流程" in page
    assert f'href="/workbench/cases/{bad.number}/"' in page and "workflow.no_process" in page
    other = login(people["nb_reviewer"]).get("/workbench/").content.decode()  # 宁波: not their case
    assert bad.number not in other and "未能进入办理流程" not in other
