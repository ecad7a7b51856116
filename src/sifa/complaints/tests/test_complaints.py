"""投诉举报 end to end: submit (named, anonymous), routing to supervisors, accept, 督办 by the level
above with a report, reply told to the complainant, close, overdue shown above, scope, and the rule
that the staff member complained about never sees who complained."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from sifa.audit.models import AuditEvent
from sifa.catalogue.models import ImplementationEntry
from sifa.complaints import services
from sifa.complaints.models import Complaint, EventKind, Status
from sifa.complaints.tests.conftest import body, client
from sifa.notifications.models import Notification
from sifa.testing.cases import make_case

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"


def command(user, number, name, **data):
    return client(user).post(f"{URL}{number}/commands/{name}/", data, format="json")


def test_an_anonymous_complaint_is_followed_by_its_tracking_code(cat, people):
    orgs = cat["orgs"]
    response = client().post(URL, body(orgs, anonymous=True), format="json")
    assert response.status_code == 201, response.content
    number, code = response.json()["number"], response.json()["tracking_code"]
    assert number.startswith("TS330106") and len(code) == 8
    complaint = Complaint.objects.get(number=number)
    # The 司法所 has no supervisor: the county bureau's supervisors handle it.
    assert complaint.organisation == orgs["xh_town"] and complaint.handler == orgs["xh"]
    assert complaint.complainant is None and complaint.anonymous
    assert complaint.tracking_code_digest and code not in complaint.tracking_code_digest
    assert Notification.objects.filter(recipient=people["county"], event="complaints.submitted").exists()

    tracked = client().get(f"{URL}track/{number}/", {"code": code})
    assert tracked.status_code == 200 and tracked.json()["status"] == "submitted"
    assert client().get(f"{URL}track/{number}/", {"code": "WRONGCDE"}).status_code == 404

    assert command(people["county"], number, "accept").status_code == 200
    reply = "经核查，窗口已统一材料清单，并对相关工作人员进行批评教育。"
    assert command(people["county"], number, "reply", text=reply).status_code == 200
    tracked = client().get(f"{URL}track/{number}/", {"code": code}).json()
    assert tracked["status"] == "replied" and tracked["reply"] == reply
    assert [h["kind"] for h in tracked["history"]] == ["submitted", "routed", "accepted", "replied"]
    assert command(people["county"], number, "close").json()["status"] == "closed"


def test_a_named_complaint_about_a_case_reaches_the_case_organisation_and_the_outcome_the_inbox(cat, people):
    orgs = cat["orgs"]
    entry = ImplementationEntry.objects.filter(accepting_organisation=orgs["xh"]).first()
    case = make_case(entry, people["citizen"])
    response = client(people["citizen"]).post(
        URL, body(orgs, subject_kind="case", organisation=None, case_number=case.number), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["tracking_code"] == ""
    complaint = Complaint.objects.get(number=response.json()["number"])
    assert complaint.application == case and complaint.handler == orgs["xh"]
    assert complaint.complainant == people["citizen"]
    # The due date lies 15 working days ahead (SIFA_COMPLAINT_REPLY_DAYS).
    assert complaint.due_date > timezone.localdate() + dt.timedelta(days=15)
    mine = client(people["citizen"]).get(URL).json()["results"]
    assert [c["number"] for c in mine] == [complaint.number]
    command(people["county"], complaint.number, "accept")
    command(people["county"], complaint.number, "reply", text="已责成承办人当日办结，并向您致歉。")
    assert Notification.objects.filter(recipient=people["citizen"], event="complaints.replied").exists()
    seen = client(people["citizen"]).get(f"{URL}{complaint.number}/").json()
    assert seen["reply"].startswith("已责成") and "supervisions" not in seen


def test_an_unknown_case_number_is_refused(cat, people):
    response = client().post(
        URL,
        body(
            cat["orgs"],
            subject_kind="case",
            organisation=None,
            case_number="SF33010620260101999999",
            anonymous=True,
        ),
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "complaints.unknown_case"


def test_the_level_above_supervises_and_gets_the_report_before_closing(cat, people):
    orgs = cat["orgs"]
    number = client().post(URL, body(orgs, anonymous=True), format="json").json()["number"]
    deadline = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    # The county's own supervisors cannot supervise themselves.
    refused = command(people["county"], number, "supervise", instruction="请尽快办理", deadline=deadline)
    assert refused.status_code == 403 and refused.json()["code"] == "complaints.not_above"
    done = command(people["city"], number, "supervise", instruction="请核实并报告处理结果", deadline=deadline)
    assert done.status_code == 200, done.content
    assert done.json()["supervisions"][0]["organisation"] == orgs["hz"].name
    assert Notification.objects.filter(recipient=people["county"], event="complaints.supervised").exists()
    command(people["county"], number, "accept")
    command(people["county"], number, "reply", text="经核查情况属实，已整改并向投诉人说明。")
    blocked = command(people["county"], number, "close")
    assert blocked.status_code == 409 and blocked.json()["code"] == "complaints.report_outstanding"
    # The city cannot write the county's report.
    assert command(people["city"], number, "report", text="代为报告的内容十个字以上").status_code == 403
    reported = command(
        people["county"], number, "report", text="已核实，窗口材料清单已统一，责任人已批评教育。"
    )
    assert reported.status_code == 200 and reported.json()["supervisions"][0]["reported_at"]
    assert command(people["county"], number, "close").json()["status"] == "closed"
    assert AuditEvent.objects.filter(action="complaints.complaint.supervise").exists()


def test_overdue_complaints_show_at_the_level_above(cat, people):
    orgs = cat["orgs"]
    number = client().post(URL, body(orgs, anonymous=True), format="json").json()["number"]
    complaint = Complaint.objects.get(number=number)
    later = complaint.due_date + dt.timedelta(days=1)
    call_command("escalate-complaints", date=later.isoformat(), verbosity=0)
    complaint.refresh_from_db()
    assert complaint.overdue_at is not None
    assert complaint.events.filter(kind=EventKind.OVERDUE).exists()
    assert Notification.objects.filter(recipient=people["city"], event="complaints.overdue").exists()
    assert services.escalate_overdue(later) == []  # once
    Complaint.objects.filter(pk=complaint.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    overdue = client(people["city"]).get(URL, {"status": "overdue"}).json()["results"]
    assert [c["number"] for c in overdue] == [number]


def test_other_jurisdictions_get_a_404(cat, people):
    orgs = cat["orgs"]
    number = client().post(URL, body(orgs, anonymous=True), format="json").json()["number"]
    assert client(people["beijing"]).get(f"{URL}{number}/").status_code == 404
    assert command(people["beijing"], number, "accept").status_code == 404
    assert client(people["clerk"]).get(f"{URL}{number}/").status_code == 404  # not a supervisor
    assert client(people["other_citizen"]).get(f"{URL}{number}/").status_code == 404
    assert client(people["beijing"]).get(URL).json()["results"] == []


def test_the_staff_member_complained_about_never_sees_who_complained(cat, people):
    orgs = cat["orgs"]
    accused = people["accused"]
    response = client(people["citizen"]).post(
        URL,
        body(
            orgs,
            subject_kind="conduct",
            organisation=orgs["xh"].pk,
            staff_member=accused.username,
            name="陈明",
            phone="13812345678",
            wants_sms=True,
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    complaint = Complaint.objects.get(number=number)
    assert complaint.staff_member == accused and complaint.handler == orgs["xh"]
    # Another supervisor of the county sees who complained (to call back).
    other = client(people["county"]).get(f"{URL}{number}/").json()
    assert other["name"] == "陈明" and other["phone"] == "13812345678"
    # The one complained about, though a supervisor in scope, sees nothing of the complainant.
    seen = client(accused).get(f"{URL}{number}/")
    assert seen.status_code == 200
    text = seen.content.decode()
    assert "陈明" not in text and "13812345678" not in text and "138****5678" not in text
    assert seen.json()["complainant_signed_in"] is None
    listed = client(accused).get(URL).content.decode()
    assert number in listed and "陈" not in listed.replace("陈述", "") and "5678" not in listed
    # … is told nothing, and may not act on it.
    assert not Notification.objects.filter(recipient=accused, event="complaints.submitted").exists()
    refused = command(accused, number, "accept")
    assert refused.status_code == 403 and refused.json()["code"] == "complaints.conflict_of_interest"
    assert complaint.status == Status.SUBMITTED


def test_an_unknown_staff_number_is_refused(cat, people):
    response = client().post(
        URL, body(cat["orgs"], subject_kind="conduct", staff_member="nobody", anonymous=True), format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "complaints.unknown_staff"


def test_commands_in_the_wrong_order_are_a_409(cat, people):
    number = client().post(URL, body(cat["orgs"], anonymous=True), format="json").json()["number"]
    assert command(people["county"], number, "reply", text="答复内容需要十个字以上。").json()["code"] == (
        "complaints.not_accepted"
    )
    assert command(people["county"], number, "close").json()["code"] == "complaints.not_replied"
    assert command(people["county"], number, "report", text="情况报告需要十个字以上。").json()["code"] == (
        "complaints.no_report_due"
    )
    command(people["county"], number, "accept")
    assert command(people["county"], number, "accept").json()["code"] == "complaints.not_submitted"
    assert command(people["county"], number, "escalate").status_code == 404


def test_an_anonymous_complainant_who_asked_gets_the_outcome_by_sms(cat, people):
    orgs = cat["orgs"]
    response = client().post(
        URL, body(orgs, anonymous=True, phone="13912345678", wants_sms=True), format="json"
    )
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert Notification.objects.filter(
        recipient=None, event="complaints.received", phone_masked="139****5678"
    ).exists()
    command(people["county"], number, "accept")
    command(people["county"], number, "reply", text="经核查，已责成窗口统一材料清单。")
    sms = Notification.objects.get(recipient=None, event="complaints.replied")
    assert sms.phone_masked == "139****5678"
    complaint = Complaint.objects.get(number=number)
    assert complaint.events.filter(kind=EventKind.SMS_SENT).exists()
    # The history holds no phone number, masked or not (staff, the one complained about too, read it).
    assert not any("5678" in e.note for e in complaint.events.all())
    tracked = client().get(f"{URL}track/{number}/", {"code": response.json()["tracking_code"]})
    assert tracked.status_code == 200 and tracked.json()["reply"].startswith("经核查")


def test_a_late_report_shows_the_complaint_as_overdue_above(cat, people):
    orgs = cat["orgs"]
    number = client().post(URL, body(orgs, anonymous=True), format="json").json()["number"]
    deadline = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    command(people["city"], number, "supervise", instruction="请核实并报告", deadline=deadline)
    assert client(people["city"]).get(URL, {"status": "overdue"}).json()["results"] == []
    supervised = client(people["city"]).get(URL, {"status": "supervised"}).json()["results"]
    assert [c["number"] for c in supervised] == [number]
    Complaint.objects.get(number=number).supervisions.update(
        deadline=timezone.localdate() - dt.timedelta(days=1)
    )
    overdue = client(people["city"]).get(URL, {"status": "overdue"}).json()["results"]
    assert [c["number"] for c in overdue] == [number]
    seen = client(people["city"]).get(f"{URL}{number}/").json()
    assert seen["supervisions"][0]["overdue"] is True


def test_a_signed_in_citizen_may_complain_anonymously(cat, people):
    response = client(people["citizen"]).post(URL, body(cat["orgs"], anonymous=True), format="json")
    assert response.status_code == 201
    complaint = Complaint.objects.get(number=response.json()["number"])
    assert complaint.complainant is None and complaint.anonymous
    assert len(response.json()["tracking_code"]) == 8  # followed like any anonymous complaint
    assert client(people["citizen"]).get(URL).json()["results"] == []  # nothing ties it to the account
    assert not AuditEvent.objects.filter(
        action="complaints.complaint.submit", actor=people["citizen"]
    ).exists()


def test_the_notifications_link_to_the_workbench_and_to_my_space(cat, people):
    orgs = cat["orgs"]
    number = client(people["citizen"]).post(URL, body(orgs), format="json").json()["number"]
    staff_page = f"/workbench/complaints/{number}/"
    received = Notification.objects.get(recipient=people["citizen"], event="complaints.received")
    assert received.link == f"/me/complaints/{number}/"
    assert (
        Notification.objects.get(recipient=people["county"], event="complaints.submitted").link == staff_page
    )
    deadline = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    command(people["city"], number, "supervise", instruction="请核实并报告处理结果", deadline=deadline)
    assert (
        Notification.objects.get(recipient=people["county"], event="complaints.supervised").link == staff_page
    )
    complaint = Complaint.objects.get(number=number)
    services.escalate_overdue(complaint.due_date + dt.timedelta(days=1))
    assert Notification.objects.get(recipient=people["city"], event="complaints.overdue").link == staff_page
    command(people["county"], number, "accept")
    command(people["county"], number, "reply", text="经核查情况属实，已整改并向投诉人说明。")
    replied = Notification.objects.get(recipient=people["citizen"], event="complaints.replied")
    assert replied.link == f"/me/complaints/{number}/"
