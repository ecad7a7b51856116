"""The case page offers exactly what the workflow's transition table and roles let through: no
button that can only fail, and none missing (``sifa.workflow.transitions.offers``)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sifa.accounts.models import User
from sifa.applications.models import ApplicationStatus
from sifa.catalogue.models import ItemVersion, ProcessDefinition, VersionStatus
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.workbench.actions import ACTIONS
from sifa.workbench.tests import world as W
from sifa.workbench.tests.test_actions import act
from sifa.workflow.services import apply_deemed_acceptance, run_command, start_case
from sifa.workflow.transitions import TRANSITIONS

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def buttons(html: str, case) -> set[str]:
    """The actions the page offers (each is a form posting to its action URL)."""
    prefix = f'action="/workbench/cases/{case.number}/actions/'
    return {chunk.split("/", 1)[0] for chunk in html.split(prefix)[1:]}


def test_a_suspended_case_offers_resume_and_extension_not_the_decision(login, people, w):
    """Regression: while the limit was suspended (行政许可法 §45) the page offered 作出决定 and
    退回重新审查, which could only fail (该办件正在中止计时); it did not offer the §42 extension,
    which the command allows while suspended."""
    case = W.make_case(W.entry_for("司法鉴定人执业登记", w["hz"]), people["citizen"])
    start_case(case)
    run_command(people["hz_clerk"], case.number, "accept", {})
    run_command(people["hz_reviewer"], case.number, "review", {"outcome": "approve", "opinion": "报省厅"})
    run_command(people["zj_decider"], case.number, "suspend", {"kind": "expert_review", "reason": "专家评审"})
    client = login(people["zj_decider"])
    page = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert buttons(page, case) == {"resume", "extend"}
    act(client, case, "extend", {"approved_by": "王厅长", "reason": "专家评审需要更多时间"})
    legal = ClockState.objects.get(subject_id=str(case.pk), purpose=ClockPurpose.LEGAL)
    assert legal.extensions[0]["approved_by"] == "王厅长"
    case.refresh_from_db()
    assert case.status == ApplicationStatus.SUSPENDED


def test_a_system_administrator_is_offered_no_case_work_without_a_role(login, people, case):
    """Regression: a system administrator was offered 受理、不予受理、补正告知 on every case, and each
    failed with 403 workflow.role_required (the task is the window clerk's)."""
    admin = W.staff("root-admin")
    User.objects.filter(pk=admin.pk).update(is_superuser=True)
    admin.refresh_from_db()
    page = login(admin).get(f"/workbench/cases/{case.number}/").content.decode()
    assert not {"accept", "refuse", "request_correction"} & buttons(page, case)
    clerk_page = login(people["hz_clerk"]).get(f"/workbench/cases/{case.number}/").content.decode()
    assert {"accept", "refuse", "request_correction"} <= buttons(clerk_page, case)


def test_a_deemed_accepted_immediate_case_offers_only_the_decision(login, people, w):
    """Regression: a 即办件 deemed accepted (行政许可法 §32(1)(4)) still offered 不予受理 — closing an
    accepted case as not accepted — and 补正告知, which failed; only the decision remains."""
    entry = W.entry_for("律师执业注销", w["hz"])
    version = ItemVersion.objects.create(
        item=entry.item, number=97, status=VersionStatus.DRAFT, case_type="1", review_type="immediate"
    )
    ProcessDefinition.objects.create(version=version, bpmn_file="immediate_decision.bpmn")
    received = dt.datetime(2025, 8, 20, 9, tzinfo=SHANGHAI)
    case = W.make_case(entry, people["citizen"], version=version, submitted_at=received, received_at=received)
    assert apply_deemed_acceptance(dt.date(2025, 9, 1)) == [case.number]
    client = login(people["hz_clerk"])
    page = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert buttons(page, case) == {"accept"}
    act(client, case, "accept", {"decision": "deny", "reasons": "证书记载事项无需变更"})
    case.refresh_from_db()
    assert case.status == ApplicationStatus.DENIED


def test_every_staff_command_of_the_transition_table_has_its_action_form():
    """A row added to the table without a workbench action would break the case page."""
    staff_commands = {name for name, rule in TRANSITIONS.items() if not rule.by_applicant}
    assert staff_commands <= set(ACTIONS)


def _ids_and_labels(html: str) -> tuple[list[str], list[str]]:
    from html.parser import HTMLParser

    ids: list[str] = []
    fors: list[str] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            values = dict(attrs)
            if values.get("id"):
                ids.append(values["id"])
            if tag == "label" and values.get("for"):
                fors.append(values["for"])

    Collect().feed(html)
    return ids, fors


def test_the_case_page_uses_each_id_once_and_every_label_finds_its_field(login, people, w):
    """Issue 15: the case page shows one form per action, and several forms ask for the same fields
    (row_version, task, reason …): each form's ids carry the action's key, so no id repeats and
    every ``<label for>`` names a field that exists — at acceptance (受理, 不予受理, 补正告知) and at
    the province's decision (作出决定, 退回重新审查, 中止, 延期)."""
    case = W.make_case(W.entry_for(W.LAWYER, w["hz"]), people["citizen"])
    start_case(case)
    pages = [login(people["hz_clerk"]).get(f"/workbench/cases/{case.number}/").content.decode()]
    run_command(people["hz_clerk"], case.number, "accept", {})
    run_command(people["hz_reviewer"], case.number, "review", {"outcome": "approve", "opinion": "报省厅"})
    pages.append(login(people["zj_decider"]).get(f"/workbench/cases/{case.number}/").content.decode())
    for html in pages:
        assert len(buttons(html, case)) >= 2
        ids, fors = _ids_and_labels(html)
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        assert repeated == [], repeated
        assert set(fors) <= set(ids), sorted(set(fors) - set(ids))
        assert "id_row_version" not in ids  # each form's own: id_<action>_row_version
