"""Entering the State Council's holiday notice: parsing, every problem at once, who may, the preview
of moved deadlines, publishing (official year, audit, background recomputation, move signal)."""

import datetime as dt

import pytest
import time_machine

from sifa.audit.models import AuditEvent
from sifa.core.errors import Conflict, Forbidden, ServiceError
from sifa.deadlines import notices, services
from sifa.deadlines.calendar import TimeLimit, TimeUnit
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.models import CalendarNotice, CalendarYear, ClockPurpose, ClockState, NoticeStatus
from sifa.deadlines.signals import due_dates_moved
from sifa.organisations.models import Role
from sifa.testing import staff, tree
from sifa.testing.notices import HOLIDAYS_2027, MAKEUP_2027, NUMBER_2027

D = dt.date
pytestmark = [pytest.mark.django_db]
NUMBER, HOLIDAYS, MAKEUP = NUMBER_2027, HOLIDAYS_2027, MAKEUP_2027


@pytest.fixture(autouse=True)
def _december_2026():
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def orgs(db):
    o = tree("ministry", "zj")
    return {"ministry": o["ministry"], "province": o["zj"]}


def _user(django_user_model, username, org, role):
    return staff(username, org, role)


@pytest.fixture
def admin(orgs, django_user_model):
    return _user(django_user_model, "calendar-admin", orgs["ministry"], Role.CALENDAR_ADMIN)


def _days(text, field="holidays", required=True):
    days, errors = notices.parse_days(text, field, name_required=required)
    assert errors == []
    return days


def _draft(admin, **overrides):
    values = {
        "user": admin,
        "year": 2027,
        "document_number": NUMBER,
        "issued_on": D(2026, 11, 4),
        "holidays": _days(HOLIDAYS),
        "makeup_workdays": _days(MAKEUP, "makeup_workdays", False),
        **overrides,
    }
    return services.save_notice_draft(**values)


@pytest.fixture
def clock(orgs):
    """Start a legal clock of a case in the province (inside the ministry's subtree)."""

    def start(subject_id, started_on, value=20, unit=TimeUnit.WORKING_DAYS):
        return services.start_clock(
            subject_type="application",
            subject_id=subject_id,
            purpose=ClockPurpose.LEGAL,
            limit=TimeLimit(value, unit),
            started_on=started_on,
            scope_path=orgs["province"].path,
        )

    return start


def test_lines_are_read_as_the_notice_writes_them():
    days, errors = notices.parse_days(
        "2027-02-05至2027-02-07 春节\n\n2027年5月1日 劳动节\n2027/10/1 ~ 2027/10/2 国庆节",
        "holidays",
        name_required=True,
    )
    assert errors == []
    assert days == [
        (D(2027, 2, 5), "春节"),
        (D(2027, 2, 6), "春节"),
        (D(2027, 2, 7), "春节"),
        (D(2027, 5, 1), "劳动节"),
        (D(2027, 10, 1), "国庆节"),
        (D(2027, 10, 2), "国庆节"),
    ]


def test_unreadable_lines_are_all_named_with_their_line_numbers():
    _days, errors = notices.parse_days(
        "春节放假七天\n2027-02-30 春节\n2027-02-11至2027-02-05 春节\n2027-01-01\n2027-01-01至2027-03-01 春节",
        "holidays",
        name_required=True,
    )
    assert [e["code"] for e in errors] == [
        "bad_line",
        "bad_date",
        "bad_range",
        "name_required",
        "range_too_long",
    ]
    assert errors[0]["message"].startswith("放假日期第1行“春节放假七天”无法识别")
    assert "第4行" in errors[3]["message"] and "缺少节日名称" in errors[3]["message"]


