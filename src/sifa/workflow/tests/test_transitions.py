"""The one transition table (``sifa.workflow.transitions``): every command has a row, a command
outside its statuses is refused with the row's reason, and what is offered (workbench, API
``allowed_commands``) is exactly what ``run_command`` lets through."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import transaction

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services import TERMINAL_STATUSES
from sifa.catalogue.models import ItemVersion, ProcessDefinition, VersionStatus
from sifa.core.errors import ServiceError
from sifa.organisations.scope import actor_for
from sifa.workflow.models import WorkItem, WorkItemStatus
from sifa.workflow.services import COMMANDS, apply_deemed_acceptance, run_command, start_case
from sifa.workflow.tests.conftest import client_for, command, entry_for, make_case, travel, working_days_after
from sifa.workflow.transitions import TRANSITIONS, offers, refusal

DAY = dt.date(2025, 9, 1)
APPRAISER = "司法鉴定人执业登记"
DOCS = Path(__file__).resolve().parents[4] / "docs" / "workflow.md"


def open_items(case: Application) -> list[WorkItem]:
    return list(
        WorkItem.objects.filter(application=case, status=WorkItemStatus.OPEN)
        .select_related("organisation")
        .order_by("id")
    )


def test_every_command_has_exactly_one_row_with_its_reason_and_the_docs_list_it():
    assert set(COMMANDS) == set(TRANSITIONS), "a command without a row (or a row without a handler)"
    text = DOCS.read_text(encoding="utf-8")
    documented = text.split("## Which command may run when", 1)[1].split("\n## ", 1)[0]
    for name, rule in TRANSITIONS.items():
        assert rule.label and rule.why, name
        assert rule.statuses and set(rule.statuses) <= set(ApplicationStatus.values), name
        assert not set(rule.statuses) & TERMINAL_STATUSES, f"{name} is allowed in a closed case"
        assert f"| `{name}` " in documented, f"docs/workflow.md's transition table misses {name}"


def test_a_command_outside_its_statuses_is_refused_with_the_reason_of_its_row(w, people):
    """Walk the table: in every status a row does not name, the command answers 409 with the
    row's message, and nothing changes."""
    case = make_case(entry_for(APPRAISER, w["hz"]), people["citizen"])
    with travel(DAY):
        start_case(case)
        for name, rule in TRANSITIONS.items():
            user = people["citizen"] if rule.by_applicant else people["hz_clerk"]
            for status in sorted(set(ApplicationStatus.values) - set(rule.statuses)):
                Application.objects.filter(pk=case.pk).update(status=status)
                case.refresh_from_db()
                expected = refusal(name, case, open_items(case))
                with pytest.raises(ServiceError) as refused:
                    run_command(user, case.number, name, {})
                assert (refused.value.status, refused.value.code) == (409, "workflow.command_not_allowed"), (
                    name,
                    status,
                )
                assert refused.value.message == expected and expected, (name, status)
                case.refresh_from_db()
                assert case.status == status


def _outcome(user, case: Application, name: str) -> int:
    """What ``run_command`` answers (input left empty), rolled back whatever it was."""
    savepoint = transaction.savepoint()
    try:
        run_command(user, case.number, name, {})
        return 200
    except ServiceError as refused:
        return refused.status
    finally:
        transaction.savepoint_rollback(savepoint)


def _check_offers_match_run_command(people, case: Application) -> None:
    for key in ("hz_clerk", "hz_reviewer", "zj_decider", "zj_clerk", "nb_reviewer", "town_clerk"):
        user = people[key]
        case.refresh_from_db()
        offered = {o.command for o in offers(actor_for(user), case, open_items(case))}
        for name, rule in TRANSITIONS.items():
            if rule.by_applicant:
                continue
            answer = _outcome(user, case, name)
            if name in offered:
                # Offered: nothing in the state or the role stands in the way, only the input.
                assert answer in (200, 400), (key, name, case.status, answer)
            else:
                assert answer in (403, 404, 409), (key, name, case.status, answer)


