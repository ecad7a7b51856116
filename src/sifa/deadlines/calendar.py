"""Working-day calendar arithmetic, independent of the database.

The legal counting rules (see ``docs/deadlines.md``):

* 民法典 §201: the day a period starts does not count; counting begins the next day.
* 民法典 §202: a period in months ends on the corresponding day of the final month, or on that
  month's last day when it has no such day.
* 民法典 §203: when the last day is a 法定休假日 (weekend or public holiday), the period ends on the
  first day after the rest days — the next working day.
* 行政许可法 §82: periods of that law are counted in working days, public holidays excluded.

Working days are *data*, never derived from weekdays: the State Council sets make-up working
Saturdays and Sundays (调休上班日) each year. Until it has, a year is *provisional*: computed from the
rules of 《全国年节及纪念日放假办法》 (``sifa.deadlines.provisional``), and every due date that counts a day
of it says so (:func:`depends_on_provisional`). A computation that needs a year with neither raises
:class:`CalendarDataMissing` — it never guesses.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from django.db import models

from sifa.core.errors import ServiceError

ONE_DAY = dt.timedelta(days=1)


class CalendarDataMissing(ServiceError):
    """The calendar has no (complete) data for ``year``; the deadline cannot be computed exactly."""

    status = 503

    def __init__(self, year: int) -> None:
        super().__init__(
            "calendar.data_missing",
            f"{year} 年的工作日历尚未录入，无法准确计算期限，请联系管理员录入国务院办公厅公布的放假安排",
        )
        self.year = year


class TimeUnit(models.TextChoices):
    """Unit of a time limit, as published in the 实施清单 (法定/承诺办结时限单位)."""

    WORKING_DAYS = "working_days", "工作日"
    CALENDAR_DAYS = "calendar_days", "自然日"
    MONTHS = "months", "月"


@runtime_checkable
class WorkingCalendar(Protocol):
    """Where working days come from. ``workdays(year)`` is the sorted tuple of that year's working
    days; it raises :class:`CalendarDataMissing` for a year without complete data."""

    def workdays(self, year: int) -> Sequence[dt.date]: ...


class InMemoryCalendar:
    """A calendar held in memory: ``{year: working days}``; years absent are missing.

    ``provisional`` names the years whose data is provisional. Used by tests and by anything that
    already has the data at hand.
    """

    def __init__(self, years: Mapping[int, Iterable[dt.date]], *, provisional: Iterable[int] = ()) -> None:
        self._years: dict[int, tuple[dt.date, ...]] = {}
        for year, days in years.items():
            ordered = tuple(sorted(set(days)))
            if any(d.year != year for d in ordered):
                raise ValueError(f"{year} 年的工作日列表含有其他年份的日期")
            self._years[year] = ordered
        self._provisional = frozenset(provisional)

    @classmethod
    def from_rules(
        cls,
        years: Iterable[int],
        *,
        holidays: Iterable[dt.date] = (),
        makeup_workdays: Iterable[dt.date] = (),
    ) -> InMemoryCalendar:
        """Monday–Friday are working days, minus ``holidays``, plus ``makeup_workdays``."""
        rest, extra = set(holidays), set(makeup_workdays)
        table: dict[int, list[dt.date]] = {}
        for year in years:
            day, days = dt.date(year, 1, 1), []
            while day.year == year:
                if (day.weekday() < 5 and day not in rest) or day in extra:
                    days.append(day)
                day += ONE_DAY
            table[year] = days
        return cls(table)

    def workdays(self, year: int) -> Sequence[dt.date]:
        try:
            return self._years[year]
        except KeyError:
            raise CalendarDataMissing(year) from None

    def is_provisional(self, year: int) -> bool:
        return year in self._provisional

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted(self._years))


class OverlayCalendar:
    """``base`` with some years replaced by official working days (e.g. a notice not yet published,
    to preview what it would change). The replaced years are not provisional."""

    def __init__(self, base: WorkingCalendar, years: Mapping[int, Iterable[dt.date]]) -> None:
        self.base = base
        self._years = {year: tuple(sorted(set(days))) for year, days in years.items()}

    def workdays(self, year: int) -> Sequence[dt.date]:
        if year in self._years:
            return self._years[year]
        return self.base.workdays(year)

    def is_provisional(self, year: int) -> bool:
        return year not in self._years and is_provisional(self.base, year)


def is_provisional(calendar: WorkingCalendar, year: int) -> bool:
    """Whether ``calendar`` holds ``year`` only provisionally (calendars without the notion: never)."""
    check = getattr(calendar, "is_provisional", None)
    return bool(check and check(year))


def depends_on_provisional(calendar: WorkingCalendar, start: dt.date, end: dt.date) -> bool:
    """Whether a period counted from ``start`` (which does not count, 民法典 §201) to ``end`` counts a
    day of a provisional year — then a due date ``end`` is 暂定 until that year's notice is entered."""
    if end <= start:
        return False
    return any(is_provisional(calendar, year) for year in range((start + ONE_DAY).year, end.year + 1))