def test_every_problem_of_a_notice_is_listed_at_once():
    errors = notices.validate(
        year=2027,
        document_number="",
        issued_on=D(2026, 12, 8),  # tomorrow
        holidays=[(D(2026, 12, 31), "元旦"), (D(2027, 1, 2), "元旦"), (D(2027, 1, 2), "元旦")],
        makeup_workdays=[(D(2027, 1, 2), "元旦"), (D(2027, 1, 5), "元旦")],
    )
    assert sorted((e["field"], e["code"]) for e in errors if e["code"] != "statutory_day_missing") == [
        ("document_number", "required"),
        ("holidays", "duplicate"),
        ("holidays", "wrong_year"),
        ("issued_on", "in_future"),
        ("makeup_workdays", "not_weekend"),
        ("makeup_workdays", "overlap"),
    ]
    weekday = next(e for e in errors if e["code"] == "not_weekend")
    assert weekday["message"] == "2027-01-05 是星期二，本来就上班，不是调休上班日"


def test_a_notice_cannot_cancel_a_statutory_holiday():
    holidays = [(day, name) for day, name in _days(HOLIDAYS) if name != "中秋节"]
    errors = notices.validate(
        year=2027,
        document_number=NUMBER,
        issued_on=D(2026, 11, 4),
        holidays=holidays,
        makeup_workdays=[(D(2027, 5, 1), "劳动节")],  # a Saturday, but 劳动节 itself
    )
    assert [(e["code"], e["message"]) for e in errors] == [
        ("overlap", "2027-05-01 不能既是放假日又是调休上班日"),
        ("statutory_day_missing", "2027-05-01（劳动节）是法定节假日，通知中应当放假"),
        ("statutory_day_missing", "2027-09-15（中秋节）是法定节假日，通知中应当放假"),
    ]


def test_the_number_is_checked_and_brackets_are_normalised():
    assert notices.normalise_number("国办发明电[2026]12号") == NUMBER
    assert notices.normalise_number(" 国办发明电（2026）12号 ") == NUMBER
    errors = notices.validate(
        year=2030,
        document_number="国办发明电2026年12号",
        issued_on=D(2026, 11, 4),
        holidays=[],
        makeup_workdays=[],
    )
    assert sorted(e["code"] for e in errors) == ["bad_format", "out_of_range", "required", "wrong_year"]


def test_only_the_ministry_calendar_administrator_may_enter_a_notice(orgs, django_user_model):
    provincial = _user(django_user_model, "zj-calendar", orgs["province"], Role.CALENDAR_ADMIN)
    clerk = _user(django_user_model, "moj-clerk", orgs["ministry"], Role.WINDOW_CLERK)
    for user in (provincial, clerk):
        with pytest.raises(Forbidden) as refused:
            _draft(user)
        assert refused.value.code == "calendar.admin_required"
    assert not CalendarNotice.objects.exists()


def test_a_bad_draft_is_refused_whole_and_a_second_draft_of_a_year_conflicts(admin):
    with pytest.raises(ServiceError) as refused:
        _draft(admin, document_number="", makeup_workdays=[(D(2027, 1, 4), "")])
    assert {e["field"] for e in refused.value.errors} == {"document_number", "makeup_workdays"}
    assert not CalendarNotice.objects.exists()
    _draft(admin)
    with pytest.raises(Conflict) as conflict:
        _draft(admin)
    assert conflict.value.code == "calendar.draft_exists"


