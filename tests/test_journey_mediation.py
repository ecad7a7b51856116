"""人民调解申请 handled for real at the township judicial office (司法所), through the API.

The 司法所's staff keep the roster (a 人民调解委员会 and its 人民调解员); the applicant reads it and
names the mediators they want (人民调解法 §23(1)); the 司法所 registers the application, assigns
mediators of one committee — following the choice where it can and saying why where it cannot
(§19, §23) —, records each mediation (§27) and ends with a sealed 人民调解协议书 (§28–§29) whose
§33 window (30 days from effect, 民法典 §203) is told at once and reminded a week before it ends;
or with a 调解终止记录 telling the parties their remaining remedies (§26).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import Client

from sifa.accounts.services import add_totp_device
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.tests.conftest import (
    VALID_ID,
    _media,  # noqa: F401  (autouse: uploads in the test's own folder)
)
from sifa.deadlines import db_calendar, notices
from sifa.deadlines.services import publish_notice, save_notice_draft
from sifa.mediation.documents import agreement_context
from sifa.mediation.models import MediationCase
from sifa.notifications.models import Notification
from sifa.organisations.models import Membership, Role
from sifa.testing.notices import HOLIDAYS_2027
from sifa.workbench.tests.world import verified_login
from sifa.workflow.models import CaseDocumentKind
from tests.service_journeys import apply, command, entry, issue_documents, only_open, staff, travel

pytestmark = [pytest.mark.django_db]
MEDIATION = "人民调解申请"


@pytest.fixture
def office(world, django_user_model):
    """北山街道司法所 with its clerk and its 承办人 (reviewer), and a roster they keep."""
    town = world["orgs"]["xh_town"]
    clerk = staff(django_user_model, "town-clerk", town, Role.WINDOW_CLERK)
    handler = staff(django_user_model, "town-handler", town, Role.REVIEWER)
    base = f"/api/v1/mediation/offices/{town.pk}/committees/"
    committee = handler.post(base, {"name": "北山街道人民调解委员会", "kind": "township"}, format="json")
    assert committee.status_code == 201, committee.json()
    other = handler.post(base, {"name": "曙光社区人民调解委员会", "kind": "residents"}, format="json").json()
    ids = {}
    for name, position, committee_id in (
        ("王秀英", "director", committee.json()["id"]),
        ("张建国", "member", committee.json()["id"]),
        ("陈立", "member", other["id"]),
    ):
        response = handler.post(
            f"/api/v1/mediation/committees/{committee_id}/mediators/",
            {"name": name, "position": position, "specialties": "邻里纠纷、婚姻家庭纠纷"},
            format="json",
        )
        assert response.status_code == 201, response.json()
        ids[name] = response.json()["id"]
    return {"town": town, "clerk": clerk, "handler": handler, "ids": ids}


def _form(preferred: str) -> dict:
    return {
        "applicant_name": "张三",
        "id_number": VALID_ID,
        "phone": "13800000001",
        "other_party": "李四",
        "dispute": "楼上住户李四家卫生间漏水，致本人房屋天花板和墙面受损，双方就维修费用协商不成。",
        "referred_by": "police",  # 派出所 told the parties to apply (人民调解法 §18)
        "preferred_mediators": preferred,
    }


def _apply(world, capture, office, preferred: str, day: dt.date) -> str:
    item = entry(MEDIATION, office["town"])
    roster = world["api"].get("/api/v1/mediation/roster/", {"entry": item.implementation_code})
    assert roster.status_code == 200
    names = [m["name"] for c in roster.json()["committees"] for m in c["mediators"]]
    assert {"王秀英", "张建国", "陈立"} <= set(names)
    with travel(day):
        return apply(world["api"], capture, item, _form(preferred))


def test_mediation_ends_in_a_sealed_agreement_and_the_judicial_confirmation_reminders(
    world,
    calendar,
    office,
    django_capture_on_commit_callbacks,
):
    number = _apply(world, django_capture_on_commit_callbacks, office, "王秀英、赵某", dt.date(2026, 11, 16))
    accept = only_open(number)
    assert (accept.organisation, accept.role) == (office["town"], Role.WINDOW_CLERK)
    assert accept.due_on is None  # 人民调解法 sets no time limit for the mediation itself
    with travel(dt.date(2026, 11, 16)):
        command(office["clerk"], number, "accept")
    mediate = only_open(number)
    assert (mediate.task_name, mediate.role, mediate.organisation) == (
        "mediate",
        Role.REVIEWER,
        office["town"],
    )
    ids = office["ids"]

    with travel(dt.date(2026, 11, 17)):
        # Not honouring the applicant's choice (赵某 is not on the roster) needs a reason.
        missing = command(
            office["handler"], number, "assign_mediators", expect=400, mediators=[ids["王秀英"]]
        )
        assert missing["errors"][0]["field"] == "preference_note" and "赵某" in missing["message"]
        mixed = command(
            office["handler"], number, "assign_mediators", expect=400,
            mediators=[ids["王秀英"], ids["陈立"]], preference_note="x",
        )  # fmt: skip
        assert mixed["errors"][0]["code"] == "mediation.one_committee"
        too_early = command(
            office["handler"], number, "record_session", expect=400,
            held_on="2026-11-17", place="司法所调解室", mediators=[ids["王秀英"]], parties_present="张三", summary="x",
        )  # fmt: skip
        assert too_early["errors"][0]["code"] == "mediation.assign_first"
        body = command(
            office["handler"], number, "assign_mediators",
            mediators=[ids["王秀英"], ids["张建国"]], preference_note="赵某不在本所人民调解员名册中",
        )  # fmt: skip
    assert body["mediation"]["committee"] == "北山街道人民调解委员会"
    assert {m["name"] for m in body["mediation"]["mediators"]} == {"王秀英", "张建国"}
    assert "按申请人的选择指定：王秀英" in body["timeline"][-1]["detail"]
    assert "赵某未予指定" in body["timeline"][-1]["detail"]

    with travel(dt.date(2026, 11, 19)):
        for day, summary in (
            ("2026-11-18", "双方陈述事实，对维修费用分歧较大"),
            ("2026-11-19", "经现场查看，双方同意按维修报价分担"),
        ):
            body = command(
                office["handler"], number, "record_session",
                held_on=day, place="北山街道司法所调解室", mediators=[ids["王秀英"], ids["张建国"]],
                parties_present="张三、李四", summary=summary,
            )  # fmt: skip
        assert [s["number"] for s in body["mediation"]["sessions"]] == [1, 2]
        not_assigned = command(
            office["handler"], number, "record_session", expect=400,
            held_on="2026-11-19", place="司法所", mediators=[ids["陈立"]], parties_present="张三", summary="x",
        )  # fmt: skip
        assert not_assigned["errors"][0]["code"] == "mediation.not_assigned"

    with travel(dt.date(2026, 11, 20)):
        body = command(
            office["handler"], number, "conclude_mediation",
            result="agreement",
            facts="李四家卫生间防水层老化漏水，致张三房屋天花板和墙面受损；李四应承担维修责任。",
            terms=["李四于2026年11月30日前向张三支付维修费人民币3000元", "张三收到款项后，双方就本纠纷再无其他争议"],
            effective_on="2026-11-20",
        )  # fmt: skip
    assert body["status"] == ApplicationStatus.DELIVERED
    # §33: 30 days from 11-20 is Sunday 12-20 → Monday 12-21 (民法典 §203).
    assert (
        body["mediation"]["confirmation_due"] == "2026-12-21" and body["mediation"]["confirmation_due_exact"]
    )
    citizen = world["citizen"]
    told = Notification.objects.get(recipient=citizen, event="mediation.agreement")
    assert "2026年12月21日前" in told.body and "司法确认" in told.body

    [row] = [r for r in issue_documents() if r.kind == CaseDocumentKind.MEDIATION_AGREEMENT]
    assert (
        "调" in row.document.number
        and "〔2026〕" in row.document.number
        and row.document.recipient == citizen
    )
    track = world["api"].get(f"/api/v1/applications/{number}/").json()
    assert any("人民调解协议书" in e["title"] for e in track["timeline"])

    # The reminder goes out once, a week before the window closes.
    call_command("remind-judicial-confirmation", "--date", "2026-12-13", verbosity=0)
    assert not Notification.objects.filter(
        recipient=citizen, event="mediation.confirmation_reminder"
    ).exists()
    call_command("remind-judicial-confirmation", "--date", "2026-12-14", verbosity=0)
    call_command("remind-judicial-confirmation", "--date", "2026-12-15", verbosity=0)
    [reminder] = Notification.objects.filter(recipient=citizen, event="mediation.confirmation_reminder")
    assert "2026年12月21日" in reminder.body
    assert MediationCase.objects.get(application__number=number).reminded_at is not None


def test_a_section_33_day_in_an_unpublished_year_is_provisional_until_the_notice_is_entered(
    world,
    calendar,
    office,
    django_capture_on_commit_callbacks,
    django_user_model,
):
    """December 2026, no 2027 notice yet: 30 days from 2026-12-03 end on Saturday 2027-01-02, which
    the provisional calendar (《全国年节及纪念日放假办法》, no make-up days) moves to Monday 01-04 —
    marked 暂定 in the API, the workbench, the message and the agreement. The State Council's notice
    then makes 01-02 a working day: the next scheduler run moves the day, removes the mark and tells
    the applicant; the reminder names the official day."""
    number = _apply(world, django_capture_on_commit_callbacks, office, "王秀英", dt.date(2026, 11, 30))
    ids = office["ids"]
    with travel(dt.date(2026, 12, 3)):
        command(office["clerk"], number, "accept")
        command(office["handler"], number, "assign_mediators", mediators=[ids["王秀英"]])
        command(
            office["handler"], number, "record_session",
            held_on="2026-12-03", place="北山街道司法所调解室", mediators=[ids["王秀英"]],
            parties_present="张三、李四", summary="双方同意按维修报价分担",
        )  # fmt: skip
        body = command(
            office["handler"], number, "conclude_mediation",
            result="agreement", facts="漏水致损，李四承担维修费用。", terms=["李四支付维修费3000元"],
            effective_on="2026-12-03",
        )  # fmt: skip
    shown = body["mediation"]
    assert (shown["confirmation_due"], shown["confirmation_due_provisional"]) == ("2027-01-04", True)
    citizen = world["citizen"]
    told = Notification.objects.get(recipient=citizen, event="mediation.agreement")
    assert "2027年1月4日（暂定）前" in told.body
    handler = django_user_model.objects.get(username="town-handler")
    add_totp_device(handler)
    page = Client()
    verified_login(page, handler)
    html = page.get(f"/workbench/cases/{number}/").content.decode()
    assert "2027-01-04" in html and "wb-tag--provisional" in html
    assert any(r.kind == CaseDocumentKind.MEDIATION_AGREEMENT for r in issue_documents())
    letter = render_to_string(
        "documents/mediation_agreement.html",
        agreement_context(MediationCase.objects.get(application__number=number)),
    )
    assert "至2027年1月4日，暂定" in letter

    # The notice for 2027 is entered and published at the ministry: Saturday 01-02 is worked.
    admin = django_user_model.objects.create_user("calendar-admin", "x-Secret-123", kind="staff")
    Membership.objects.create(user=admin, organisation=world["orgs"]["ministry"], role=Role.CALENDAR_ADMIN)
    with travel(dt.date(2026, 12, 7)):
        holidays, _ = notices.parse_days(HOLIDAYS_2027, "holidays", name_required=True)
        makeup, _ = notices.parse_days(
            "2027-01-02 元旦\n2027-02-20 春节", "makeup_workdays", name_required=False
        )
        draft = save_notice_draft(
            user=admin, year=2027, document_number="国办发明电〔2026〕12号", issued_on=dt.date(2026, 11, 4),
            holidays=holidays, makeup_workdays=makeup,
        )  # fmt: skip
        publish_notice(admin, draft.pk)
    db_calendar.forget()
    call_command("remind-judicial-confirmation", "--date", "2026-12-08", verbosity=0)
    case = MediationCase.objects.get(application__number=number)
    assert (case.confirmation_due, case.confirmation_due_provisional) == (dt.date(2027, 1, 2), False)
    moved = Notification.objects.get(recipient=citizen, event="deadline.moved")
    assert (
        "2027-01-04" in moved.body and "2027-01-02" in moved.body and "国办发明电〔2026〕12号" in moved.body
    )
    assert "暂定" not in moved.body
    html = page.get(f"/workbench/cases/{number}/").content.decode()
    assert "2027-01-02" in html and "wb-tag--provisional" not in html
    call_command("remind-judicial-confirmation", "--date", "2026-12-26", verbosity=0)
    [reminder] = Notification.objects.filter(recipient=citizen, event="mediation.confirmation_reminder")
    assert "2027年1月2日" in reminder.body and "暂定" not in reminder.body
    # A second run changes nothing and tells no one again.
    call_command("remind-judicial-confirmation", "--date", "2026-12-27", verbosity=0)
    assert Notification.objects.filter(recipient=citizen, event="deadline.moved").count() == 1


def test_mediation_without_agreement_ends_in_a_termination_record_with_the_remedies(
    world,
    calendar,
    office,
    django_capture_on_commit_callbacks,
):
    number = _apply(world, django_capture_on_commit_callbacks, office, "", dt.date(2026, 11, 16))
    with travel(dt.date(2026, 11, 17)):
        command(office["clerk"], number, "accept")
        command(office["handler"], number, "assign_mediators", mediators=[office["ids"]["陈立"]])
        no_reason = command(office["handler"], number, "conclude_mediation", expect=400, result="terminated")
        assert no_reason["errors"][0]["field"] == "reason"
        no_session = command(
            office["handler"], number, "conclude_mediation", expect=400, result="agreement",
            facts="x", terms=["y"], effective_on="2026-11-17",
        )  # fmt: skip
        assert no_session["errors"][0]["code"] == "mediation.session_required"
        body = command(
            office["handler"], number, "conclude_mediation",
            result="terminated", reason="对方当事人李四明确拒绝继续调解（人民调解法第二十三条第（二）项）",
        )  # fmt: skip
    assert body["status"] == ApplicationStatus.DELIVERED and body["mediation"]["outcome"] == "terminated"
    assert Notification.objects.filter(recipient=world["citizen"], event="mediation.terminated").exists()
    [row] = [r for r in issue_documents() if r.kind == CaseDocumentKind.MEDIATION_TERMINATION]
    assert row.document.title == "调解终止记录"
    assert Application.objects.get(number=number).closed_at is not None
    # No agreement, no confirmation window: nothing to remind.
    call_command("remind-judicial-confirmation", "--date", "2026-12-14", verbosity=0)
    assert not Notification.objects.filter(event="mediation.confirmation_reminder").exists()


def test_the_apply_page_shows_the_roster_to_choose_from(world, office, client):
    client.force_login(world["citizen"])
    page = client.get(f"/apply/{entry(MEDIATION, office['town']).implementation_code}/").content.decode()
    assert "北山街道司法所人民调解员名册" in page and "王秀英（主任）" in page and "陈立（委员）" in page
    lawyer = client.get(
        f"/apply/{entry('律师执业许可（专职律师执业）', world['orgs']['hz']).implementation_code}/"
    )
    assert "人民调解员名册" not in lawyer.content.decode()


def test_the_scheduler_runs_the_judicial_confirmation_reminders():
    from sifa.conf.management.commands.scheduler import available_jobs

    assert "remind-judicial-confirmation" in [job.command for job in available_jobs()]