def is_workday(calendar: WorkingCalendar, day: dt.date) -> bool:
    days = calendar.workdays(day.year)
    i = bisect_right(days, day)
    return i > 0 and days[i - 1] == day


def next_workday_on_or_after(calendar: WorkingCalendar, day: dt.date) -> dt.date:
    """``day`` itself when it is a working day, else the first working day after it (民法典 §203)."""
    year = day.year
    while True:
        days = calendar.workdays(year)
        i = bisect_right(days, day - ONE_DAY) if year == day.year else 0
        if i < len(days):
            return days[i]
        year += 1


def add_working_days(calendar: WorkingCalendar, start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (民法典 §201: ``start`` itself never counts).

    ``n == 0`` returns ``start``. Jumps by index in each year's sorted working days, so the cost is
    one lookup per calendar year crossed, not one per day.
    """
    if n < 0:
        raise ValueError("工作日数不能为负数")
    if n == 0:
        return start
    year, remaining = start.year, n
    days = calendar.workdays(year)
    index = bisect_right(days, start)  # first working day strictly after start
    while True:
        available = len(days) - index
        if remaining <= available:
            return days[index + remaining - 1]
        remaining -= available
        year += 1
        days, index = calendar.workdays(year), 0


def working_days_between(calendar: WorkingCalendar, start: dt.date, end: dt.date) -> int:
    """Working days ``d`` with ``start < d <= end``; negative (the same count, reversed) when ``end`` is
    before ``start``. So ``working_days_between(s, add_working_days(s, n)) == n``."""
    if end < start:
        return -working_days_between(calendar, end, start)
    total = 0
    for year in range(start.year, end.year + 1):
        days = calendar.workdays(year)
        low = bisect_right(days, start) if year == start.year else 0
        high = bisect_right(days, end) if year == end.year else len(days)
        total += high - low
    return total


def add_calendar_days(calendar: WorkingCalendar, start: dt.date, n: int) -> dt.date:
    """自然日: ``start + n`` days (民法典 §201), moved to the next working day if it is a rest day (§203)."""
    if n < 0:
        raise ValueError("天数不能为负数")
    return next_workday_on_or_after(calendar, start + dt.timedelta(days=n))


def corresponding_day(start: dt.date, months: int) -> dt.date:
    """民法典 §202: the corresponding day ``months`` later, or that month's last day when it has none."""
    if months < 0:
        raise ValueError("月数不能为负数")
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(start.day, last))


def add_months(calendar: WorkingCalendar, start: dt.date, n: int) -> dt.date:
    """月: the corresponding day (民法典 §202), moved to the next working day if it is a rest day (§203)."""
    return next_workday_on_or_after(calendar, corresponding_day(start, n))


@dataclass(frozen=True)
class TimeLimit:
    """A statutory or promised time limit: ``value`` in ``unit`` (e.g. 20 工作日)."""

    value: int
    unit: TimeUnit

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int) or self.value < 0:
            raise ValueError("时限必须是非负整数")
        object.__setattr__(self, "unit", TimeUnit(self.unit))

    def deadline(self, calendar: WorkingCalendar, start: dt.date) -> dt.date:
        """The last day of the period that starts on ``start`` (which itself does not count)."""
        if self.unit == TimeUnit.WORKING_DAYS:
            return add_working_days(calendar, start, self.value)
        if self.unit == TimeUnit.CALENDAR_DAYS:
            return add_calendar_days(calendar, start, self.value)
        return add_months(calendar, start, self.value)

    def __str__(self) -> str:
        if self.unit == TimeUnit.MONTHS:
            return f"{self.value}个月"
        return f"{self.value}个{self.unit.label}"

    def as_dict(self) -> dict[str, object]:
        return {"value": self.value, "unit": str(self.unit)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> TimeLimit:
        return cls(int(data["value"]), TimeUnit(data["unit"]))  # type: ignore[arg-type]
