"""A change of the working calendar counts the answer limit of open 12348 tickets again, in its own
transaction: a date counted provisionally past the year's end gets its exact day once next year's
notice is entered, a corrected day inside the period moves it, an answered ticket keeps its date."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.audit.models import AuditEvent
from sifa.consultation.models import Ticket
from sifa.consultation.services.calendar import follow_calendar
from sifa.consultation.tests.conftest import client
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.testing.calendar_change import correct_a_day, counted, publish_2027
from sifa.testing.clock import travel

pytestmark = pytest.mark.django_db
URL = "/api/v1/consultations/"
MOVED = "consultation.ticket.due_date_moved"


@pytest.fixture(autouse=True)
def official_2026(db):
    seed_calendar(2025, 2026)
    db_calendar.forget()
    yield
    db_calendar.forget()


def asked(citizen, day: dt.date) -> Ticket:
    question = {
        "channel": "web",
        "category": "mediation",
        "region": "330106001000",
        "title": "物业费纠纷能否申请调解",
        "question": "小区物业长期不维修电梯，我拒交物业费后被起诉威胁，能否先申请人民调解？",
    }
    with travel(day):
        created = client(citizen).post(URL, question, format="json")
    assert created.status_code == 201, created.content
    return Ticket.objects.get(number=created.json()["number"])


def test_a_provisional_date_gets_its_exact_day_when_next_years_notice_is_entered(cat, people):
    ticket = asked(people["citizen"], dt.date(2026, 12, 29))
    assert (ticket.due_date, ticket.due_provisional) == (dt.date(2027, 1, 4), True)

    publish_2027()

    ticket.refresh_from_db()
    assert (ticket.due_date, ticket.due_provisional) == (dt.date(2027, 1, 5), False)
    assert ticket.due_date == counted(dt.date(2026, 12, 29), 3)
    event = AuditEvent.objects.get(action=MOVED)
    assert (event.actor_id, event.detail["before"], event.detail["provisional_before"]) == (
        None,
        "2027-01-04",
        True,
    )
    shown = client(people["town"]).get(f"{URL}{ticket.number}/").json()
    assert (shown["due_date"], shown["due_provisional"]) == ("2027-01-05", False)
    assert follow_calendar(frozenset({dt.date(2027, 1, 4)})) == 0
    assert AuditEvent.objects.filter(action=MOVED).count() == 1


def test_a_corrected_day_moves_an_open_ticket_and_not_an_answered_one(cat, people):
    still_open = asked(people["citizen"], dt.date(2026, 11, 9))
    answered = asked(people["other_citizen"], dt.date(2026, 11, 9))
    assert still_open.due_date == answered.due_date == dt.date(2026, 11, 12)
    with travel(dt.date(2026, 11, 9)):
        done = client(people["town"]).post(
            f"{URL}{answered.number}/answer/",
            {"answer": "可以。物业服务纠纷可以申请人民调解，调解不收费。"},
            format="json",
        )
    assert done.status_code == 200, done.content

    correct_a_day()

    still_open.refresh_from_db()
    answered.refresh_from_db()
    assert still_open.due_date == dt.date(2026, 11, 13) == counted(dt.date(2026, 11, 9), 3)
    assert answered.due_date == dt.date(2026, 11, 12)
    assert [e.detail["after"] for e in AuditEvent.objects.filter(action=MOVED)] == ["2026-11-13"]
