"""`sifa load-demo-cases`: the demo lawyer and law firm hold real licences, issued by the workflow.

After `sifa load-demo`, the demo cases run through the real services to delivery; the holders can
see their licences and documents, anyone can verify them, and a second run changes nothing.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from sifa.accounts.management.commands import _demo
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.tests.conftest import _media  # noqa: F401  (fixture)
from sifa.catalogue.tests.conftest import _org, _region, cat, loaded  # noqa: F401  (fixtures)
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.demo.cases import demo_cases, load_cases
from sifa.demo.listing import listing
from sifa.documents.models import Document
from sifa.licences.models import Licence
from sifa.organisations.models import OrganisationKind

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def demo(cat):  # noqa: F811
    """The catalogue test tree plus 上城区 (the demo's second county), the calendar and `load-demo`."""
    shangcheng = _region("330102", "上城区", 3, cat["orgs"]["hz"].region)
    _org("杭州市上城区司法局", OrganisationKind.BUREAU, 4, shangcheng, cat["orgs"]["hz"])
    seed_calendar(2026, 2026)
    db_calendar.forget()
    cache.clear()
    call_command("load-demo")
    yield cat["orgs"]
    db_calendar.forget()
    cache.clear()


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

        reissue = apply(citizen, capture, entry("律师执业证书换发（证书损毁、记载事项变更）", orgs["zj"]),
                        {**person, "licence_number": Licence.objects.get(holder=lawyer, version=1).number,
                         "reissue_reason": "damaged"})  # fmt: skip
        command(staff["demo-city"], reissue, "accept", decision="approve")  # 一窗受理: the city's window
        command(staff["demo-city"], reissue, "deliver", method="electronic")

    for number in (aid, objection, mediation, reissue):
        assert Application.objects.get(number=number).status == ApplicationStatus.DELIVERED, number
    issue_documents()
    assert Licence.objects.get(holder=lawyer, version=2).issue_kind == IssueKind.REISSUE
