"""The calendar table: seeding, admin edits (audited), whole-year entry, the cached DB calendar,
and the cross-check against the independent ``holidays`` package."""

import datetime as dt

import holidays
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sifa.audit.models import AuditEvent
from sifa.core.errors import ServiceError
from sifa.deadlines import services
from sifa.deadlines.calendar import CalendarDataMissing, add_working_days
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.models import CHINESE_CALENDAR_SOURCE, CalendarAlert, CalendarDay, CalendarYear, DayKind

D = dt.date
pytestmark = [pytest.mark.smoke, pytest.mark.django_db]


def test_seeding_classifies_the_2026_days(seeded):
    assert seeded.created == 365 * 2 + 366
    assert CalendarDay.objects.get(date=D(2026, 10, 10)).kind == DayKind.MAKEUP_WORKDAY
    national_day = CalendarDay.objects.get(date=D(2026, 10, 1))
    assert (national_day.is_workday, national_day.kind, national_day.holiday_name) == (
        False,
        DayKind.HOLIDAY,
        "国庆节",
    )
    assert CalendarDay.objects.get(date=D(2026, 3, 7)).kind == DayKind.WEEKEND
    assert CalendarDay.objects.get(date=D(2026, 3, 9)).kind == DayKind.WORKDAY
    assert CalendarDay.objects.get(date=D(2026, 2, 17)).holiday_name == "春节"
    assert set(CalendarYear.objects.values_list("year", "complete", "source")) == {
        (y, True, CHINESE_CALENDAR_SOURCE) for y in (2024, 2025, 2026)
    }


def test_seeding_twice_changes_nothing_and_keeps_manual_edits(seeded):
    services.set_day(D(2026, 3, 9), is_workday=False, holiday_name="地方停工日")
    again = services.seed_calendar(2024, 2026)
    assert (again.created, again.updated, again.kept_manual) == (0, 0, 1)
    assert CalendarDay.objects.get(date=D(2026, 3, 9)).is_workday is False


def test_seeding_a_year_chinese_calendar_does_not_have_is_refused(db):
    with pytest.raises(ServiceError) as refused:
        services.seed_calendar(2026, 2027)
    assert refused.value.code == "calendar.not_in_source"
    with pytest.raises(CommandError, match="2004–2026"):
        call_command("seed-calendar", "--from", "2027", "--to", "2027")


def test_seed_command_reports_counts(db, capsys):
    call_command("seed-calendar", "--from", "2026", "--to", "2026")
    assert "新增 365" in capsys.readouterr().out
    assert CalendarDay.objects.count() == 365


def test_the_database_calendar_counts_like_the_official_data(seeded, official):
    calendar = DatabaseCalendar()
    assert add_working_days(calendar, D(2026, 9, 28), 20) == D(2026, 10, 30)
    for start in (D(2024, 1, 1), D(2024, 9, 30), D(2025, 1, 20), D(2025, 12, 30)):
        assert add_working_days(calendar, start, 30) == add_working_days(official, start, 30)


def test_a_year_missing_from_the_table_is_provisional(seeded):
    calendar = DatabaseCalendar()
    # 2026-12-21 … 12-31 are 9 working days; 2027 by the rules: 1/1 元旦 off, then weekdays.
    assert add_working_days(calendar, D(2026, 12, 20), 20) == D(2027, 1, 18)
    assert calendar.is_provisional(2027) and not calendar.is_provisional(2026)
    assert not CalendarAlert.objects.exists()


def test_a_year_the_rules_do_not_cover_raises(seeded):
    with pytest.raises(CalendarDataMissing) as missing:
        DatabaseCalendar().workdays(2101)
    assert missing.value.year == 2101
    with pytest.raises(CalendarDataMissing):
        DatabaseCalendar().workdays(2023)  # before the 2024 rules, with no official data


def test_an_admin_edit_is_audited_and_seen_by_the_cached_calendar(seeded, django_user_model):
    admin = django_user_model.objects.create_user(username="calendar-admin", password="x" * 16)
    calendar = DatabaseCalendar()
    assert add_working_days(calendar, D(2026, 10, 29), 1) == D(2026, 10, 30)
    services.set_day(D(2026, 10, 30), is_workday=False, holiday_name="临时停工", actor=admin)
    assert add_working_days(calendar, D(2026, 10, 29), 1) == D(2026, 11, 2)
    day = CalendarDay.objects.get(date=D(2026, 10, 30))
    assert (day.kind, day.source, day.updated_by) == (DayKind.HOLIDAY, "manual", admin)
    event = AuditEvent.objects.get(action="deadlines.calendar_day.set")
    assert event.actor == admin and event.object_id == "2026-10-30"
    assert event.detail["before"]["is_workday"] is True and event.detail["after"]["is_workday"] is False


