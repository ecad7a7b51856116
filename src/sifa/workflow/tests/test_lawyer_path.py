"""律师执业许可 end to end through the API: county citizen → city acceptance and review → provincial
decision → delivery; clocks on the official calendar; jurisdiction and role checks; order checks."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.accounts.models import User
from sifa.accounts.services import create_mandate, revoke_mandate
from sifa.accounts.tests import factories as account_factories
from sifa.applications.models import Application, ApplicationStatus
from sifa.audit.models import AuditEvent
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.workflow.models import WorkItem, WorkItemStatus
from sifa.workflow.tests.conftest import client_for, command, entry_for, make_case, travel, working_days_after

ACCEPTED_ON = dt.date(2025, 9, 1)
LAWYER = "律师执业许可（专职律师执业）"


@pytest.fixture
def case(w, people):
    return make_case(entry_for(LAWYER, w["hz"]), people["citizen"])


def open_items(case):
    return list(
        WorkItem.objects.filter(application=case, status=WorkItemStatus.OPEN).select_related("organisation")
    )


def stage_clock(case, order: int) -> ClockState:
    return ClockState.objects.get(
        subject_id=str(case.pk),
        purpose=ClockPurpose.STAGE,
        stage__startswith=f"{order}.",
        stopped_on__isnull=True,
    )


def test_lawyer_licence_from_acceptance_to_delivery(w, people, case):
    assert entry_for(LAWYER, w["hz"]).accepting_organisation == w["hz"]
    # The 律师执业证's holder is a verified natural person (else the licence cannot be issued and
    # 送达 waits for it: transitions.delivery_hold).
    case.applicant = account_factories.person(region_code="330106", name="陈律师").user
    case.save(update_fields=["applicant"])
    with travel(ACCEPTED_ON):
        response = command(people["hz_clerk"], case.number, "accept")
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == ApplicationStatus.ACCEPTED
        [review] = open_items(case)
        assert (review.task_name, review.organisation, review.role) == ("city_review", w["hz"], "reviewer")
        # 律师法 §6: the city reviews within 20 working days, counted on the official calendar.
        assert (
            review.due_on == working_days_after(ACCEPTED_ON, 20) == dt.date(2025, 9, 28)
        )  # a make-up working Sunday
    with travel(dt.date(2025, 9, 10)):
        response = command(
            people["hz_reviewer"], case.number, "review", outcome="approve", opinion="符合条件，报省厅"
        )
        assert response.status_code == 200, response.json()
        [decide] = open_items(case)
        assert (decide.organisation, decide.role) == (w["zj"], "decision_maker")
        assert decide.due_on == working_days_after(dt.date(2025, 9, 10), 10)
        assert response.json()["current_organisation"] == w["zj"].name
    with travel(dt.date(2025, 9, 15)):
        response = command(people["zj_decider"], case.number, "decide", decision="approve", opinion="准予")
        assert response.json()["status"] == ApplicationStatus.APPROVED
    with travel(dt.date(2025, 9, 16)):
        response = command(
            people["zj_clerk"], case.number, "deliver", method="mail", tracking_number="SF1234567890"
        )
        body = response.json()
    assert body["status"] == ApplicationStatus.DELIVERED
    assert open_items(case) == []
    # (The letters' own entries — 受理通知书, 准予行政许可决定书 — come as the worker issues them.)
    public = [(e["event"], e["title"]) for e in body["timeline"] if e["public"]]
    assert {"document_acceptance_notice", "document_approval_decision"} <= {event for event, _ in public}
    public = [(event, title) for event, title in public if not event.startswith("document_")]
    assert [event for event, _ in public] == ["accepted", "reviewed", "handed_over", "decided", "delivered"]
    assert public[2][1] == "移送浙江省司法厅办理"
    assert "邮寄单号：SF1234567890" in [e["detail"] for e in body["timeline"]]
    assert {c["stopped_on"] is not None for c in body["clocks"]} == {True}
    assert AuditEvent.objects.filter(action__startswith="workflow.", object_id=case.number).count() == 5


def test_a_suspension_of_n_working_days_moves_the_stage_deadline_by_exactly_n(people, case):
    with travel(ACCEPTED_ON):
        command(people["hz_clerk"], case.number, "accept")
    before = stage_clock(case, 1).due_on
    with travel(dt.date(2025, 9, 3)):
        response = command(
            people["hz_reviewer"], case.number, "suspend", kind="expert_review", reason="组织专家评审"
        )
        assert response.json()["status"] == ApplicationStatus.SUSPENDED
        assert (
            command(people["hz_reviewer"], case.number, "review", outcome="approve", opinion="x").status_code
            == 409
        )
    resumed = working_days_after(
        dt.date(2025, 9, 2), 4
    )  # 3, 4, 5 Sept not counted; counting resumes on the 8th
    with travel(resumed):
        response = command(people["hz_reviewer"], case.number, "resume")
        assert response.json()["status"] == ApplicationStatus.ACCEPTED
    assert stage_clock(case, 1).due_on == working_days_after(before, 3)
    [review] = open_items(case)
    assert review.due_on == working_days_after(before, 3)


def test_lawyers_law_sets_its_own_limits_so_there_is_no_section_42_extension(people, case):
    with travel(ACCEPTED_ON):
        command(people["hz_clerk"], case.number, "accept")
        command(people["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅")
        before = stage_clock(case, 2).due_on
        refused = command(
            people["zj_decider"], case.number, "extend", reason="情况复杂", approved_by="张厅长"
        )
    assert refused.status_code == 409 and refused.json()["code"] == "workflow.command_not_allowed"
    assert "律师法第六条" in refused.json()["message"]
    assert stage_clock(case, 2).due_on == before and not stage_clock(case, 2).extensions


APPRAISER = "司法鉴定人执业登记"


def test_section_42_extends_the_deciding_stage_only_once_with_the_approver_recorded(w, people):
    case = make_case(entry_for(APPRAISER, w["hz"]), people["citizen"])
    with travel(ACCEPTED_ON):
        command(people["hz_clerk"], case.number, "accept")
        # The city's review (行政许可法 §43) cannot be extended: the deciding province extends.
        lower = command(people["hz_reviewer"], case.number, "extend", reason="情况复杂", approved_by="张局长")
        assert lower.status_code == 409 and "浙江省司法厅" in lower.json()["message"]
        command(people["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅")
        city_round = ClockState.objects.get(subject_id=str(case.pk), stage__startswith="1.")
        before, legal_before = stage_clock(case, 2).due_on, case_legal_due(case)
        bad = command(people["zj_decider"], case.number, "extend", reason="情况复杂")
        assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "approved_by"
        ok = command(people["zj_decider"], case.number, "extend", reason="情况复杂", approved_by="张厅长")
        assert ok.status_code == 200, ok.json()
        assert stage_clock(case, 2).due_on == working_days_after(before, 10)
        assert case_legal_due(case) == working_days_after(legal_before, 10)
        assert stage_clock(case, 2).extensions[0]["approved_by"] == "张厅长"
        city_round.refresh_from_db()
        assert not city_round.extensions
        again = command(people["zj_decider"], case.number, "extend", reason="再延", approved_by="张厅长")
        assert again.status_code == 409 and again.json()["code"] == "workflow.command_not_allowed"


def case_legal_due(case) -> dt.date:
    return ClockState.objects.get(subject_id=str(case.pk), purpose=ClockPurpose.LEGAL).due_on


def test_a_reviewer_in_another_city_sees_no_work_item_and_gets_404(people, case):
    with travel(ACCEPTED_ON):
        command(people["hz_clerk"], case.number, "accept")
        other = client_for(people["nb_reviewer"])
        assert other.get("/api/v1/workitems/").json()["count"] == 0
        assert other.get(f"/api/v1/cases/{case.number}/").status_code == 404
        response = command(people["nb_reviewer"], case.number, "review", outcome="approve", opinion="x")
        assert response.status_code == 404
        mine = client_for(people["hz_reviewer"]).get("/api/v1/workitems/").json()
        assert [i["number"] for i in mine["results"]] == [case.number]


def test_a_township_clerk_accepts_for_the_city_only_what_its_window_received(w, people, case):
    """一窗受理: the 司法所's window accepts the walk-in it received for the city; the city's online
    case is not its (404), and review and decision are never a window's (the case is out of its
    sight until delivery: 404, not 403)."""
    with travel(ACCEPTED_ON):
        refused = command(people["town_clerk"], case.number, "accept")
        assert refused.status_code == 404 and refused.json()["code"] == "workflow.case_not_found"
        Application.objects.filter(pk=case.pk).update(channel="window", receiving_window=w["xh_town"])
        assert command(people["town_clerk"], case.number, "accept").status_code == 200
        command(people["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅")
        response = command(people["town_clerk"], case.number, "decide", decision="approve")
    assert response.status_code == 404
    assert response.json()["code"] == "workflow.case_not_found"


def test_commands_out_of_order_are_refused_with_409(people, case):
    with travel(ACCEPTED_ON):
        for user, name, body in [
            ("zj_decider", "decide", {"decision": "approve"}),
            ("hz_reviewer", "resume", {}),
        ]:
            response = command(people[user], case.number, name, **body)
            assert response.status_code == 409, response.json()
            assert response.json()["code"] == "workflow.command_not_allowed"
            assert response.json()["message"]
        command(people["hz_clerk"], case.number, "accept")
        assert command(people["hz_clerk"], case.number, "accept").status_code == 409
        assert command(people["zj_clerk"], case.number, "deliver", method="pickup").status_code == 409
        # The city review has no "return" path: the process says so, nothing changes.
        assert (
            command(people["hz_reviewer"], case.number, "review", outcome="return", opinion="退").status_code
            == 409
        )
        assert [i.task_name for i in open_items(case)] == ["city_review"]
        stale = command(
            people["hz_reviewer"], case.number, "review", outcome="approve", opinion="x", row_version=0
        )
        assert stale.status_code == 409 and stale.json()["code"] == "application.stale"
        unknown = command(people["hz_reviewer"], case.number, "approve_everything")
        assert unknown.status_code == 404


def test_the_province_may_return_the_case_to_the_city_which_gets_a_fresh_sub_clock(people, case):
    with travel(ACCEPTED_ON):
        command(people["hz_clerk"], case.number, "accept")
        command(people["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅")
    with travel(dt.date(2025, 9, 5)):
        response = command(people["zj_decider"], case.number, "review", outcome="return", opinion="补充核查")
        assert response.status_code == 200
        [again] = open_items(case)
        assert again.task_name == "city_review" and again.due_on == working_days_after(
            dt.date(2025, 9, 5), 20
        )


def test_refusal_needs_reasons_and_closes_the_case(people, case):
    with travel(ACCEPTED_ON):
        missing = command(people["hz_clerk"], case.number, "refuse")
        assert (
            missing.status_code == 400 and missing.json()["errors"][0]["code"] == "workflow.reasons_required"
        )
        response = command(people["hz_clerk"], case.number, "refuse", reasons="不属于本机关职权范围")
    assert response.json()["status"] == ApplicationStatus.NOT_ACCEPTED
    assert open_items(case) == []


def test_a_former_agent_cannot_withdraw_but_the_principal_can(people, case):
    """委托代办: once the principal revokes the mandate, the agent who filed the case gets the same
    403 application.mandate_ended as everywhere else, and nothing changes; the principal can."""
    agent = User.objects.create_user(username="agent", kind="person", display_name="刘芳")
    with travel(ACCEPTED_ON):
        mandate = create_mandate(
            principal=people["citizen"],
            agent=agent,
            valid_from=ACCEPTED_ON,
            valid_until=ACCEPTED_ON + dt.timedelta(days=60),
        )
        Application.objects.filter(pk=case.pk).update(agent=agent, mandate=mandate)
        command(people["hz_clerk"], case.number, "accept")
        revoke_mandate(mandate, by=people["citizen"])
        refused = command(agent, case.number, "withdraw", reasons="代为撤回")
        assert refused.status_code == 403 and refused.json()["code"] == "application.mandate_ended"
        assert Application.objects.get(pk=case.pk).status == ApplicationStatus.ACCEPTED
        assert len(open_items(case)) == 1
        response = command(people["citizen"], case.number, "withdraw", reasons="不再申请")
    assert response.status_code == 200 and response.json()["status"] == ApplicationStatus.WITHDRAWN


def test_the_applicant_may_withdraw_after_acceptance_but_staff_may_not(people, case):
    with travel(ACCEPTED_ON):
        assert command(people["citizen"], case.number, "withdraw").status_code == 409  # not yet accepted
        command(people["hz_clerk"], case.number, "accept")
        assert command(people["hz_reviewer"], case.number, "withdraw").status_code == 404
        response = command(people["citizen"], case.number, "withdraw", reasons="不再申请")
    assert response.json()["status"] == ApplicationStatus.WITHDRAWN
    assert open_items(case) == []
    assert not ClockState.objects.filter(subject_id=str(case.pk), stopped_on__isnull=True).exists()
