"""The public calendar API, and the watch on next year's calendar: the workbench banner's source,
``/readyz`` and the refresh job's warning in the monitoring log."""

import datetime as dt
import logging

import pytest
import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from sifa.deadlines import services
from sifa.deadlines.provisional import provisional_year
from sifa.deadlines.selectors import calendar_outlook

D = dt.date
pytestmark = [pytest.mark.django_db]


def _get(year):
    return APIClient().get(f"/api/v1/calendar/{year}/")


def test_an_official_year_lists_its_holidays_and_make_up_working_days(seeded):
    response = _get(2026)
    assert response.status_code == 200
    body = response.json()
    assert (body["year"], body["status"], body["source"]) == (2026, "official", "chinese-calendar 1.11.0")
    assert [d["date"] for d in body["make_up_working_days"]] == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    assert {"date": "2026-10-01", "name": "国庆节"} in body["non_working_days"]
    assert not any(d["date"] == "2026-03-07" for d in body["non_working_days"])  # a plain weekend


def test_a_year_without_a_notice_is_provisional_and_has_no_make_up_days(seeded):
    body = _get(2027).json()
    assert body["status"] == "provisional"
    assert "全国年节及纪念日放假办法" in body["source"] and "lunar-python" in body["source"]
    assert body["make_up_working_days"] == []
    assert body["non_working_days"] == [
        {"date": d.isoformat(), "name": n} for d, n in provisional_year(2027).holidays.items()
    ]


def test_an_entered_year_becomes_official(seeded):
    services.define_year(2027, holidays={D(2027, 1, 1): "元旦"}, makeup_workdays={D(2027, 1, 2): "元旦"})
    body = _get(2027).json()
    assert (body["status"], body["make_up_working_days"]) == (
        "official",
        [{"date": "2027-01-02", "name": "元旦"}],
    )


@pytest.mark.parametrize(
    ("year", "status", "code"),
    [
        ("20x7", 400, "calendar.bad_year"),
        ("27", 400, "calendar.bad_year"),
        ("２０２７", 400, "calendar.bad_year"),
        ("2101", 404, "calendar.year_unavailable"),
        ("1999", 404, "calendar.year_unavailable"),
    ],
)
def test_bad_years_answer_4xx_with_a_code(db, year, status, code):
    response = _get(year)
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["message"]


@pytest.mark.parametrize(
    ("today", "alert"),
    [(D(2026, 9, 30), False), (D(2026, 10, 1), True), (D(2026, 12, 31), True)],
)
def test_from_1_october_next_years_missing_notice_is_an_alert(seeded, today, alert):
    outlook = calendar_outlook(today)
    assert outlook.alert is alert
    assert (outlook.year, outlook.status) == (2027, "provisional")


@pytest.mark.parametrize("today", [D(2027, 1, 1), D(2027, 1, 11), D(2027, 6, 30)])
def test_a_new_year_begun_without_its_notice_stays_an_alert(seeded, today):
    """On 1 January the missing 2027 notice is this year's, not next year's: the alert does not
    fall silent (it used to look at 2028 alone and say “ok” while every deadline was 暂定)."""
    outlook = calendar_outlook(today)
    assert (outlook.year, outlook.status, outlook.alert) == (2027, "provisional", True)
    assert "2027年放假安排尚未录入" in outlook.message and "暂定" in outlook.message


def test_the_alert_ends_when_this_year_is_entered(seeded):
    services.define_year(2027, holidays={D(2027, 1, 1): "元旦"}, makeup_workdays={})
    outlook = calendar_outlook(D(2027, 1, 11))
    assert (outlook.year, outlook.alert) == (2028, False)


def test_the_alert_ends_when_next_year_is_entered(seeded):
    services.define_year(2027, holidays={D(2027, 1, 1): "元旦"}, makeup_workdays={})
    assert calendar_outlook(D(2026, 12, 1)).alert is False


@time_machine.travel(dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC), tick=False)
def test_readyz_reports_the_calendar_warning_and_stays_200(seeded, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    calendar = response.json()["calendar"]
    assert (calendar["status"], calendar["next_year"], calendar["next_year_status"]) == (
        "warning",
        2027,
        "provisional",
    )
    assert "2027年放假安排尚未录入" in calendar["message"]


@time_machine.travel(dt.datetime(2027, 1, 11, 2, tzinfo=dt.UTC), tick=False)
def test_readyz_and_the_refresh_warn_in_january_while_this_year_is_not_entered(seeded, client, caplog):
    calendar = client.get("/readyz").json()["calendar"]
    assert (calendar["status"], calendar["next_year"], calendar["next_year_status"]) == (
        "warning",
        2027,
        "provisional",
    )
    with caplog.at_level(logging.WARNING, logger="sifa.deadlines"):
        call_command("refresh-deadlines")
    assert any("calendar.this_year_not_official year=2027" in r.getMessage() for r in caplog.records)


@time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC), tick=False)
def test_readyz_calendar_is_ok_before_october(seeded, client):
    assert client.get("/readyz").json()["calendar"]["status"] == "ok"


@time_machine.travel(dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC), tick=False)
def test_the_periodic_refresh_logs_a_warning_for_monitoring(seeded, caplog, capsys):
    with caplog.at_level(logging.WARNING, logger="sifa.deadlines"):
        call_command("refresh-deadlines")
    [warning] = [r for r in caplog.records if r.name == "sifa.deadlines"]
    assert warning.levelno == logging.WARNING
    assert "calendar.next_year_not_official year=2027" in warning.getMessage()
    assert "2027年放假安排尚未录入" in capsys.readouterr().out