def test_what_is_offered_is_exactly_what_run_command_lets_through(w, people):
    case = make_case(entry_for(APPRAISER, w["hz"]), people["citizen"])
    with travel(DAY):
        _check_offers_match_run_command(people, case)  # waiting for acceptance
        command(people["hz_clerk"], case.number, "accept")
        _check_offers_match_run_command(people, case)  # the city's review
        command(people["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅")
        _check_offers_match_run_command(people, case)  # the province decides (and may extend, §42)
        command(people["zj_decider"], case.number, "suspend", kind="expert_review", reason="专家评审")
        _check_offers_match_run_command(people, case)  # suspended (§45)
        command(people["zj_decider"], case.number, "resume")
        command(people["zj_decider"], case.number, "decide", decision="approve")
        _check_offers_match_run_command(people, case)  # delivery


def test_the_api_lists_the_commands_the_caller_may_give_now(w, people):
    case = make_case(entry_for(APPRAISER, w["hz"]), people["citizen"])
    with travel(DAY):
        command(people["hz_clerk"], case.number, "accept")
        mine = client_for(people["hz_reviewer"]).get(f"/api/v1/cases/{case.number}/").json()
        supervisor = client_for(people["zj_decider"]).get(f"/api/v1/cases/{case.number}/").json()
        answered = command(people["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅")
    assert [(c["command"], c["task"]) for c in mine["allowed_commands"]] == [
        ("review", "city_review"),
        ("suspend", "city_review"),
    ]
    assert supervisor["allowed_commands"] == []  # the province sees the city's review, but does not do it
    assert answered.json()["allowed_commands"] == []  # the case has moved on to the province


def test_a_suspended_case_offers_resume_and_extension_but_not_its_tasks(w, people):
    """Regression: while the limit was suspended (行政许可法 §45) the workbench still offered the
    decision and the return, which could only fail (409 该办件正在中止计时); and it did not offer the
    §42 extension, which the command allows while suspended."""
    case = make_case(entry_for(APPRAISER, w["hz"]), people["citizen"])
    decider = people["zj_decider"]
    with travel(DAY):
        command(people["hz_clerk"], case.number, "accept")
        command(people["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅")
        command(decider, case.number, "suspend", kind="expert_review", reason="组织专家评审")
        case.refresh_from_db()
        offered = [o.command for o in offers(actor_for(decider), case, open_items(case))]
        assert offered == ["resume", "extend"]
        assert command(decider, case.number, "decide", decision="approve").status_code == 409
        extended = command(decider, case.number, "extend", approved_by="王厅长", reason="专家评审延期")
    assert extended.status_code == 200, extended.json()
    assert extended.json()["status"] == ApplicationStatus.SUSPENDED


def test_a_system_administrator_is_offered_no_case_work_without_a_role(w, people, django_user_model):
    """Regression: the workbench offered a superuser every step of every case, and each one failed
    with 403 workflow.role_required: case work is done by the staff holding the task's role."""
    admin = django_user_model.objects.create_superuser("root-admin", "not-used-Pw1!", kind="staff")
    case = make_case(entry_for(APPRAISER, w["hz"]), people["citizen"])
    with travel(DAY):
        start_case(case)
        assert offers(actor_for(admin), case, open_items(case)) == []
        assert command(admin, case.number, "accept").status_code == 403


def test_a_deemed_accepted_immediate_case_is_decided_and_no_longer_refused_or_sent_for_correction(w, people):
    """Regression: a 即办件 deemed accepted (行政许可法 §32(1)(4): 逾期不告知的，自收到申请材料之日起
    即为受理) keeps its accept-and-decide task open; the clerk was still offered 不予受理 (which closed
    an accepted case as not accepted) and 补正告知 (which failed with 409 application.not_in_pre_review).
    Only the on-the-spot decision remains."""
    entry = entry_for("律师执业注销", w["hz"])
    version = ItemVersion.objects.create(
        item=entry.item, number=98, status=VersionStatus.DRAFT, case_type="1", review_type="immediate"
    )
    ProcessDefinition.objects.create(version=version, bpmn_file="immediate_decision.bpmn")
    case = make_case(entry, people["citizen"], version=version, received=DAY)
    later = working_days_after(DAY, 6)
    clerk = people["hz_clerk"]
    with travel(later):
        assert apply_deemed_acceptance(later) == [case.number]
        case.refresh_from_db()
        assert case.status == ApplicationStatus.ACCEPTED and case.deemed_accepted
        offered = [o.command for o in offers(actor_for(clerk), case, open_items(case))]
        assert offered == ["accept"]
        for name, body in (
            ("refuse", {"reasons": "不属于本机关职权范围"}),
            ("request_correction", {"items": [{"message": "请补充律师执业证书"}]}),
        ):
            refused = command(clerk, case.number, name, **body)
            assert refused.status_code == 409 and refused.json()["code"] == "workflow.command_not_allowed"
            assert "已受理" in refused.json()["message"] or "即为受理" in refused.json()["message"]
        decided = command(clerk, case.number, "accept", decision="deny", reasons="证书记载事项无需变更")
    assert decided.json()["status"] == ApplicationStatus.DENIED


def test_a_case_command_neither_reads_nor_rewrites_the_engine_state(w, people, monkeypatch):
    """Suspend, resume and extend act on the clocks only: the process instance is locked without its
    engine state (not parsed, not written back), and the stored state is what it was."""
    from sifa.workflow.engine import runtime
    from sifa.workflow.models import ProcessInstance
    from sifa.workflow.services import dispatch

    case = make_case(entry_for(APPRAISER, w["hz"]), people["citizen"])
    decider = people["zj_decider"]
    locked = []
    real_lock = dispatch._lock_number

    def lock(number, **kwargs):
        found = real_lock(number, **kwargs)
        locked.append(found)
        return found

    monkeypatch.setattr(dispatch, "_lock_number", lock)
    with travel(DAY):
        command(people["hz_clerk"], case.number, "accept")
        command(people["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅")
        assert "state" not in locked[-1].get_deferred_fields()
        before = ProcessInstance.objects.get(application=case).state
        monkeypatch.setattr(runtime, "load", lambda *a: pytest.fail("a case command loaded the engine"))
        for name, body in (
            ("suspend", {"kind": "expert_review", "reason": "组织专家评审"}),
            ("extend", {"approved_by": "王厅长", "reason": "专家评审延期"}),
            ("resume", {}),
        ):
            assert command(decider, case.number, name, **body).status_code == 200
            assert locked[-1].get_deferred_fields() == {"state"}
    assert ProcessInstance.objects.get(application=case).state == before
