"""Processes across levels and what their decisions do: the province lane, a stage whose time is
not counted (行政许可法 §45), and a change or cancellation whose licence is no longer in force."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.applications.models import ApplicationMaterial, ApplicationStatus, MaterialProvenance
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.licences.services import issue_licence, revoke
from sifa.licences.types import type_for
from sifa.organisations.models import Role
from sifa.workflow.models import WorkItem, WorkItemStatus
from sifa.workflow.services import start_case
from sifa.workflow.tests.conftest import command, entry_for, make_case, staff, travel, working_days_after

DAY = dt.date(2025, 9, 1)
SPECIAL = "特许律师执业许可"


@pytest.fixture
def ministry(w):
    return {
        "clerk": staff("moj-clerk", w["ministry"], Role.WINDOW_CLERK),
        "reviewer": staff("moj-reviewer", w["ministry"], Role.REVIEWER),
        "decider": staff("moj-decider", w["ministry"], Role.DECISION_MAKER),
    }


def legal(case) -> ClockState:
    return ClockState.objects.get(subject_id=str(case.pk), purpose=ClockPurpose.LEGAL)


def open_item(case) -> WorkItem:
    return WorkItem.objects.get(application=case, status=WorkItemStatus.OPEN)


def test_the_assessment_of_a_special_lawyer_is_not_counted_in_the_limit(w, people, ministry):
    case = make_case(entry_for(SPECIAL, w["ministry"]), people["citizen"])
    with travel(DAY):
        accepted = command(ministry["clerk"], case.number, "accept")
        assert accepted.status_code == 200, accepted.json()
        # 行政许可法 §45: from the first day of the 考核 the clocks stand still, and the applicant reads why.
        assert legal(case).to_clock().paused and legal(case).due_on is None
        timeline = [(e["event"], e["title"]) for e in accepted.json()["timeline"] if e["public"]]
        assert ("not_counted_suspended", "考核期间不计算办理期限（行政许可法第四十五条）") in timeline
        assert open_item(case).task_name == "assessment" and open_item(case).due_on is None
        # No second suspension on top of it: the limit is already not running.
        refused = command(ministry["reviewer"], case.number, "suspend", kind="hearing", reason="听证")
        assert refused.status_code == 409 and "行政许可法第四十五条" in refused.json()["message"]
    assessed_on = dt.date(2025, 10, 20)
    with travel(assessed_on):
        done = command(ministry["reviewer"], case.number, "review", outcome="approve", opinion="考核合格")
    assert done.status_code == 200, done.json()
    assert "not_counted_resumed" in [e["event"] for e in done.json()["timeline"]]
    [suspension] = legal(case).suspensions
    assert (suspension["kind"], suspension["started_on"]) == ("expert_review", DAY.isoformat())
    assert suspension["ended_on"] == (assessed_on + dt.timedelta(days=1)).isoformat()
    # The 20 working days (§42) count from the day after the 考核 ended — on both clocks.
    assert legal(case).due_on == open_item(case).due_on == working_days_after(assessed_on, 20)


def test_withdrawing_during_the_assessment_stops_every_clock(w, people, ministry):
    case = make_case(entry_for(SPECIAL, w["ministry"]), people["citizen"])
    with travel(DAY):
        command(ministry["clerk"], case.number, "accept")
    with travel(DAY + dt.timedelta(days=3)):
        response = command(people["citizen"], case.number, "withdraw", reasons="不再申请")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == ApplicationStatus.WITHDRAWN
    assert not ClockState.objects.filter(subject_id=str(case.pk), stopped_on__isnull=True).exists()


def test_a_notary_case_with_no_province_above_its_bureau_is_refused_not_misrouted(w, people):
    case = make_case(entry_for("公证员执业许可（任职）", w["xh"]), people["citizen"])
    case.accepting_organisation = w["ministry"]  # an entry wrongly put at the ministry
    case.save(update_fields=["accepting_organisation"])
    with pytest.raises(Exception) as refused:
        start_case(case)
    assert getattr(refused.value, "code", "") == "workflow.lane_unresolved"
    assert not WorkItem.objects.filter(application=case).exists()


def _change_case(w):
    """A 律师执业变更 whose subject material came from the wallet (as the applications app records it)."""
    from sifa.accounts.services import register_person
    from sifa.applications.tests.conftest import VALID_ID

    lawyer = register_person(
        name="张三",
        id_number=VALID_ID,
        phone="13800000031",
        password="Sifa-Secret-2026!",
        region_code="330106",
    ).user
    entry = entry_for("律师执业变更许可（变更执业机构）", w["hz"])
    licence = issue_licence(type_for("lawyer_licence"), lawyer, w["zj"], actor=None, with_pdf=False)
    case = make_case(entry, lawyer)
    ApplicationMaterial.objects.create(
        application=case,
        material=entry.version.materials.get(name="律师执业证书"),
        provenance=MaterialProvenance.LICENCE,
        source_reference=licence.identifier,
        source_label="来自电子证照库",
    )
    return case, licence


def test_a_change_cannot_be_approved_once_its_licence_was_revoked_but_can_be_denied(w, people):
    case, licence = _change_case(w)
    with travel(DAY):
        command(people["hz_clerk"], case.number, "accept")
        command(people["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅")
        revoke(licence, actor=None, reason="违法执业被吊销")
        approve = command(people["zj_decider"], case.number, "decide", decision="approve")
        assert approve.status_code == 409 and approve.json()["code"] == "licence.subject_not_current"
        assert "已吊销" in approve.json()["message"]
        deny = command(
            people["zj_decider"], case.number, "decide", decision="deny", reasons="执业证书已被吊销"
        )
    assert deny.status_code == 200 and deny.json()["status"] == ApplicationStatus.DENIED
    assert "作出不予变更决定" in [e["title"] for e in deny.json()["timeline"]]
