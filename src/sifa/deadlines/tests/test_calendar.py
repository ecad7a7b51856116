"""Counting rules on the official calendar (民法典 §201–203, 行政许可法 §82), and their properties."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sifa.deadlines.calendar import (
    CalendarDataMissing,
    InMemoryCalendar,
    OverlayCalendar,
    TimeLimit,
    TimeUnit,
    add_calendar_days,
    add_months,
    add_working_days,
    depends_on_provisional,
    is_workday,
    working_days_between,
)
from sifa.deadlines.tests.conftest import OFFICIAL

D = dt.date
pytestmark = pytest.mark.smoke


def test_twenty_working_days_skip_national_day_and_count_the_makeup_saturday(official):
    # 9/29, 9/30, [10/1–10/7 国庆], 10/8, 10/9, 10/10 (调休上班, Saturday), then weekdays to 10/30.
    assert add_working_days(official, D(2026, 9, 28), 20) == D(2026, 10, 30)
    assert TimeLimit(20, TimeUnit.WORKING_DAYS).deadline(official, D(2026, 9, 28)) == D(2026, 10, 30)


def test_start_day_does_not_count(official):
    # 民法典 §201: received on a working Monday, one working day later is Tuesday.
    assert add_working_days(official, D(2026, 3, 2), 1) == D(2026, 3, 3)
    # Received on a Saturday: the first counted day is Monday.
    assert add_working_days(official, D(2026, 3, 7), 1) == D(2026, 3, 9)


def test_spring_festival_2026(official):
    # 2/13 Fri, 2/14 Sat (调休上班), [2/15–2/23 春节], 2/24, 2/25, 2/26.
    assert add_working_days(official, D(2026, 2, 12), 5) == D(2026, 2, 26)
    assert not is_workday(official, D(2026, 2, 17))
    assert is_workday(official, D(2026, 2, 28))  # Saturday, make-up working day


def test_calendar_days_ending_on_saturday_move_to_monday(official):
    # 民法典 §203: 8 自然日 from Friday 3/6 ends Saturday 3/14, so the period ends Monday 3/16.
    assert add_calendar_days(official, D(2026, 3, 6), 8) == D(2026, 3, 16)


def test_calendar_days_ending_in_a_holiday_move_past_it(official):
    assert add_calendar_days(official, D(2026, 9, 24), 7) == D(2026, 10, 8)


def test_calendar_days_ending_on_a_makeup_saturday_stay_there(official):
    assert add_calendar_days(official, D(2026, 10, 3), 7) == D(2026, 10, 10)


def test_months_use_the_corresponding_day_or_month_end(official):
    # 民法典 §202: no 31 February, so the month's last day — a make-up working Saturday in 2026.
    assert add_months(official, D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(official, D(2026, 3, 31), 1) == D(2026, 4, 30)
    # Corresponding day 10/1 is 国庆: moves to the next working day (§203).
    assert add_months(official, D(2026, 8, 1), 2) == D(2026, 10, 8)
    assert TimeLimit(2, TimeUnit.MONTHS).deadline(official, D(2026, 8, 1)) == D(2026, 10, 8)


def test_counting_across_a_year_boundary(official):
    # 12/31, [1/1–1/3 元旦], 1/4 (Sunday, 调休上班), 1/5.
    assert add_working_days(official, D(2025, 12, 30), 2) == D(2026, 1, 4)
    assert add_working_days(official, D(2025, 12, 30), 3) == D(2026, 1, 5)
    assert working_days_between(official, D(2025, 12, 30), D(2026, 1, 5)) == 3


def test_working_days_between_is_signed(official):
    assert working_days_between(official, D(2026, 10, 30), D(2026, 9, 28)) == -20
    assert working_days_between(official, D(2026, 3, 3), D(2026, 3, 3)) == 0


def test_a_year_without_data_raises_instead_of_guessing(official):
    with pytest.raises(CalendarDataMissing) as missing:
        add_working_days(official, D(2026, 12, 20), 20)
    assert missing.value.year == 2027
    assert missing.value.code == "calendar.data_missing"
    assert "2027" in missing.value.message
    with pytest.raises(CalendarDataMissing):
        add_calendar_days(official, D(2026, 12, 25), 10)


def test_bad_limits_are_refused():
    with pytest.raises(ValueError, match="非负整数"):
        TimeLimit(-1, TimeUnit.WORKING_DAYS)
    with pytest.raises(ValueError):
        TimeLimit(5, "weeks")
    assert str(TimeLimit(20, TimeUnit.WORKING_DAYS)) == "20个工作日"
    assert TimeLimit.from_dict(TimeLimit(3, TimeUnit.MONTHS).as_dict()) == TimeLimit(3, TimeUnit.MONTHS)


def test_in_memory_calendar_refuses_days_of_another_year():
    with pytest.raises(ValueError):
        InMemoryCalendar({2026: [D(2025, 12, 31)]})


# --- properties ---------------------------------------------------------------------------
WORKDAYS = {d for year in range(2004, 2027) for d in OFFICIAL.workdays(year)}
starts = st.dates(min_value=D(2004, 1, 1), max_value=D(2025, 12, 31))
counts = st.integers(min_value=0, max_value=200)


def brute_force_add(start: dt.date, n: int) -> dt.date:
    day, counted = start, 0
    while counted < n:
        day += dt.timedelta(days=1)
        counted += day in WORKDAYS
    return day


@settings(max_examples=300, deadline=None)
@given(starts, counts)
def test_add_working_days_agrees_with_a_day_by_day_walk(start, n):
    assert add_working_days(OFFICIAL, start, n) == brute_force_add(start, n)


@settings(max_examples=200, deadline=None)
@given(starts, counts)
def test_one_more_working_day_never_moves_the_deadline_earlier(start, n):
    assert add_working_days(OFFICIAL, start, n + 1) > add_working_days(OFFICIAL, start, n)


@settings(max_examples=200, deadline=None)
@given(starts, st.integers(min_value=1, max_value=200))
def test_deadline_is_a_working_day_and_round_trips(start, n):
    due = add_working_days(OFFICIAL, start, n)
    assert due in WORKDAYS
    assert working_days_between(OFFICIAL, start, due) == n


@settings(max_examples=200, deadline=None)
@given(starts, st.integers(min_value=0, max_value=300))
def test_calendar_day_deadline_is_the_first_working_day_on_or_after_the_plain_date(start, n):
    due = add_calendar_days(OFFICIAL, start, n)
    plain = start + dt.timedelta(days=n)
    assert due >= plain and due in WORKDAYS
    assert not any(plain + dt.timedelta(days=k) in WORKDAYS for k in range((due - plain).days))


def _with_provisional_2027() -> InMemoryCalendar:
    from sifa.deadlines.provisional import provisional_year

    years = {year: OFFICIAL.workdays(year) for year in (2025, 2026)}
    return InMemoryCalendar({**years, 2027: provisional_year(2027).workdays}, provisional={2027})


def test_a_due_date_is_provisional_exactly_when_a_counted_day_lies_in_a_provisional_year():
    calendar = _with_provisional_2027()
    # Counting starts the day after the start (§201): a period that ends on 12/31 counts no 2027 day.
    assert not depends_on_provisional(calendar, D(2026, 12, 30), D(2026, 12, 31))
    assert depends_on_provisional(calendar, D(2026, 12, 31), D(2027, 1, 4))
    assert not depends_on_provisional(calendar, D(2026, 12, 31), D(2026, 12, 31))
    assert not depends_on_provisional(OFFICIAL, D(2026, 12, 31), D(2027, 1, 4))  # no such notion


def test_an_overlay_makes_its_year_official_for_a_preview():
    calendar = _with_provisional_2027()
    # A notice that makes Saturday 2027-01-02 a working day moves a count through it one day earlier.
    notice = [*calendar.workdays(2027), D(2027, 1, 2)]
    overlay = OverlayCalendar(calendar, {2027: notice})
    assert add_working_days(calendar, D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert add_working_days(overlay, D(2026, 12, 31), 1) == D(2027, 1, 2)
    assert not overlay.is_provisional(2027) and calendar.is_provisional(2027)
    assert overlay.workdays(2026) == calendar.workdays(2026)
