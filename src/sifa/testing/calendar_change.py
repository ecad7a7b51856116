"""The calendar changes the tests of stored due dates make: next year's notice (2027) with a bridge
day the rules cannot know, and the correction of one day of 2026."""

from __future__ import annotations

import datetime as dt

from sifa.deadlines import db_calendar
from sifa.deadlines.calendar import add_working_days
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.services import define_year, set_day

NOTICE_2027 = {dt.date(2027, 1, 1): "元旦", dt.date(2027, 1, 4): "元旦"}
"""元旦 and a bridge Monday: the provisional calendar has 1/4 as a working day."""

CORRECTED = dt.date(2026, 11, 10)
"""A Tuesday of 2026 made a rest day (a late correction)."""


def publish_2027() -> None:
    define_year(2027, holidays=NOTICE_2027, makeup_workdays={})


def correct_a_day() -> None:
    set_day(CORRECTED, is_workday=False, holiday_name="调整")


def counted(start: dt.date, days: int) -> dt.date:
    db_calendar.forget()
    return add_working_days(DatabaseCalendar(), start, days)
