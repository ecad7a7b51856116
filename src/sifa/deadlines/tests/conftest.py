import datetime as dt

import chinese_calendar
import pytest

from sifa.deadlines import db_calendar
from sifa.deadlines.calendar import InMemoryCalendar
from sifa.deadlines.services import seed_calendar


def official_calendar() -> InMemoryCalendar:
    """chinese-calendar's official data (2004–2026) held in memory; 2027 is missing."""
    years: dict[int, list[dt.date]] = {}
    day = dt.date(2004, 1, 1)
    while day.year <= 2026:
        if chinese_calendar.is_workday(day):
            years.setdefault(day.year, []).append(day)
        else:
            years.setdefault(day.year, [])
        day += dt.timedelta(days=1)
    return InMemoryCalendar(years)


OFFICIAL = official_calendar()


@pytest.fixture
def official():
    return OFFICIAL


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    # The per-process cache would otherwise outlive each test's rolled-back database.
    db_calendar.forget()
    yield
    db_calendar.forget()


@pytest.fixture
def seeded(db):
    return seed_calendar(2024, 2026)