def test_the_preview_lists_the_deadlines_the_notice_moves_and_changes_nothing(admin, seeded, clock):
    reaching = clock("A-1", D(2026, 12, 7))  # 20 WD → 2027-01-05 (暂定)
    longer = clock("A-2", D(2026, 11, 6), value=40)  # 39 WD in 2026, the 40th is 2027-01-04
    inside = clock("A-3", D(2026, 11, 2))  # due 2026-11-30: cannot reach 2027
    assert (reaching.due_on, reaching.provisional) == (D(2027, 1, 5), True)
    assert not inside.provisional
    notice = _draft(admin)
    preview = notices.preview(admin, notice)
    moved = {m.clock.subject_id: (m.before, m.after, m.provisional_after) for m in preview.moves}
    assert moved["A-1"] == (D(2027, 1, 5), D(2027, 1, 4), False)
    assert "A-3" not in moved and preview.examined == 2
    assert moved["A-2"] == (D(2027, 1, 4), D(2027, 1, 2), False)  # Saturday 1/2 now counts
    assert longer.provisional
    assert ClockState.objects.get(pk=reaching.pk).due_on == D(2027, 1, 5)
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_publishing_makes_the_year_official_and_recomputes_every_open_clock(
    admin, seeded, clock, django_capture_on_commit_callbacks
):
    reaching = clock("A-1", D(2026, 12, 7))
    # 30 自然日 end on Wednesday 2027-01-06 on either calendar: only the 暂定 mark goes.
    unchanged = clock("A-4", D(2026, 12, 7), value=30, unit=TimeUnit.CALENDAR_DAYS)
    assert (unchanged.due_on, unchanged.provisional) == (D(2027, 1, 6), True)
    notice = _draft(admin)
    assert notices.preview(admin, notice).confirmed == 1
    received = []

    def listener(sender, moves, **kwargs):
        received.extend(moves)

    due_dates_moved.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.publish_notice(admin, notice.pk)
    finally:
        due_dates_moved.disconnect(listener)
    year = CalendarYear.objects.get(year=2027)
    assert (year.complete, year.source) == (True, NUMBER)
    assert not DatabaseCalendar().is_provisional(2027)
    reaching.refresh_from_db()
    unchanged.refresh_from_db()
    assert (reaching.due_on, reaching.provisional) == (D(2027, 1, 4), False)
    assert (unchanged.due_on, unchanged.provisional) == (D(2027, 1, 6), False)
    assert [(m.subject_id, m.before, m.after) for m in received] == [("A-1", D(2027, 1, 5), D(2027, 1, 4))]
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED and notice.published_by == admin
    assert (notice.clocks_examined, notice.clocks_moved) == (2, 1) and notice.recomputed_at is not None
    event = AuditEvent.objects.get(action="deadlines.calendar_notice.publish")
    assert event.actor == admin and event.detail["makeup_workdays"] == ["2027-01-02", "2027-02-20"]
    with pytest.raises(Conflict):
        services.publish_notice(admin, notice.pk)


def test_a_correcting_notice_supersedes_the_published_one(admin, seeded, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_notice(admin, _draft(admin).pk)
        second = _draft(admin, document_number="国办发明电〔2026〕13号", makeup_workdays=[])
        services.publish_notice(admin, second.pk)
    assert list(CalendarNotice.objects.order_by("pk").values_list("status", flat=True)) == [
        NoticeStatus.SUPERSEDED,
        NoticeStatus.PUBLISHED,
    ]
    assert CalendarYear.objects.get(year=2027).source == "国办发明电〔2026〕13号"
    assert D(2027, 1, 2) not in DatabaseCalendar().workdays(2027)


def test_due_dates_moved_by_a_published_notice_are_audited_with_their_cause(
    admin, seeded, clock, django_capture_on_commit_callbacks
):
    """Regression guard: a legal due date moved by the calendar (not by a command) leaves an audit
    event in the batch that moved it, naming the notice; the notice's recomputation stamp is audited
    once, in the transaction that writes it."""
    reaching = clock("A-1", D(2026, 12, 7))
    clock("A-4", D(2026, 12, 7), value=30, unit=TimeUnit.CALENDAR_DAYS)  # keeps its date
    notice = _draft(admin)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_notice(admin, notice.pk)
    moved = AuditEvent.objects.get(action="deadlines.clock.due_date_moved")
    assert (moved.object_type, moved.object_id) == ("deadlines.ClockState", str(reaching.pk))
    assert moved.scope_path == reaching.scope_path and moved.actor is None
    assert (moved.detail["before"], moved.detail["after"], moved.detail["provisional"]) == (
        "2027-01-05",
        "2027-01-04",
        False,
    )
    assert moved.detail["cause"] == f"国务院办公厅公布2027年部分节假日安排（{NUMBER}）"
    stamp = AuditEvent.objects.get(action="deadlines.calendar_notice.recompute")
    assert stamp.object_id == str(notice.pk)
    assert (stamp.detail["clocks_examined"], stamp.detail["clocks_moved"]) == (2, 1)
    services.recompute_open_clocks()  # the periodic run finds nothing left to stamp or move
    assert AuditEvent.objects.filter(action="deadlines.calendar_notice.recompute").count() == 1
    assert AuditEvent.objects.filter(action="deadlines.clock.due_date_moved").count() == 1
