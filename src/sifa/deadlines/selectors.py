"""Reads of the calendar: one year as published or computed, and the outlook for next year.

The calendar is public data (法定节假日), so nothing here is scoped; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sifa.deadlines import provisional
from sifa.deadlines.models import CalendarDay, CalendarNotice, CalendarYear, DayKind, NoticeStatus

OFFICIAL = "official"
PROVISIONAL = "provisional"

ALERT_FROM = (10, 1)
"""From 1 October the next year's notice is due (it is usually published in October or November)."""


@dataclass(frozen=True)
class YearCalendar:
    year: int
    status: str
    source: str
    non_working_days: list[dict[str, str]] = field(default_factory=list)
    """Rest days other than ordinary weekends: the holidays, weekend days inside a break, 补假 days."""
    make_up_working_days: list[dict[str, str]] = field(default_factory=list)


def year_calendar(year: int) -> YearCalendar:
    """The official arrangement of ``year`` when entered, else its provisional calendar; raises
    ``CalendarDataMissing`` for a year that is neither."""
    official = CalendarYear.objects.filter(year=year, complete=True).first()
    if official is not None:
        days = CalendarDay.objects.filter(
            date__gte=dt.date(year, 1, 1),
            date__lte=dt.date(year, 12, 31),
            kind__in=[DayKind.HOLIDAY, DayKind.MAKEUP_WORKDAY],
        ).order_by("date")
        rows = [(d.date.isoformat(), d.holiday_name, d.kind) for d in days]
        return YearCalendar(
            year,
            OFFICIAL,
            official.source,
            [{"date": d, "name": n} for d, n, k in rows if k == DayKind.HOLIDAY],
            [{"date": d, "name": n} for d, n, k in rows if k == DayKind.MAKEUP_WORKDAY],
        )
    computed = provisional.provisional_year(year)  # raises CalendarDataMissing outside the rules
    return YearCalendar(
        year,
        PROVISIONAL,
        provisional.SOURCE,
        [{"date": d.isoformat(), "name": n} for d, n in computed.holidays.items()],
        [],
    )


def year_status(year: int) -> str | None:
    """``official``, ``provisional`` or None (no data, the rules do not cover it)."""
    if CalendarYear.objects.filter(year=year, complete=True).exists():
        return OFFICIAL
    return PROVISIONAL if provisional.covers(year) else None


@dataclass(frozen=True)
class CalendarOutlook:
    """Whether a year's official notice is overdue for entry: next year's from 1 October until
    entered, and this year's whenever it is still missing (January on a provisional calendar)."""

    year: int
    status: str | None
    alert: bool
    message: str


ENTER_NOW = "国务院办公厅公布通知后，请工作日历管理员尽快录入并发布。"


def calendar_outlook(today: dt.date) -> CalendarOutlook:
    current = year_status(today.year)
    if current != OFFICIAL:
        # The new year has begun without its notice entered: every deadline counted today is
        # provisional (or, beyond the rules, cannot be counted) — say so until it is entered.
        how = (
            "本年的期限暂按《全国年节及纪念日放假办法》推算（不含调休）并标注“暂定”"
            if current
            else "本年的期限无法计算"
        )
        return CalendarOutlook(
            today.year, current, True, f"{today.year}年放假安排尚未录入：{how}。{ENTER_NOW}"
        )
    year = today.year + 1
    status = year_status(year)
    due = today >= dt.date(today.year, *ALERT_FROM)
    if status == OFFICIAL:
        return CalendarOutlook(year, status, False, f"{year}年放假安排已录入")
    if not due:
        return CalendarOutlook(
            year, status, False, f"{year}年放假安排尚未公布，自{today.year}年10月1日起提醒录入"
        )
    how = (
        "跨入该年的期限暂按《全国年节及纪念日放假办法》推算并标注“暂定”"
        if status
        else "跨入该年的期限无法计算"
    )
    return CalendarOutlook(
        year,
        status,
        True,
        f"{year}年放假安排尚未录入：{how}。{ENTER_NOW}",
    )


def change_cause() -> str:
    """Why due dates move right now, in words for the people told: the notice being applied, if any."""
    notice = (
        CalendarNotice.objects.filter(status=NoticeStatus.PUBLISHED, recomputed_at__isnull=True)
        .order_by("-published_at")
        .first()
    )
    if notice is None:
        return "工作日历调整"
    return f"国务院办公厅公布{notice.year}年部分节假日安排（{notice.document_number}）"
