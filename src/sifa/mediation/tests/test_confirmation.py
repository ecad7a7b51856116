"""人民调解法 §33: the last day to apply for judicial confirmation, also across the year end (暂定 on the
provisional calendar of a year whose notice is not entered)."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.deadlines import db_calendar
from sifa.deadlines.models import CalendarAlert
from sifa.deadlines.services import seed_calendar
from sifa.mediation.services import ConfirmationDue, confirmation_due, preferred_names

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def calendar_2026():
    seed_calendar(2026, 2026)
    db_calendar.forget()
    yield
    db_calendar.forget()


def test_thirty_days_and_a_rest_day_moves_to_the_next_working_day():
    assert confirmation_due(dt.date(2026, 11, 20)) == ConfirmationDue(dt.date(2026, 12, 21), True, False)
    assert confirmation_due(dt.date(2026, 9, 5)) == ConfirmationDue(dt.date(2026, 10, 8), True, False)


def test_a_day_in_a_year_without_its_notice_counts_on_the_provisional_calendar_and_is_marked():
    """December 2026: 2027's notice is not entered. 30 days from 12-10 end on Saturday 2027-01-09;
    the provisional calendar (《全国年节及纪念日放假办法》: weekends off, no make-up days) moves it to
    Monday 01-11, marked 暂定 — not the plain 30th day, and no calendar alert (the rules cover 2027)."""
    assert confirmation_due(dt.date(2026, 12, 10)) == ConfirmationDue(dt.date(2027, 1, 11), True, True)
    # 30 days within 2026 stay official even in December.
    assert confirmation_due(dt.date(2026, 11, 30)).provisional is False
    assert not CalendarAlert.objects.filter(year=2027, resolved_at__isnull=True).exists()


def test_outside_the_years_the_rules_cover_the_plain_thirtieth_day_is_used_and_alerted():
    """No official data and no rules (after 2100): the 30th day is the earliest the window can
    end, so a reminder keyed to it is never late; the date is marked not exact and alerted."""
    due = confirmation_due(dt.date(2100, 12, 10))
    assert due == ConfirmationDue(dt.date(2101, 1, 9), False, False)
    assert CalendarAlert.objects.filter(year=2101, resolved_at__isnull=True).exists()


def test_the_applicants_choice_is_read_from_the_form():
    assert preferred_names({"preferred_mediators": "王秀英、张建国, 王秀英；李某"}) == [
        "王秀英",
        "张建国",
        "李某",
    ]
    assert preferred_names({"preferred_mediators": ""}) == [] and preferred_names({}) == []
