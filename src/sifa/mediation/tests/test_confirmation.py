"""人民调解法 §33: the last day to apply for judicial confirmation, also across the year end."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.deadlines import db_calendar
from sifa.deadlines.models import CalendarAlert
from sifa.deadlines.services import seed_calendar
from sifa.mediation.services import confirmation_due, preferred_names

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def calendar_2026():
    seed_calendar(2026, 2026)
    db_calendar.forget()
    yield
    db_calendar.forget()


def test_thirty_days_and_a_rest_day_moves_to_the_next_working_day():
    assert confirmation_due(dt.date(2026, 11, 20)) == (dt.date(2026, 12, 21), True)  # 12-20 is a Sunday
    assert confirmation_due(dt.date(2026, 9, 5)) == (dt.date(2026, 10, 8), True)  # 10-05 is in 国庆


def test_without_next_years_calendar_the_plain_thirtieth_day_is_used_and_alerted():
    """December 2026: 2027 has no calendar data yet. The 30th day is the earliest the window can
    end, so a reminder keyed to it is never late; the date is marked not exact and alerted."""
    due, exact = confirmation_due(dt.date(2026, 12, 10))
    assert (due, exact) == (dt.date(2027, 1, 9), False)
    assert CalendarAlert.objects.filter(year=2027, resolved_at__isnull=True).exists()


def test_the_applicants_choice_is_read_from_the_form():
    assert preferred_names({"preferred_mediators": "王秀英、张建国, 王秀英；李某"}) == [
        "王秀英",
        "张建国",
        "李某",
    ]
    assert preferred_names({"preferred_mediators": ""}) == [] and preferred_names({}) == []
