"""The other processes: parallel reviews that join, a 即办件 decided at acceptance, legal aid,
§32 deemed acceptance, worklist warnings, and the signal from the applications app."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from sifa.applications.models import ApplicationStatus, CorrectionNotice
from sifa.applications.signals import ready_for_acceptance
from sifa.catalogue.models import ItemVersion, ProcessDefinition, VersionStatus
from sifa.testing.cases import field_item, material_item
from sifa.workflow.models import ProcessInstance, WorkItem, WorkItemStatus
from sifa.workflow.services import DEEMED_ACCEPTANCE_TITLE, apply_deemed_acceptance
from sifa.workflow.tests.conftest import (
    at,
    client_for,
    command,
    entry_for,
    make_case,
    travel,
    working_days_after,
)

DAY = dt.date(2025, 9, 1)


def open_tasks(case) -> list[str]:
    return sorted(
        WorkItem.objects.filter(application=case, status=WorkItemStatus.OPEN).values_list(
            "task_name", flat=True
        )
    )


def test_parallel_reviews_join_before_the_hand_over(w, people):
    case = make_case(entry_for("律师事务所设立许可", w["hz"]), people["citizen"])
    with travel(DAY):
        command(people["hz_clerk"], case.number, "accept")
        assert open_tasks(case) == ["association_check", "city_review"]
        ambiguous = command(people["hz_reviewer"], case.number, "review", outcome="approve", opinion="通过")
        assert (
            ambiguous.status_code == 400 and ambiguous.json()["errors"][0]["code"] == "workflow.task_required"
        )
        command(
            people["hz_reviewer"],
            case.number,
            "review",
            task="city_review",
            outcome="approve",
            opinion="通过",
        )
        assert open_tasks(case) == ["association_check"]  # the join waits for the other branch
        command(
            people["hz_reviewer"],
            case.number,
            "review",
            task="association_check",
            outcome="approve",
            opinion="协会无异议",
        )
    [decide] = WorkItem.objects.filter(application=case, status=WorkItemStatus.OPEN)
    assert (decide.task_name, decide.organisation) == ("province_decide", w["zj"])


def test_an_immediate_case_is_decided_at_acceptance(w, people):
    entry = entry_for("律师执业注销", w["hz"])
    version = ItemVersion.objects.create(
        item=entry.item, number=99, status=VersionStatus.DRAFT, case_type="1", review_type="immediate"
    )
    ProcessDefinition.objects.create(version=version, bpmn_file="immediate_decision.bpmn")
    case = make_case(entry, people["citizen"], version=version)
    with travel(DAY):
        missing = command(people["hz_clerk"], case.number, "accept")
        assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "decision"
        response = command(people["hz_clerk"], case.number, "accept", decision="approve")
        body = response.json()
        assert body["status"] == ApplicationStatus.APPROVED
        assert body["accepted_at"] and body["decided_at"]
        assert [e["event"] for e in body["timeline"]] == ["accepted", "decided"]
        assert open_tasks(case) == ["deliver"]
        delivered = command(people["hz_clerk"], case.number, "deliver", method="pickup")
    assert delivered.json()["status"] == ApplicationStatus.DELIVERED


def test_legal_aid_decision_within_seven_days_then_assignment_within_three(w, people):
    case = make_case(entry_for("法律援助申请", w["xh_aid"]), people["citizen"])
    clerk = people["aid_clerk"]
    with travel(DAY):
        command(clerk, case.number, "accept")
        [decide] = WorkItem.objects.filter(application=case, status=WorkItemStatus.OPEN)
        assert decide.due_on == DAY + dt.timedelta(days=7)
        command(clerk, case.number, "decide", decision="approve")
        [assign] = WorkItem.objects.filter(application=case, status=WorkItemStatus.OPEN)
        assert assign.due_on == DAY + dt.timedelta(days=3)
        assert command(clerk, case.number, "extend", reason="x", approved_by="y").status_code == 409
        response = command(clerk, case.number, "assign", assignee="王律师")
    assert response.json()["status"] == ApplicationStatus.DELIVERED


def test_deemed_acceptance_after_five_working_days_without_a_notice(w, people):
    entry = entry_for(LAWYER := "律师执业许可（专职律师执业）", w["hz"])
    lapsed = make_case(entry, people["citizen"], received=DAY, status=ApplicationStatus.SUBMITTED)
    fresh = make_case(entry, people["citizen"], received=dt.date(2025, 9, 5))
    noticed = make_case(entry, people["citizen"], received=DAY)
    CorrectionNotice.objects.create(application=noticed, items=[{"message": "缺身份证明"}], issued_at=at(DAY))
    deadline = working_days_after(DAY, 5)
    assert apply_deemed_acceptance(deadline) == []  # the fifth working day itself is still in time
    with travel(deadline + dt.timedelta(days=1)):
        call_command("apply-deemed-acceptance", "--date", (deadline + dt.timedelta(days=1)).isoformat())
        body = client_for(people["hz_reviewer"]).get(f"/api/v1/cases/{lapsed.number}/").json()
    assert body["status"] == ApplicationStatus.ACCEPTED and body["deemed_accepted"] is True
    assert body["accepted_at"].startswith("2025-09-01")
    assert DEEMED_ACCEPTANCE_TITLE in [e["title"] for e in body["timeline"]]
    [review] = [i for i in body["work_items"] if i["status"] == "open"]
    assert review["task"] == "city_review" and review["due_on"] == working_days_after(DAY, 20).isoformat()
    for untouched in (fresh, noticed):
        untouched.refresh_from_db()
        assert untouched.status == ApplicationStatus.PENDING_ACCEPTANCE and not untouched.deemed_accepted
    assert LAWYER


def test_worklist_shows_red_then_yellow_then_green_after_the_periodic_refresh(w, people):
    entry = entry_for("律师执业许可（专职律师执业）", w["hz"])
    cases = [make_case(entry, people["citizen"]) for _ in range(3)]
    for case, day in zip(
        cases, (dt.date(2025, 9, 1), dt.date(2025, 9, 10), dt.date(2025, 10, 13)), strict=True
    ):
        with travel(day):
            command(people["hz_clerk"], case.number, "accept")
    call_command("refresh-workitems", "--date", "2025-10-13")
    listing = client_for(people["hz_reviewer"]).get("/api/v1/workitems/").json()["results"]
    assert [(i["number"], i["warning_level"]) for i in listing] == [
        (cases[0].number, "red"),
        (cases[1].number, "yellow"),
        (cases[2].number, "green"),
    ]
    only_red = client_for(people["hz_reviewer"]).get("/api/v1/workitems/?warning_level=red").json()["results"]
    assert [i["number"] for i in only_red] == [cases[0].number]
    bad = client_for(people["hz_reviewer"]).get("/api/v1/workitems/?warning_level=purple")
    assert bad.status_code == 400


def test_ready_for_acceptance_starts_the_process_with_an_acceptance_work_item(w, people):
    case = make_case(entry_for("律师执业许可（专职律师执业）", w["hz"]), people["citizen"])
    ready_for_acceptance.send(sender=None, application=case)
    ready_for_acceptance.send(sender=None, application=case)  # idempotent
    assert ProcessInstance.objects.filter(application=case).count() == 1
    assert open_tasks(case) == ["accept"]
    listing = client_for(people["hz_clerk"]).get("/api/v1/workitems/?role=window_clerk").json()
    assert [i["number"] for i in listing["results"]] == [case.number]


def test_request_correction_hands_over_to_the_applications_service(w, people, monkeypatch):
    from sifa.applications import services as application_services

    calls = []
    monkeypatch.setattr(
        application_services,
        "issue_correction_notice",
        lambda application, *, items, actor: calls.append((application.number, items, actor)),
        raising=False,
    )
    case = make_case(entry_for("律师执业许可（专职律师执业）", w["hz"]), people["citizen"])
    with travel(DAY):
        assert command(people["hz_clerk"], case.number, "request_correction").status_code == 400
        # Items that name no material or field of the case are refused before anything is undone.
        for loose, code in (
            ([{"message": "身份证明不清晰"}], "correction.item_unnamed"),
            ([{"field": "id", "message": "身份证明不清晰"}], "correction.item_unknown_field"),
            ([{"field": "materials.0", "message": "缺少实习考核材料"}], "correction.item_unknown_material"),
        ):
            refused = command(people["hz_clerk"], case.number, "request_correction", items=loose)
            assert refused.status_code == 400 and refused.json()["code"] == code, refused.json()
        case.refresh_from_db()
        assert calls == [] and case.status == ApplicationStatus.PENDING_ACCEPTANCE
        items = [
            material_item(case, "身份证明不清晰"),
            field_item(case, "通讯地址应写明门牌号", "address"),
        ]
        assert command(people["hz_clerk"], case.number, "request_correction", items=items).status_code == 200
    assert calls == [(case.number, items, people["hz_clerk"])]
    assert not ProcessInstance.objects.filter(application=case).exists()
    assert open_tasks(case) == []
