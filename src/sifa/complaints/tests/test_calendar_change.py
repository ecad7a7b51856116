"""A change of the working calendar counts the 答复期限 of open complaints again, in its own
transaction: a date counted provisionally past the year's end gets its exact day once next year's
notice is entered, a corrected day inside the period moves it, a closed complaint keeps its date."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.audit.models import AuditEvent
from sifa.complaints.models import Complaint
from sifa.complaints.services.calendar import follow_calendar
from sifa.complaints.tests.conftest import body, client
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.testing.calendar_change import CORRECTED, correct_a_day, counted, publish_2027
from sifa.testing.clock import travel

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"
MOVED = "complaints.complaint.due_date_moved"


@pytest.fixture(autouse=True)
def official_2026(db):
    seed_calendar(2025, 2026)
    db_calendar.forget()
    yield
    db_calendar.forget()


def submitted(orgs, day: dt.date) -> Complaint:
    with travel(day):
        response = client().post(URL, body(orgs, anonymous=True), format="json")
    assert response.status_code == 201, response.content
    return Complaint.objects.get(number=response.json()["number"])


def command(user, number, name, **data):
    return client(user).post(f"{URL}{number}/commands/{name}/", data, format="json")


def test_a_provisional_date_gets_its_exact_day_when_next_years_notice_is_entered(cat, people):
    complaint = submitted(cat["orgs"], dt.date(2026, 12, 24))
    assert (complaint.due_date, complaint.due_provisional) == (dt.date(2027, 1, 15), True)

    publish_2027()

    complaint.refresh_from_db()
    assert (complaint.due_date, complaint.due_provisional) == (dt.date(2027, 1, 18), False)
    assert complaint.due_date == counted(dt.date(2026, 12, 24), 15)
    event = AuditEvent.objects.get(action=MOVED)
    assert event.actor_id is None
    assert {k: event.detail[k] for k in ("before", "after", "provisional_before", "provisional")} == {
        "before": "2027-01-15",
        "after": "2027-01-18",
        "provisional_before": True,
        "provisional": False,
    }
    shown = client(people["county"]).get(f"{URL}{complaint.number}/").json()
    assert (shown["due_date"], shown["due_provisional"]) == ("2027-01-18", False)
    # Idempotent: counting again changes nothing and audits nothing.
    assert follow_calendar(frozenset({dt.date(2027, 1, 4)})) == 0
    assert AuditEvent.objects.filter(action=MOVED).count() == 1


def test_a_corrected_day_moves_an_open_complaint_and_not_a_closed_one(cat, people):
    orgs, supervisor = cat["orgs"], people["county"]
    still_open = submitted(orgs, dt.date(2026, 11, 2))
    closed = submitted(orgs, dt.date(2026, 11, 2))
    later = submitted(orgs, dt.date(2026, 11, 20))  # counts from after the corrected day
    assert still_open.due_date == closed.due_date == dt.date(2026, 11, 23)
    with travel(dt.date(2026, 11, 3)):
        assert command(supervisor, closed.number, "accept").status_code == 200
        assert (
            command(supervisor, closed.number, "reply", text="经核查，已责令窗口整改并向您致歉。").status_code
            == 200
        )
        assert command(supervisor, closed.number, "close").status_code == 200
    before_later = later.due_date

    correct_a_day()

    for complaint in (still_open, closed, later):
        complaint.refresh_from_db()
    assert still_open.due_date == dt.date(2026, 11, 24) == counted(dt.date(2026, 11, 2), 15)
    assert closed.due_date == dt.date(2026, 11, 23)
    assert later.due_date == before_later
    moved = AuditEvent.objects.filter(action=MOVED)
    assert [e.detail["after"] for e in moved] == ["2026-11-24"]
    assert moved.get().detail["first_day"] == moved.get().detail["last_day"] == CORRECTED.isoformat()
