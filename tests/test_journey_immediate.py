"""A real 即办件: 律师执业证书换发 (证书损毁、记载事项变更), decided at the window on the spot.

Source: 辽宁省司法厅 publishes “律师执业证（工作证）信息变更” as 即审即办 (see the item's ``source``).
The lawyer applies online to the province that issued the licence; the window clerk checks the
licence register and decides at once (``immediate_decision.bpmn``): the result is a sealed
准予行政许可决定书 and the same 律师执业证 re-issued as a new version — the old version is
superseded, the number stays. Without a valid licence in the register, or with a number that is
not the applicant's, nothing can be re-issued (409) and the clerk decides 不予 with reasons.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.tests.conftest import (  # noqa: F401  (fixtures)
    OTHER_ID,
    VALID_ID,
    _media,
    cat,
    loaded,
    world,
)
from sifa.catalogue.models import CaseType
from sifa.licences.models import IssueKind, Licence, LicenceStatus
from sifa.licences.services import issue_licence
from sifa.licences.types import type_for
from sifa.organisations.models import Role
from sifa.workflow.models import CaseDocumentKind
from tests.service_journeys import apply, command, entry, issue_documents, only_open, staff, travel
from tests.test_journey_lawyer_licence import calendar  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db]
REISSUE = "律师执业证书换发（证书损毁、记载事项变更）"
DAY = dt.date(2026, 11, 16)


def _form(name: str, id_number: str, phone: str, licence_number: str) -> dict:
    return {
        "applicant_name": name,
        "id_number": id_number,
        "phone": phone,
        "licence_number": licence_number,
        "reissue_reason": "damaged",
    }


@pytest.fixture
def licensed(world):  # noqa: F811
    """张三 holds a valid 律师执业证 issued by 浙江省司法厅 (in the licence register)."""
    return issue_licence(
        type_for("lawyer_licence"),
        world["citizen"],
        world["orgs"]["zj"],
        actor=None,
        particulars={"practice_organisation": "浙江某某律师事务所"},
        with_pdf=False,
    )


def test_the_item_is_published_as_an_immediate_case(world):  # noqa: F811
    item = entry(REISSUE, world["orgs"]["zj"])
    assert item.version.case_type == CaseType.IMMEDIATE
    assert item.version.process.bpmn_file == "immediate_decision.bpmn"
    assert "lnzwfw.gov.cn" in item.item.source and "即审即办" in item.item.source


def test_the_lawyer_gets_the_licence_reissued_at_the_window_the_same_day(
    world,  # noqa: F811
    calendar,  # noqa: F811
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
            _form("张三", VALID_ID, "13800000001", licensed.number),
        )
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
    application = Application.objects.get(number=number)
    assert application.status == ApplicationStatus.DELIVERED
    # 即办: accepted and decided on the same day, at the window.
    assert timezone.localdate(application.accepted_at) == timezone.localdate(application.decided_at) == DAY

    rows = issue_documents()
    [letter] = [r.document for r in rows if r.kind == CaseDocumentKind.APPROVAL_DECISION]
    assert letter.title == "准予行政许可决定书" and "许" in letter.number and "〔2026〕" in letter.number
    reissued = Licence.objects.get(application=application)
    assert (reissued.issue_kind, reissued.version, reissued.number) == (IssueKind.REISSUE, 2, licensed.number)
    assert reissued.particulars["practice_organisation"] == "浙江某某律师事务所"
    licensed.refresh_from_db()
    assert licensed.status == LicenceStatus.SUPERSEDED


def test_nothing_to_reissue_is_refused_and_decided_with_reasons(
    world,  # noqa: F811
    calendar,  # noqa: F811
    licensed,
    django_user_model,
    django_capture_on_commit_callbacks,
):
    from tests.service_journeys import client

    clerk = staff(django_user_model, "zj-clerk", world["orgs"]["zj"], Role.WINDOW_CLERK)
    with travel(DAY):
        wrong_number = apply(
            world["api"],
            django_capture_on_commit_callbacks,
            entry(REISSUE, world["orgs"]["zj"]),
            _form("张三", VALID_ID, "13800000001", "330000202600199999"),
        )
        unlicensed = apply(
            client(world["other"]),
            django_capture_on_commit_callbacks,
            entry(REISSUE, world["orgs"]["zj"]),
            _form("李四", OTHER_ID, "13800000002", "330000202600100001"),
        )
    with travel(DAY, hour=14):
        mismatch = command(clerk, wrong_number, "accept", expect=409, decision="approve")
        assert mismatch["code"] == "workflow.licence_number_mismatch"
        none = command(clerk, unlicensed, "accept", expect=409, decision="approve")
        assert none["code"] == "workflow.no_licence_to_reissue"
        body = command(
            clerk, unlicensed, "accept", decision="deny", reasons="证照库中没有申请人有效的律师执业证"
        )
    assert body["status"] == ApplicationStatus.DENIED
    [letter] = [r.document for r in issue_documents() if r.kind == CaseDocumentKind.DENIAL_DECISION]
    assert letter.recipient == world["other"]
    assert not Licence.objects.filter(holder=world["other"]).exists()
