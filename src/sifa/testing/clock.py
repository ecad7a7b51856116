"""Time for tests: Shanghai wall-clock moments, a frozen clock, and the official working days."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import chinese_calendar
import time_machine

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def travel(day: dt.date, hour: int = 10):
    """The clock stands still at ``hour`` o'clock in Shanghai on ``day``."""
    return time_machine.travel(at(day, hour), tick=False)


def working_days_after(start: dt.date, n: int) -> dt.date:
    """The n-th working day after ``start`` on the official calendar (chinese-calendar), by brute
    force: an oracle independent of Sifa's own calendar."""
    day = start
    while n:
        day += dt.timedelta(days=1)
        n -= chinese_calendar.is_workday(day)
    return day
