"""The provisional calendar: 《全国年节及纪念日放假办法》 (2024 revision) computed with lunar-python, and
its cross-check against the State Council's official arrangements of 2004–2026 (chinese-calendar)."""

import datetime as dt

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sifa.deadlines.calendar import CalendarDataMissing
from sifa.deadlines.provisional import (
    FIRST_YEAR,
    LAST_YEAR,
    provisional_year,
    rules_applied_to,
    statutory_holidays,
)

D = dt.date


def test_2027_rest_days_follow_the_rules_with_makeup_days_off_and_no_makeup_working_days():
    year = provisional_year(2027)
    assert year.holidays == {
        D(2027, 1, 1): "元旦",
        # 除夕 Friday 2/5, 初一–初三 2/6–2/8: Saturday and Sunday are made up on 2/9 and 2/10 (§6).
        D(2027, 2, 5): "春节",
        D(2027, 2, 6): "春节",
        D(2027, 2, 7): "春节",
        D(2027, 2, 8): "春节",
        D(2027, 2, 9): "春节（补假）",
        D(2027, 2, 10): "春节（补假）",
        D(2027, 4, 5): "清明节",
        D(2027, 5, 1): "劳动节",
        D(2027, 5, 2): "劳动节",
        D(2027, 5, 3): "劳动节（补假）",
        D(2027, 5, 4): "劳动节（补假）",
        D(2027, 6, 9): "端午节",
        D(2027, 9, 15): "中秋节",
        D(2027, 10, 1): "国庆节",
        D(2027, 10, 2): "国庆节",
        D(2027, 10, 3): "国庆节",
        D(2027, 10, 4): "国庆节（补假）",
        D(2027, 10, 5): "国庆节（补假）",
    }
    assert not any(day.weekday() >= 5 for day in year.workdays)  # no 调休上班日 without a notice
    assert D(2027, 1, 4) in year.workdays and D(2027, 2, 11) in year.workdays


def test_a_holiday_on_a_holiday_is_made_up_too():
    # 2031: 中秋 falls on 10/1 (国庆) — two holidays on one day give two rest days.
    days = statutory_holidays(2031)
    assert (D(2031, 10, 1), "中秋节") in days and (D(2031, 10, 1), "国庆节") in days
    holidays = provisional_year(2031).holidays
    assert sum(1 for name in holidays.values() if name.endswith("（补假）")) >= 1


@settings(deadline=None)  # the first example computes the year (lunar dates): slow on a loaded machine
@given(st.integers(min_value=FIRST_YEAR, max_value=LAST_YEAR))
def test_every_year_has_exactly_13_weekday_rest_days(year):
    """§2 gives 13 days; each on a weekend or on another holiday is made up on a weekday (§6)."""
    computed = provisional_year(year)
    weekdays = sum(
        1
        for n in range((D(year, 12, 31) - D(year, 1, 1)).days + 1)
        if (D(year, 1, 1) + dt.timedelta(n)).weekday() < 5
    )
    assert len(computed.workdays) == weekdays - 13
    assert all(day.year == year for day in computed.holidays)


@pytest.mark.parametrize("year", [FIRST_YEAR - 1, LAST_YEAR + 1])
def test_years_the_rules_do_not_cover_stay_missing(year):
    with pytest.raises(CalendarDataMissing) as missing:
        provisional_year(year)
    assert missing.value.year == year and missing.value.code == "calendar.data_missing"


def _official_rest(day: dt.date) -> bool:
    return not chinese_calendar.is_workday(day)


# Statutory dates under the 2024 rules that were working days in the official arrangements. Each is
# an older rule, not a lunar-date error: before 2008 清明、端午、中秋 were no holidays and 春节 began on
# 初一; 2008–2024 劳动节 was one day (5/1); 2014–2024 春节 began on 初一 (除夕 2014-01-30 and 2024-02-09
# were working days).
RULE_DATES_THAT_WERE_WORKDAYS = {
    D(2004, 1, 21): "春节",
    D(2004, 6, 22): "端午节",
    D(2004, 9, 28): "中秋节",
    D(2005, 2, 8): "春节",
    D(2005, 4, 5): "清明节",
    D(2006, 1, 28): "春节",
    D(2006, 4, 5): "清明节",
    D(2006, 5, 31): "端午节",
    D(2007, 2, 17): "春节",
    D(2007, 4, 5): "清明节",
    D(2007, 6, 19): "端午节",
    D(2007, 9, 25): "中秋节",
    D(2012, 5, 2): "劳动节",
    D(2013, 5, 2): "劳动节",
    D(2014, 1, 30): "春节",
    D(2017, 5, 2): "劳动节",
    D(2018, 5, 2): "劳动节",
    D(2024, 2, 9): "春节",
}

# 补假 days the rules give that were working days: the same older rules (a holiday that did not exist
# is not made up), plus two arrangements that placed or dropped the make-up day differently:
# 2012 端午 (Saturday 6/23) was made up on Friday 6/22, and 2015 中秋 (Sunday 9/27) was not made up.
MAKEUP_DAYS_THAT_WERE_WORKDAYS = {
    D(2004, 4, 5): "清明节（补假）",
    D(2005, 6, 13): "端午节（补假）",
    D(2005, 9, 19): "中秋节（补假）",
    D(2009, 5, 4): "劳动节（补假）",
    D(2010, 5, 4): "劳动节（补假）",
    D(2011, 5, 3): "劳动节（补假）",
    D(2012, 6, 25): "端午节（补假）",
    D(2015, 5, 4): "劳动节（补假）",
    D(2015, 9, 28): "中秋节（补假）",
    D(2016, 5, 3): "劳动节（补假）",
}


def test_the_rules_match_every_official_arrangement_2004_to_2026_but_the_listed_older_rules():
    """Every lunar and solar-term date the library gives (除夕–初三, 清明, 端午, 中秋) is an official rest
    day in every year whose rules had that holiday; the differences are exactly the listed ones."""
    rule_dates, makeup_dates = {}, {}
    for year in range(2004, 2027):
        for day, name in rules_applied_to(year).holidays.items():
            if not _official_rest(day):
                (makeup_dates if name.endswith("（补假）") else rule_dates)[day] = name
    assert rule_dates == RULE_DATES_THAT_WERE_WORKDAYS
    assert makeup_dates == MAKEUP_DAYS_THAT_WERE_WORKDAYS
    # Under the 2024 rules themselves (2025, 2026) every computed rest day is an official rest day.
    assert not [d for d in {**rule_dates, **makeup_dates} if d.year >= FIRST_YEAR]
