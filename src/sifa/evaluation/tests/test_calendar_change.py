"""A change of the working calendar counts the 整改期限 and 回访期限 of open rectifications again, in its
own transaction: a date counted provisionally past the year's end gets its exact day once next
year's notice is entered, a corrected day inside the period moves both, a closed one keeps its
dates."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.audit.models import AuditEvent
from sifa.evaluation import services
from sifa.evaluation.models import Rectification
from sifa.evaluation.services.calendar import follow_calendar
from sifa.evaluation.tests.conftest import client, lawyer_case
from sifa.testing.calendar_change import correct_a_day, counted, publish_2027
from sifa.testing.clock import travel

pytestmark = pytest.mark.django_db
MOVED = "evaluation.rectification.due_date_moved"


def opened(orgs, applicant, day: dt.date) -> Rectification:
    with travel(day):
        case = lawyer_case(orgs, applicant)
        rating = services.rate(applicant, subject="application", number=case.number, level="非常不满意")
    return rating.rectification


def _post(user, rectification, command, **body):
    return client(user).post(
        f"/api/v1/rectifications/{rectification.pk}/commands/{command}/", body, format="json"
    )


def test_a_provisional_date_gets_its_exact_day_when_next_years_notice_is_entered(orgs, people):
    rectification = opened(orgs, people["applicant"], dt.date(2026, 12, 24))
    assert (rectification.due_date, rectification.due_provisional) == (dt.date(2027, 1, 15), True)
    assert rectification.callback_due == dt.date(2026, 12, 25)

    publish_2027()

    rectification.refresh_from_db()
    assert (rectification.due_date, rectification.due_provisional) == (dt.date(2027, 1, 18), False)
    assert rectification.due_date == counted(dt.date(2026, 12, 24), 15)
    assert rectification.callback_due == dt.date(2026, 12, 25)
    event = AuditEvent.objects.get(action=MOVED)
    assert (event.actor_id, event.detail["before"], event.detail["after"]) == (
        None,
        "2027-01-15",
        "2027-01-18",
    )
    assert "callback_due" not in event.detail
    listed = client(people["hz_clerk"]).get("/api/v1/rectifications/", {"status": "open"}).json()["results"]
    assert [(r["id"], r["due_date"]) for r in listed] == [(rectification.pk, "2027-01-18")]
    assert follow_calendar(frozenset({dt.date(2027, 1, 4)})) == 0
    assert AuditEvent.objects.filter(action=MOVED).count() == 1


def test_a_corrected_day_moves_an_open_rectification_and_not_a_closed_one(orgs, people):
    still_open = opened(orgs, people["applicant"], dt.date(2026, 11, 9))
    closed = opened(orgs, people["applicant"], dt.date(2026, 11, 9))
    assert still_open.due_date == closed.due_date == dt.date(2026, 11, 30)
    assert still_open.callback_due == dt.date(2026, 11, 10)
    clerk = people["hz_clerk"]
    with travel(dt.date(2026, 11, 10)):
        assert _post(clerk, closed, "callback", text="已联系评价人").status_code == 200
        assert _post(clerk, closed, "report", text="已整改完毕").status_code == 200
        assert _post(clerk, closed, "close").json()["status"] == "closed"

    correct_a_day()

    still_open.refresh_from_db()
    closed.refresh_from_db()
    assert still_open.due_date == dt.date(2026, 12, 1) == counted(dt.date(2026, 11, 9), 15)
    assert still_open.callback_due == dt.date(2026, 11, 11)
    assert (closed.due_date, closed.callback_due) == (dt.date(2026, 11, 30), dt.date(2026, 11, 10))
    event = AuditEvent.objects.get(action=MOVED)
    assert (event.detail["callback_due_before"], event.detail["callback_due"]) == ("2026-11-10", "2026-11-11")
