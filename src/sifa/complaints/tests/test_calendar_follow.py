"""What follows a recount of complaints' 答复期限 after a change of the working calendar: the limit
counted is the one the complaint was given when it was made (not a later setting); the complainant
(named, or anonymous with an SMS number, or anonymous following by tracking code) and the handling
supervisors are told, never the staff member complained about, and no message names the
complainant; an overdue mark made under the old calendar is withdrawn when the new date has not
passed (kept in the history and the audit trail); a 督办期限 is kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from sifa.audit.models import AuditEvent
from sifa.complaints.models import Complaint, ComplaintEvent, EventKind
from sifa.complaints.selectors import queue
from sifa.complaints.services.escalation import escalate_overdue
from sifa.complaints.tests.conftest import body, client
from sifa.deadlines import db_calendar
from sifa.deadlines.services import define_year, seed_calendar
from sifa.notifications.models import Notification
from sifa.organisations.scope import actor_for
from sifa.testing.calendar_change import correct_a_day, counted
from sifa.testing.clock import travel

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"
MADE = dt.date(2026, 11, 2)
OLD_DUE, NEW_DUE = dt.date(2026, 11, 23), dt.date(2026, 11, 24)
"""15 working days from 11-02, before and after 11-10 became a rest day."""


@pytest.fixture(autouse=True)
def official_2026(db):
    seed_calendar(2025, 2026)
    db_calendar.forget()
    yield
    db_calendar.forget()


def submit(orgs, user=None, day: dt.date = MADE, **overrides) -> tuple[Complaint, dict]:
    with travel(day):
        response = client(user).post(URL, body(orgs, **overrides), format="json")
    assert response.status_code == 201, response.content
    return Complaint.objects.get(number=response.json()["number"]), response.json()


def test_the_limit_given_when_the_complaint_was_made_is_counted_not_a_later_setting(cat, people, settings):
    settings.COMPLAINT_REPLY_DAYS = 15
    complaint, _ = submit(cat["orgs"], anonymous=True)
    assert (complaint.reply_days, complaint.due_date) == (15, OLD_DUE)
    settings.COMPLAINT_REPLY_DAYS = 5  # changed later: must not shorten the running complaint

    with travel(dt.date(2026, 11, 3)):
        correct_a_day()

    complaint.refresh_from_db()
    assert complaint.due_date == NEW_DUE == counted(MADE, 15)
    event = AuditEvent.objects.get(action="complaints.complaint.due_date_moved")
    assert (event.detail["before"], event.detail["after"], event.detail["reply_days"]) == (
        "2026-11-23",
        "2026-11-24",
        15,
    )
    later, _ = submit(cat["orgs"], anonymous=True, day=dt.date(2026, 11, 20))
    assert later.reply_days == 5


def test_the_named_complainant_and_the_handlers_are_told_never_the_one_complained_about(cat, people):
    accused, citizen = people["accused"], people["citizen"]
    complaint, _ = submit(
        cat["orgs"],
        citizen,
        subject_kind="conduct",
        organisation=cat["orgs"]["xh"].pk,
        staff_member=accused.username,
        name="陈明",
        phone="13812345678",
        wants_sms=True,
    )
    with travel(dt.date(2026, 11, 3)):
        correct_a_day()

    told = Notification.objects.get(recipient=citizen, event="complaints.due_moved")
    assert "因法定节假日调整" in told.body and "2026年11月23日" in told.body and "2026年11月24日" in told.body
    assert complaint.number in told.body and told.link == f"/me/complaints/{complaint.number}/"
    staff = Notification.objects.filter(event="complaints.due_moved_staff")
    assert set(staff.values_list("recipient", flat=True)) == {people["county"].pk}
    assert not Notification.objects.filter(
        recipient=accused, event__startswith="complaints.due_moved"
    ).exists()
    for message in Notification.objects.filter(event__startswith="complaints.due_moved"):
        assert "陈明" not in message.body + message.title and "5678" not in message.body
    step = ComplaintEvent.objects.get(complaint=complaint, kind=EventKind.DUE_MOVED)
    assert step.note == "因法定节假日调整，答复期限由2026年11月23日调整为2026年11月24日。"
    seen = client(citizen).get(f"{URL}{complaint.number}/").json()
    assert seen["due_date"] == "2026-11-24" and seen["due_change"] == step.note


def test_an_anonymous_complainant_with_an_sms_number_gets_an_sms_and_the_tracking_page_shows_why(cat, people):
    complaint, made = submit(cat["orgs"], anonymous=True, phone="13900001111", wants_sms=True)
    with travel(dt.date(2026, 11, 3)):
        correct_a_day()

    sms = Notification.objects.get(event="complaints.due_moved", recipient__isnull=True)
    assert sms.phone_masked.endswith("1111") and "法定节假日调整" in sms.sms_text
    page = Client().post("/complaints/track/", {"number": complaint.number, "code": made["tracking_code"]})
    text = page.content.decode()
    assert page.status_code == 200
    assert "2026年11月24日" in text and "data-due-change" in text
    assert "因法定节假日调整，答复期限由2026年11月23日调整为2026年11月24日。" in text
    assert "撤销逾期提示" not in text  # internal supervision is not shown to the complainant


def test_only_the_mark_dropping_tells_nobody(cat, people):
    complaint, _ = submit(
        cat["orgs"], anonymous=True, phone="13900001111", wants_sms=True, day=dt.date(2026, 12, 24)
    )
    before = complaint.due_date
    with travel(dt.date(2026, 12, 25)):
        define_year(2027, holidays={dt.date(2027, 1, 1): "元旦"}, makeup_workdays={})
    complaint.refresh_from_db()
    assert (complaint.due_date, complaint.due_provisional) == (before, False)
    assert not Notification.objects.filter(event__startswith="complaints.due_moved").exists()
    assert not complaint.events.filter(kind=EventKind.DUE_MOVED).exists()


def test_an_overdue_mark_is_withdrawn_when_the_new_date_has_not_passed(cat, people):
    city, county = people["city"], people["county"]
    complaint, _ = submit(cat["orgs"], anonymous=True)
    with travel(NEW_DUE):
        assert escalate_overdue() == [complaint.number]
        complaint.refresh_from_db()
        assert complaint.overdue_at is not None
        assert complaint in queue(actor_for(city), status="overdue")

        correct_a_day()  # on the 24th: the new due date is today, not passed

        complaint.refresh_from_db()
        assert (complaint.due_date, complaint.overdue_at) == (NEW_DUE, None)
        assert complaint not in queue(actor_for(city), status="overdue")
        assert escalate_overdue() == []
    kinds = list(complaint.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds[-3:] == [EventKind.OVERDUE, EventKind.DUE_MOVED, EventKind.OVERDUE_WITHDRAWN]
    withdrawn = complaint.events.get(kind=EventKind.OVERDUE_WITHDRAWN)
    assert withdrawn.note.startswith("期限因工作日历调整而顺延至2026年11月24日")
    trail = AuditEvent.objects.get(action="complaints.complaint.overdue_withdrawn")
    assert trail.actor_id is None and trail.detail["reason"] == "期限因工作日历调整而顺延"
    assert trail.detail["overdue_at"] and trail.detail["to"] == cat["orgs"]["hz"].name
    assert AuditEvent.objects.filter(action="complaints.complaint.overdue").count() == 1  # kept
    told = Notification.objects.get(recipient=city, event="complaints.overdue_withdrawn")
    assert "顺延至2026年11月24日" in told.body and "已撤销" in told.body
    assert Notification.objects.filter(recipient=county, event="complaints.due_moved_staff").exists()
    # Overdue again on the new calendar: marked again, once.
    with travel(dt.date(2026, 11, 25)):
        assert escalate_overdue() == [complaint.number]


def test_an_overdue_mark_stays_when_the_new_date_has_passed_too(cat, people):
    complaint, _ = submit(cat["orgs"], anonymous=True)
    with travel(dt.date(2026, 11, 26)):
        escalate_overdue()
        correct_a_day()
    complaint.refresh_from_db()
    assert complaint.due_date == NEW_DUE and complaint.overdue_at is not None
    assert not AuditEvent.objects.filter(action="complaints.complaint.overdue_withdrawn").exists()
    assert not Notification.objects.filter(event="complaints.overdue_withdrawn").exists()


def test_a_supervision_deadline_is_a_date_set_by_a_person_and_is_kept(cat, people):
    complaint, _ = submit(cat["orgs"], anonymous=True)
    with travel(dt.date(2026, 11, 3)):
        done = client(people["city"]).post(
            f"{URL}{complaint.number}/commands/supervise/",
            {"instruction": "请核实情况并于期限前书面报告处理结果。", "deadline": "2026-11-12"},
            format="json",
        )
        assert done.status_code == 200, done.content
        correct_a_day()
    supervision = complaint.supervisions.get()
    assert supervision.deadline == dt.date(2026, 11, 12)
    complaint.refresh_from_db()
    assert complaint.due_date == NEW_DUE
