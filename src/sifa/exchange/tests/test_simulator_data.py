"""The partner simulator's answers: what a court's 案号 says about the year."""

from __future__ import annotations

import datetime as dt

from sifa.exchange.simulator.data import court_year


def test_a_case_number_takes_the_year_in_beijing_time():
    # 2027-01-01 02:00 in Beijing is still 2026 in UTC: the court registers the case in 2027.
    assert court_year(dt.datetime(2026, 12, 31, 18, 0, tzinfo=dt.UTC)) == 2027
    assert court_year(dt.datetime(2026, 12, 31, 15, 59, tzinfo=dt.UTC)) == 2026
