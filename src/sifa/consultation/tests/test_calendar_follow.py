"""What follows a recount of 12348 tickets' 答复期限 after a change of the working calendar: the limit
given when the ticket was received is counted (not a later setting), the asker and the holding
office are told, and an escalation made under the old calendar is withdrawn when the new date has
not passed (kept in the history and the audit trail, the level above told)."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.audit.models import AuditEvent
from sifa.consultation.models import EventKind, Ticket
from sifa.consultation.services.escalation import escalate_overdue
from sifa.consultation.tests.conftest import client
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.notifications.models import Notification
from sifa.testing.calendar_change import correct_a_day, counted
from sifa.testing.clock import travel

pytestmark = pytest.mark.django_db
URL = "/api/v1/consultations/"
ASKED = dt.date(2026, 11, 9)
OLD_DUE, NEW_DUE = dt.date(2026, 11, 12), dt.date(2026, 11, 13)


@pytest.fixture(autouse=True)
def official_2026(db):
    seed_calendar(2025, 2026)
    db_calendar.forget()
    yield
    db_calendar.forget()


def asked(citizen) -> Ticket:
    question = {
        "channel": "web",
        "category": "mediation",
        "region": "330106001000",
        "title": "物业费纠纷能否申请调解",
        "question": "小区物业长期不维修电梯，我拒交物业费后被起诉威胁，能否先申请人民调解？",
    }
    with travel(ASKED):
        created = client(citizen).post(URL, question, format="json")
    assert created.status_code == 201, created.content
    return Ticket.objects.get(number=created.json()["number"])


def test_the_limit_given_at_receipt_is_counted_and_the_asker_and_office_are_told(cat, people, settings):
    ticket = asked(people["citizen"])
    assert (ticket.answer_days, ticket.due_date) == (3, OLD_DUE)
    settings.CONSULTATION_ANSWER_DAYS = 10  # a later setting does not lengthen the running ticket

    with travel(ASKED):
        correct_a_day()

    ticket.refresh_from_db()
    assert ticket.due_date == NEW_DUE == counted(ASKED, 3)
    assert AuditEvent.objects.get(action="consultation.ticket.due_date_moved").detail["answer_days"] == 3
    told = Notification.objects.get(recipient=people["citizen"], event="consultation.due_moved")
    assert "因法定节假日调整" in told.body and "2026年11月12日调整为2026年11月13日" in told.body
    staff = set(
        Notification.objects.filter(event="consultation.due_moved_staff").values_list("recipient", flat=True)
    )
    assert staff == {people["town"].pk}
    shown = client(people["citizen"]).get(f"{URL}{ticket.number}/").json()
    assert shown["due_change"] == "因法定节假日调整，答复期限由2026年11月12日调整为2026年11月13日。"
    assert EventKind.DUE_MOVED in [step["kind"] for step in shown["history"]]


def test_an_escalation_is_withdrawn_when_the_new_date_has_not_passed(cat, people):
    ticket = asked(people["citizen"])
    with travel(NEW_DUE):
        assert escalate_overdue() == [ticket.number]
        correct_a_day()
        ticket.refresh_from_db()
        assert (ticket.due_date, ticket.escalated_at, ticket.escalated_to) == (NEW_DUE, None, None)
        queue = client(people["county"]).get(URL, {"status": "escalated"}).json()["results"]
        assert ticket.number not in [row["number"] for row in queue]
        assert escalate_overdue() == []
    kinds = list(ticket.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds[-3:] == [EventKind.ESCALATED, EventKind.DUE_MOVED, EventKind.ESCALATION_WITHDRAWN]
    trail = AuditEvent.objects.get(action="consultation.ticket.escalation_withdrawn")
    assert trail.detail["reason"] == "期限因工作日历调整而顺延" and trail.detail["escalated_at"]
    assert AuditEvent.objects.filter(action="consultation.ticket.escalate").count() == 1
    told = Notification.objects.get(recipient=people["county"], event="consultation.escalation_withdrawn")
    assert "顺延至2026年11月13日" in told.body
    asker_view = client(people["citizen"]).get(f"{URL}{ticket.number}/").json()
    assert EventKind.ESCALATION_WITHDRAWN not in [step["kind"] for step in asker_view["history"]]


def test_an_escalation_stays_when_the_new_date_has_passed_too(cat, people):
    ticket = asked(people["citizen"])
    with travel(dt.date(2026, 11, 16)):
        escalate_overdue()
        correct_a_day()
    ticket.refresh_from_db()
    assert ticket.due_date == NEW_DUE and ticket.escalated_at is not None
    assert not AuditEvent.objects.filter(action="consultation.ticket.escalation_withdrawn").exists()


def test_one_message_per_person_lists_every_moved_ticket(cat, people):
    first, second = asked(people["citizen"]), asked(people["citizen"])
    Notification.objects.all().delete()

    with travel(ASKED):
        correct_a_day()

    told = Notification.objects.get(recipient=people["citizen"], event="consultation.due_moved")
    assert told.title == "您的2件法律咨询答复期限已调整" and told.link == "/consultations/"
    for ticket in (first, second):
        assert f"{ticket.number}：2026年11月12日 → 2026年11月13日（法定节假日调整）" in told.body
    staff = Notification.objects.filter(event="consultation.due_moved_staff", recipient=people["town"])
    assert staff.count() == 1
    assert first.number in staff.get().body and second.number in staff.get().body
    assert staff.get().link == "/workbench/consultations/"
