"""A real 即办件: 律师执业证书换发 (证书损毁、记载事项变更), decided at the window on the spot.

Source: 辽宁省司法厅 publishes “律师执业证（工作证）信息变更” as 即审即办 (see the item's ``source``).
The lawyer applies online to the province that issued the licence; the licence to re-issue comes
from the lawyer's e-licence wallet (``licence_effect: reissue``, ``subject_licence_type:
lawyer_licence``). The window clerk decides at once (``immediate_decision.bpmn``): the result is a
sealed 准予变更行政许可决定书 and the same 律师执业证 re-issued as a new version — the old version
is superseded, the number stays; never a new licence. Without a licence in the wallet nobody can
apply (409 ``application.no_current_licence``); a licence revoked since the application cannot be
re-issued (409 ``licence.subject_not_current``) and the clerk decides 不予 with reasons.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sifa.applications.models import Application, ApplicationStatus, MaterialProvenance
from sifa.applications.tests.conftest import (
    OTHER_ID,
    VALID_ID,
    _media,  # noqa: F401  (autouse: uploads in the test's own folder)
)
from sifa.catalogue.models import CaseType
from sifa.licences.models import IssueKind, Licence, LicenceStatus
from sifa.licences.services import issue_licence, revoke
from sifa.licences.types import type_for
from sifa.organisations.models import Role
from sifa.workflow.models import CaseDocumentKind
from tests.service_journeys import apply, command, entry, issue_documents, only_open, staff, travel

pytestmark = [pytest.mark.django_db]
REISSUE = "律师执业证书换发（证书损毁、记载事项变更）"
DAY = dt.date(2026, 11, 16)


def _form(name: str, id_number: str, phone: str, **extra: str) -> dict:
    return {
        "applicant_name": name,
        "id_number": id_number,
        "phone": phone,
        "reissue_reason": "damaged",
        **extra,
    }


@pytest.fixture
def licensed(world):
    """张三 holds a valid 律师执业证 issued by 浙江省司法厅 (in the licence register)."""
    return issue_licence(
        type_for("lawyer_licence"),
        world["citizen"],
        world["orgs"]["zj"],
        actor=None,
        particulars={"practice_organisation": "浙江某某律师事务所"},
        with_pdf=False,
    )


def test_the_item_is_published_as_an_immediate_reissue(world):
    item = entry(REISSUE, world["orgs"]["zj"])
    assert item.version.case_type == CaseType.IMMEDIATE
    assert item.version.process.bpmn_file == "immediate_decision.bpmn"
    assert (item.version.licence_effect, item.version.subject_licence_type) == ("reissue", "lawyer_licence")
    assert item.deciding_organisation == item.accepting_organisation == world["orgs"]["zj"]
    assert "lnzwfw.gov.cn" in item.item.source and "即审即办" in item.item.source


def test_the_lawyer_gets_the_licence_reissued_at_the_window_the_same_day(
    world,
    calendar,
    licensed,
    django_user_model,
    django_capture_on_commit_callbacks,
):
    clerk = staff(django_user_model, "zj-clerk", world["orgs"]["zj"], Role.WINDOW_CLERK)
    with travel(DAY):
        number = apply(
            world["api"],
            django_capture_on_commit_callbacks,
            entry(REISSUE, world["orgs"]["zj"]),
            _form("张三", VALID_ID, "13800000001"),
        )
    application = Application.objects.get(number=number)
    [wallet] = application.materials.filter(provenance=MaterialProvenance.LICENCE)
    assert wallet.source_reference == licensed.identifier  # taken from the wallet, not uploaded
    item = only_open(number)
    assert (item.task_name, item.kind, item.organisation) == (
        "accept_decide",
        "accept_decide",
        world["orgs"]["zj"],
    )
    with travel(DAY, hour=14):
        body = command(clerk, number, "accept", decision="approve")
        assert body["status"] == ApplicationStatus.APPROVED
        command(clerk, number, "deliver", method="pickup")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DELIVERED
    # 即办: accepted and decided on the same day, at the window.
    assert timezone.localdate(application.accepted_at) == timezone.localdate(application.decided_at) == DAY

    rows = issue_documents()
    [letter] = [r.document for r in rows if r.kind == CaseDocumentKind.APPROVAL_DECISION]
    assert letter.title == "准予变更行政许可决定书" and "许" in letter.number and "〔2026〕" in letter.number
    reissued = Licence.objects.get(application=application)
    assert (reissued.issue_kind, reissued.version, reissued.number) == (IssueKind.REISSUE, 2, licensed.number)
    assert reissued.particulars["practice_organisation"] == "浙江某某律师事务所"
    licensed.refresh_from_db()
    assert licensed.status == LicenceStatus.SUPERSEDED
    # Re-issued, never a second licence: one serial, two versions.
    assert Licence.objects.filter(holder=world["citizen"]).count() == 2
    assert set(Licence.objects.filter(holder=world["citizen"]).values_list("serial", flat=True)) == {
        licensed.serial
    }


def test_a_changed_name_is_written_on_the_new_version(
    world,
    calendar,
    licensed,
    django_user_model,
    django_capture_on_commit_callbacks,
):
    clerk = staff(django_user_model, "zj-clerk", world["orgs"]["zj"], Role.WINDOW_CLERK)
    form = _form("张三", VALID_ID, "13800000001", reissue_reason="particulars_changed", new_name="张叁")
    with travel(DAY):
        number = apply(
            world["api"], django_capture_on_commit_callbacks, entry(REISSUE, world["orgs"]["zj"]), form
        )
        command(clerk, number, "accept", decision="approve")
    issue_documents()
    reissued = Licence.objects.get(application__number=number)
    assert (reissued.version, reissued.holder_name, reissued.number) == (2, "张叁", licensed.number)


def test_nothing_to_reissue_cannot_be_applied_for_or_approved(
    world,
    calendar,
    licensed,
    django_user_model,
    django_capture_on_commit_callbacks,
):
    from tests.service_journeys import client

    clerk = staff(django_user_model, "zj-clerk", world["orgs"]["zj"], Role.WINDOW_CLERK)
    reissue = entry(REISSUE, world["orgs"]["zj"])
    # 李四 holds no 律师执业证: the draft is refused, nothing is written.
    before = Application.objects.count()
    refused = client(world["other"]).post(
        "/api/v1/applications/drafts/",
        {"entry": reissue.implementation_code, "form_data": _form("李四", OTHER_ID, "13800000002")},
        format="json",
    )
    assert refused.status_code == 409 and refused.json()["code"] == "application.no_current_licence"
    assert "律师执业证书" in refused.json()["message"]
    assert Application.objects.count() == before

    # 张三's licence is revoked after he applied: it cannot be re-issued, the clerk decides 不予.
    with travel(DAY):
        number = apply(
            world["api"], django_capture_on_commit_callbacks, reissue, _form("张三", VALID_ID, "13800000001")
        )
    revoke(licensed, actor=None, reason="吊销律师执业证书（行政处罚）")
    with travel(DAY, hour=14):
        stale = command(clerk, number, "accept", expect=409, decision="approve")
        assert stale["code"] == "licence.subject_not_current"
        assert Application.objects.get(number=number).accepted_at is None  # nothing half-written
        body = command(clerk, number, "accept", decision="deny", reasons="申请所涉律师执业证书已被吊销")
    assert body["status"] == ApplicationStatus.DENIED
    [letter] = [r.document for r in issue_documents() if r.kind == CaseDocumentKind.DENIAL_DECISION]
    assert letter.recipient == world["citizen"] and letter.title == "不予变更行政许可决定书"
    assert not Licence.objects.filter(application__number=number).exists()
