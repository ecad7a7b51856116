"""`sifa load-demo-cases`: the demo lawyer and law firm hold real licences, issued by the workflow.

After `sifa load-demo`, the demo cases run through the real services to delivery; the holders can
see their licences and documents, anyone can verify them, and a second run changes nothing.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from sifa.accounts.management.commands import _demo
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services import start_draft
from sifa.applications.tests.conftest import _media  # noqa: F401  (fixture)
from sifa.catalogue.models import ImplementationEntry
from sifa.catalogue.processes import process_available
from sifa.catalogue.tests.conftest import _laws_sample, cat, laws, loaded  # noqa: F401  (fixtures)
from sifa.core import limits
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.demo.cases import _staff_for, demo_cases, load_cases
from sifa.demo.listing import listing
from sifa.demo.mandates import load_mandates
from sifa.documents.models import Document
from sifa.licences.models import Licence
from sifa.organisations.scope import actor_for
from sifa.testing import tree
from sifa.workflow.engine.registry import process_for
from sifa.workflow.services import lane_organisation
from sifa.workflow.transitions import holds_role, window_organisations

pytestmark = [pytest.mark.django_db, pytest.mark.slow(seconds=30)]


@pytest.fixture
def demo(cat):  # noqa: F811
    """The catalogue test tree plus 上城区 (the demo's second county), the calendar and `load-demo`."""
    tree("sc", on=cat["orgs"])
    seed_calendar(2026, 2026)
    db_calendar.forget()
    limits.clear()
    call_command("load-demo")
    yield cat["orgs"]
    db_calendar.forget()
    limits.clear()


def test_demo_cases_give_the_lawyer_and_the_law_firm_verifiable_licences(demo):
    cases = load_cases()
    assert {c.status for c in cases.values()} == {ApplicationStatus.DELIVERED}

    rows = {r["username"]: r for r in listing()}
    lawyer = rows[_demo.CITIZEN["phone"]]
    firm = rows[_demo.COMPANY["phone"]]
    assert [lic["name"] for lic in lawyer["licences"]] == ["律师执业证"]
    assert [lic["name"] for lic in firm["licences"]] == ["律师事务所执业许可证"]
    assert all(lic["issuer"] == "浙江省司法厅" for lic in lawyer["licences"] + firm["licences"])

    anyone = APIClient()
    for row in (lawyer, firm):
        [licence] = row["licences"]
        answer = anyone.get(f"/api/v1/licences/verify/{licence['identifier']}/").json()
        assert answer["authentic"] is True and answer["status"] == "valid", answer

    # The holders received the acceptance notice and the decision letter, each sealed and numbered.
    for case in cases.values():
        titles = set(Document.objects.filter(related_id=case.number).values_list("title", flat=True))
        assert titles == {"受理通知书", "准予行政许可决定书"}, titles

    # Again: nothing new — same applications, licences and documents.
    before = (Application.objects.count(), Licence.objects.count(), Document.objects.count())
    again = load_cases()
    assert {k: a.pk for k, a in again.items()} == {k: a.pk for k, a in cases.items()}
    assert (Application.objects.count(), Licence.objects.count(), Document.objects.count()) == before


def test_demo_accounts_json_names_the_holders_and_their_licence_identifiers(demo, capsys):
    load_cases()
    capsys.readouterr()
    call_command("demo-accounts", "--json")
    rows = json.loads(capsys.readouterr().out)
    holders = {r["display_name"]: r["licences"] for r in rows if r["licences"]}
    assert set(holders) == {_demo.CITIZEN["name"], _demo.COMPANY["name"]}
    assert all(lic["identifier"].startswith("1.2.156.3005.2.") for lics in holders.values() for lic in lics)


def test_demo_staff_and_mediators_can_finish_every_public_service_case(
    demo, django_capture_on_commit_callbacks
):
    """The demo jurisdiction has who each new case needs: the legal-aid centre's staff, the county
    deciding objections, the 司法所 handling mediation with its roster, and a window for the 即办件."""
    import datetime as dt

    from sifa.accounts.models import User
    from sifa.demo.mediation import ensure_roster
    from sifa.licences.models import IssueKind
    from sifa.workflow.models import WorkItem, WorkItemStatus
    from tests.service_journeys import apply, client, command, entry, issue_documents, travel

    load_cases()
    mediators = ensure_roster()
    assert [m.name for m in ensure_roster()] == [m.name for m in mediators]  # idempotent
    staff = {u.username: client(u) for u in User.objects.filter(is_demo=True, kind="staff")}
    lawyer = next(case.applicant for case in demo_cases() if case.key == "lawyer")
    citizen = client(lawyer)
    person = {"applicant_name": _demo.CITIZEN["name"], "id_number": _demo._id_number(_demo.CITIZEN), "phone": _demo.CITIZEN["phone"]}  # fmt: skip
    orgs = demo
    capture = django_capture_on_commit_callbacks

    def open_kinds(number):
        return [
            i.kind for i in WorkItem.objects.filter(application__number=number, status=WorkItemStatus.OPEN)
        ]

    with travel(dt.date(2026, 11, 16)):
        aid = apply(citizen, capture, entry("法律援助申请", orgs["xh_aid"]),
                    {**person, "case_kind": "civil", "facts": "用人单位拖欠工资三个月，需要申请劳动仲裁。"},
                    {"means_exempt": "no", "by_agent": "no"})  # fmt: skip
        command(staff["demo-legal-aid"], aid, "accept")
        command(staff["demo-legal-aid"], aid, "decide", decision="deny", reasons="不符合经济困难标准")
        command(staff["demo-legal-aid"], aid, "deliver", method="electronic")

        objection = apply(citizen, capture, entry("法律援助异议处理", orgs["xh"]),
                          {**person, "decision_kind": "deny", "reason": "本人属于免予核查经济困难状况的人员。"})  # fmt: skip
        command(staff["demo-county"], objection, "accept")
        command(staff["demo-county"], objection, "rule", ruling="correct", reasons="应免予核查经济困难状况")
        command(staff["demo-county"], objection, "deliver", method="electronic")

        mediation = apply(citizen, capture, entry("人民调解申请", orgs["xh_town"]),
                          {**person, "other_party": "李四", "dispute": "邻居装修噪音扰民，多次协商未果。",
                           "preferred_mediators": mediators[0].name})  # fmt: skip
        command(staff["demo-township"], mediation, "accept")
        assert open_kinds(mediation) == ["mediate"]
        command(staff["demo-township"], mediation, "assign_mediators", mediators=[mediators[0].pk])
        command(staff["demo-township"], mediation, "record_session", held_on="2026-11-16", place="司法所调解室",
                mediators=[mediators[0].pk], parties_present="陈明、李四", summary="双方达成一致")  # fmt: skip
        command(staff["demo-township"], mediation, "conclude_mediation", result="agreement", facts="装修噪音扰民",
                terms=["李四每日20时后停止施工"], effective_on="2026-11-16")  # fmt: skip

        # The licence to re-issue comes from the lawyer's wallet (律师执业证, issued by the province).
        reissue = apply(citizen, capture, entry("律师执业证书换发（证书损毁、记载事项变更）", orgs["zj"]),
                        {**person, "reissue_reason": "damaged"})  # fmt: skip
        command(staff["demo-province-clerk"], reissue, "accept", decision="approve")
        command(staff["demo-province-clerk"], reissue, "deliver", method="electronic")

    for number in (aid, objection, mediation, reissue):
        assert Application.objects.get(number=number).status == ApplicationStatus.DELIVERED, number
    issue_documents()
    assert Licence.objects.get(holder=lawyer, version=2).issue_kind == IssueKind.REISSUE


def test_the_demo_law_firm_holds_its_clients_mandate_and_can_apply_for_her(demo, capsys):
    mandate = load_mandates()
    assert load_mandates() == mandate  # idempotent
    client, firm = mandate.principal, mandate.agent
    assert (client.display_name, firm.display_name) == (_demo.CLIENT["name"], _demo.COMPANY["name"])

    # The firm (a company account) starts a 律师执业许可 application for 王丽 under it.
    entry = ImplementationEntry.objects.get(item__basic_code="000100001001", organisation=demo["hz"])
    draft = start_draft(entry, actor=firm, on_behalf_of=str(client.public_id))
    assert (draft.applicant, draft.agent, draft.mandate) == (client, firm, mandate)

    capsys.readouterr()
    call_command("demo-accounts", "--json")
    rows = {r["display_name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[_demo.CLIENT["name"]]["mandates"] == [
        {
            "role": "principal",
            "other": firm.display_name,
            "items": ["律师执业许可"],
            "valid_until": str(mandate.valid_until),
        }
    ]
    assert rows[_demo.COMPANY["name"]]["mandates"][0]["role"] == "agent"
    call_command("demo-accounts")
    assert f"受托于 {_demo.CLIENT['name']}：律师执业许可" in capsys.readouterr().out
    # The window clerks the walk-in journey needs: a township and a county window.
    windows = {r["username"] for r in rows.values() if "window_clerk" in r["roles"]}
    assert {"demo-township", "demo-county"} <= windows


def test_every_task_of_every_process_can_be_done_by_a_demo_account(demo):
    """No demo case can get stuck: for every item with a process implemented in the demo
    jurisdiction (司法部, 浙江省司法厅, 杭州市司法局, 西湖区 and 上城区, 西湖区法律援助中心, 北山街道司法所)
    — licensing items, legal aid, the objection, mediation and the 即办件 — every task of its
    process, assigned to the organisation its lane resolves to, is held by a demo account that may
    do it."""
    tree = _demo.find_tree()
    jurisdiction = {
        getattr(tree, name).pk
        for name in ("ministry", "province", "city", "county", "other_county", "legal_aid", "township")
    }
    entries = ImplementationEntry.objects.filter(
        organisation_id__in=jurisdiction, status="active"
    ).select_related("item", "version__process", "accepting_organisation", "deciding_organisation")
    checked = set()
    for entry in entries:
        if not process_available(entry.version):
            continue  # not offered (no 在线申请, 409 at draft time): no case can exist
        process = process_for(entry.version.process.bpmn_file)
        case = SimpleNamespace(
            entry=entry,
            accepting_organisation=entry.accepting_organisation,
            accepting_organisation_id=entry.accepting_organisation.pk,
            receiving_window_id=None,  # an online application: the accepting organisation received it
            pickup_window_id=None,
            scope_path=entry.accepting_organisation.path,
        )
        for task in process.tasks.values():
            organisation = lane_organisation(case, task.lane)
            item = SimpleNamespace(organisation=organisation, role=task.role, kind=task.kind, title=task.name)
            user = _staff_for(case, item)  # the demo's own rule; raises when nobody may act
            command = "deliver" if task.kind == "deliver" else "accept"
            window = task.kind in ("accept", "accept_decide", "deliver")
            windows = window_organisations(command, case) if window else frozenset()
            assert holds_role(actor_for(user), organisation, task.role, windows=windows), (
                entry.item.name,
                task.name,
            )
            checked.add((entry.item.name, organisation.name, task.bpmn_id))
    items = {name for name, _org, _task in checked}
    assert {"特许律师执业许可", "公证员执业许可（任职）", "外国律师事务所驻华代表机构设立许可"} <= items
    assert ("公证员执业许可（任职）", "中华人民共和国司法部", "ministry_decide") in checked
    assert ("法律职业资格认定", "浙江省司法厅", "province_check") in checked
    assert {
        "法律援助申请",
        "法律援助异议处理",
        "人民调解申请",
        "律师执业证书换发（证书损毁、记载事项变更）",
    } <= items
    assert ("人民调解申请", "北山街道司法所", "mediate") in checked


def test_the_demo_consultations_are_open_answered_and_escalated_once(demo, laws):  # noqa: F811
    """Three 12348 tickets made through the consultation services; a second run records none."""
    from sifa.consultation import selectors
    from sifa.consultation.models import Ticket
    from sifa.demo.consultations import ensure_consultations
    from sifa.organisations.models import Role

    answered, escalated, open_call = ensure_consultations()
    assert [t.number for t in ensure_consultations()] == [answered.number, escalated.number, open_call.number]
    assert Ticket.objects.count() == 3
    tree = _demo.find_tree()
    assert answered.status == "answered" and answered.channel == "web"
    assert [c.label for c in answered.citations.all()] == ["人民调解法第十七条"]
    assert answered.asker.reveal_phone() == _demo.CITIZEN["phone"]
    assert escalated.escalated_to == tree.county and escalated.status == "open"
    assert open_call.organisation == tree.township and open_call.escalated_at is None
    assert open_call.recorded_by.username == "demo-hotline" and open_call.phone_masked == "138****0011"
    county = actor_for(_demo.User.objects.get(username="demo-county"))
    assert county.has_role(Role.CONSULTANT)
    assert [t.number for t in selectors.queue(county, status="escalated")] == [escalated.number]
    township = actor_for(_demo.User.objects.get(username="demo-township"))
    assert {t.number for t in selectors.queue(township, status="open")} == {
        escalated.number,
        open_call.number,
    }


def test_the_demo_supervision_shows_at_the_city_and_the_province_once(demo):
    """好差评 and 投诉举报 of the demo, through the real services: 陈明's 差评 opens a rectification at
    杭州市司法局; an overdue one is escalated to 浙江省司法厅; a named complaint under the province's
    督办 and an anonymous report in progress; a second run adds nothing."""
    from sifa.complaints import selectors as complaint_selectors
    from sifa.complaints.models import Complaint
    from sifa.demo.supervision import ensure_supervision
    from sifa.evaluation import selectors as evaluation_selectors
    from sifa.evaluation.models import Rating, Rectification
    from sifa.notifications.models import Notification

    cases = load_cases()
    shown = ensure_supervision(cases)
    again = ensure_supervision(cases)
    assert (
        Rating.objects.count() == 2 and Rectification.objects.count() == 2 and Complaint.objects.count() == 2
    )
    assert again.complaint.number == shown.complaint.number and again.report.number == shown.report.number
    tree = _demo.find_tree()
    case = shown.case_rectification
    assert case.rating.number == cases["lawyer"].number and case.rating.level == "very_dissatisfied"
    assert case.organisation == tree.city and case.status == "open" and not case.is_overdue
    overdue = shown.escalated_rectification
    assert overdue.organisation == tree.city and overdue.is_overdue and overdue.escalated_to == tree.province
    city_supervisor = _demo.User.objects.get(username="demo-city-supervisor")
    province = _demo.User.objects.get(username="demo-province")
    assert Notification.objects.filter(recipient=city_supervisor, event="evaluation.bad_rating").count() == 2
    assert Notification.objects.filter(recipient=province, event="evaluation.escalated").count() == 1
    city_rows = evaluation_selectors.rectifications(actor_for(city_supervisor), status="open")
    assert {r.pk for r in city_rows} >= {case.pk}
    province_rows = evaluation_selectors.rectifications(actor_for(province), status="escalated")
    assert [r.pk for r in province_rows] == [overdue.pk]
    assert shown.complaint.handler == tree.city and shown.complaint.status == "accepted"
    assert shown.complaint.supervisions.get().organisation == tree.province
    assert shown.report.handler == tree.city and shown.report.complainant_id is None and shown.report_code
    supervised = complaint_selectors.queue(actor_for(province), status="supervised")
    assert [c.number for c in supervised] == [shown.complaint.number]
    assert {c.number for c in complaint_selectors.queue(actor_for(city_supervisor), status="open")} == {
        shown.complaint.number,
        shown.report.number,
    }


def test_the_demo_has_a_lawyer_a_section_26_notice_may_be_assigned_to(demo):
    """法律援助法 §26: a 通知辩护 for a person who may be sentenced to 无期徒刑 or 死刑 needs a lawyer
    with 三年以上相关执业经历; the demo's imported 林志远 (since 2018) is one, entered once."""
    import datetime as dt

    from sifa.demo.lawyers import SENIOR_NUMBER, ensure_senior_lawyer
    from sifa.licences.selectors import lawyer_licence_by_number, lawyer_practice_since

    licence = ensure_senior_lawyer()
    assert ensure_senior_lawyer() == licence  # idempotent
    found = lawyer_licence_by_number(SENIOR_NUMBER)
    assert found == licence and found.is_usable
    assert lawyer_practice_since(found) == dt.date(2018, 6, 1)
    assert found.particulars["practice_organisation"] == _demo.COMPANY["name"]