def test_an_inconsistent_day_kind_is_refused_in_chinese(seeded):
    with pytest.raises(ServiceError) as refused:
        services.set_day(D(2026, 10, 30), is_workday=True, kind=DayKind.WEEKEND)
    assert refused.value.code == "calendar.kind_mismatch" and "工作日" in refused.value.message


def test_a_single_edited_day_does_not_make_a_year_complete(db):
    services.set_day(D(2027, 1, 4), is_workday=False, holiday_name="临时停工")
    assert CalendarYear.objects.get(year=2027).complete is False
    calendar = DatabaseCalendar()
    assert calendar.is_provisional(2027)
    assert D(2027, 1, 4) in calendar.workdays(2027)  # the year stays provisional until it is complete


def test_entering_a_year_makes_it_usable_and_resolves_its_alert(seeded):
    services.record_calendar_alert(2027)
    # Hypothetical 2027 arrangement, shape of a State Council notice: 元旦 1/1–1/3, 调休 1/9 (Sat).
    services.define_year(
        2027,
        holidays={D(2027, 1, 1): "元旦", D(2027, 1, 2): "元旦", D(2027, 1, 3): "元旦"},
        makeup_workdays={D(2027, 1, 9): "元旦"},
    )
    calendar = DatabaseCalendar()
    assert add_working_days(calendar, D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert D(2027, 1, 9) in calendar.workdays(2027)
    assert CalendarAlert.objects.get(year=2027).resolved_at is not None
    assert CalendarDay.objects.filter(date__year=2027).count() == 365


def test_a_wrong_year_arrangement_lists_every_problem(db):
    with pytest.raises(ServiceError) as refused:
        services.define_year(
            2027,
            holidays={D(2026, 12, 31): "元旦", D(2027, 1, 2): "元旦"},
            makeup_workdays={D(2027, 1, 2): "元旦", D(2027, 1, 5): "元旦"},
        )
    codes = sorted(e["code"] for e in refused.value.errors)
    assert codes == ["not_weekend", "overlap", "wrong_year"]
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_alerts_are_one_row_per_year(db):
    for _ in range(3):
        services.record_calendar_alert(2027)
    alert = CalendarAlert.objects.get(year=2027)
    assert alert.occurrences == 3 and alert.resolved_at is None
    assert CalendarAlert.objects.count() == 1


def test_seeded_table_agrees_with_the_holidays_package_every_day(seeded):
    """Cross-check 2024–2026 against ``holidays.China`` (independent data).

    Working or not agrees on every day. The one documented difference is classification:
    chinese-calendar calls the weekend days inside a holiday break 法定节假日, ``holidays`` lists only
    the named and substituted days (docs/deadlines.md lists the 27 such weekend days).
    """
    reference = holidays.China(years=range(2024, 2027))
    table = {d.date: d for d in CalendarDay.objects.all()}
    assert len(table) == 1096
    for day, row in table.items():
        assert row.is_workday == reference.is_working_day(day), day
        if day in reference:
            assert row.kind == DayKind.HOLIDAY, day
        if row.kind == DayKind.MAKEUP_WORKDAY:
            assert day in reference.weekend_workdays, day
    only_ours = [d for d, row in table.items() if row.kind == DayKind.HOLIDAY and d not in reference]
    assert len(only_ours) == 27 and all(d.weekday() >= 5 for d in only_ours)


def test_the_admin_cannot_edit_or_delete_calendar_years_and_alerts(seeded, django_user_model):
    """Regression guard: the admin could delete a calendar alert (or re-save a year) without any
    audit event; years and alerts are now view-only there, and days are still edited through
    ``set_day``."""
    from django.contrib.admin import site
    from django.test import RequestFactory

    services.record_calendar_alert(2101)
    superuser = django_user_model.objects.create_superuser("root", password="x-Secret-123456")
    request = RequestFactory().get("/admin/")
    request.user = superuser
    for model in (CalendarYear, CalendarAlert):
        model_admin = site._registry[model]
        assert model_admin.has_view_permission(request)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, model.objects.first())
        assert not model_admin.has_delete_permission(request, model.objects.first())
    assert site._registry[CalendarDay].has_change_permission(request)
