"""The provisional calendar: a year's rest days computed from 《全国年节及纪念日放假办法》 while the
State Council's 放假安排 for that year is not yet published.

The rules (2024-11-10 revision, in force for 2025 onwards), §2: 元旦 1 day (1 January); 春节 4 days
(除夕 and 正月初一 to 初三); 清明节 1 day (the day of the solar term 清明); 劳动节 2 days (1 and 2 May);
端午节 1 day (五月初五); 中秋节 1 day (八月十五); 国庆节 3 days (1 to 3 October). Saturdays and Sundays are
rest days. §6: a holiday that falls on a Saturday or Sunday is made up (补假) on a working day — we take
the first working day after it that is not already a rest day. Two holidays on the same day (中秋 on
a 国庆 day) are two holidays, so the second is made up the same way. There are **no make-up working
days** (调休上班日): those exist only in the State Council's notice (§7 "可合理安排统一放假调休").

Lunar dates and the solar term come from lunar-python (6tail), which computes them astronomically.
``tests/test_provisional.py`` cross-checks these rules against the official data of 2004–2026 and
pins every systematic difference (docs/deadlines.md lists them).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from importlib.metadata import version

from lunar_python import Lunar, Solar

from sifa.deadlines.calendar import ONE_DAY, CalendarDataMissing

FIRST_YEAR = 2025
"""The first year the 2024 revision of the 办法 governs (it took effect on 2024-11-10)."""

LAST_YEAR = 2100
"""The last year we compute. No statutory period reaches further, and lunar dates this far out are
astronomical predictions; later years stay missing (``CalendarDataMissing``)."""

LUNAR_LIBRARY = f"lunar-python {version('lunar_python')}"
SOURCE = f"《全国年节及纪念日放假办法》（2024年修订）推算（{LUNAR_LIBRARY}）"
"""What a provisional year says it comes from."""

MAKEUP_SUFFIX = "（补假）"


@dataclass(frozen=True)
class ProvisionalYear:
    """One computed year: its rest days other than ordinary weekends, with names, and its working days."""

    year: int
    holidays: dict[dt.date, str]
    workdays: tuple[dt.date, ...]


def covers(year: int) -> bool:
    """Whether the rules can give ``year`` a provisional calendar."""
    return FIRST_YEAR <= year <= LAST_YEAR


def _solar(solar: Solar) -> dt.date:
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def _lunar(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of a day of the (non-leap) lunar month in lunar year ``year``."""
    return _solar(Lunar.fromYmd(year, month, day).getSolar())


def _qingming(year: int) -> dt.date:
    """The day of the solar term 清明 (4–6 April), from the solar terms of the lunar year around it."""
    return _solar(Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"])


def statutory_holidays(year: int) -> list[tuple[dt.date, str]]:
    """§2 of the 办法: every holiday day of ``year`` with its name, in date order (a day may repeat
    when two holidays coincide)."""
    new_year = _lunar(year, 1, 1)
    days = [(dt.date(year, 1, 1), "元旦")]
    days += [(new_year + dt.timedelta(days=offset), "春节") for offset in (-1, 0, 1, 2)]
    days.append((_qingming(year), "清明节"))
    days += [(dt.date(year, 5, 1), "劳动节"), (dt.date(year, 5, 2), "劳动节")]
    days.append((_lunar(year, 5, 5), "端午节"))
    days.append((_lunar(year, 8, 15), "中秋节"))
    days += [(dt.date(year, 10, day), "国庆节") for day in (1, 2, 3)]
    return sorted(days, key=lambda pair: pair[0])


@functools.lru_cache(maxsize=128)
def provisional_year(year: int) -> ProvisionalYear:
    """The provisional calendar of ``year``; ``CalendarDataMissing`` outside the years we compute."""
    if not covers(year):
        raise CalendarDataMissing(year)
    return rules_applied_to(year)


def rules_applied_to(year: int) -> ProvisionalYear:
    """The 2024 rules applied to any year — for ``provisional_year`` and for cross-checks against
    official years that were still governed by older rules."""
    holidays: dict[dt.date, str] = {}
    owed: list[tuple[dt.date, str]] = []
    for day, name in statutory_holidays(year):
        if day in holidays or day.weekday() >= 5:
            owed.append((day, name))  # §6: made up on a working day
        holidays.setdefault(day, name)
    for day, name in owed:
        makeup = day + ONE_DAY
        while makeup.weekday() >= 5 or makeup in holidays:
            makeup += ONE_DAY
        holidays[makeup] = name + MAKEUP_SUFFIX
    workdays = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        if day.weekday() < 5 and day not in holidays:
            workdays.append(day)
        day += ONE_DAY
    return ProvisionalYear(year, dict(sorted(holidays.items())), tuple(workdays))
