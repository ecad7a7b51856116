"""Stored clocks: commands, the periodic refresh, and calendar-data alerts (SQLite and PostgreSQL)."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from sifa.audit.models import AuditEvent
from sifa.core.errors import ServiceError
from sifa.deadlines import services
from sifa.deadlines.calendar import TimeLimit, TimeUnit
from sifa.deadlines.clocks import SuspensionKind, WarningLevel
from sifa.deadlines.models import CalendarAlert, ClockPurpose, ClockState
from sifa.organisations.scope import rule_for

D = dt.date
WD20 = TimeLimit(20, TimeUnit.WORKING_DAYS)
START = D(2026, 9, 28)
pytestmark = [pytest.mark.smoke, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _on_the_first_day():
    # Commands compute "as of today": pin it, so the suite does not depend on the real date.
    with time_machine.travel(dt.datetime(2026, 9, 28, 9, tzinfo=dt.UTC), tick=False):
        yield


def start(subject_id="A-1", *, started_on=START, limit=WD20, stage="市级审查"):
    return services.start_clock(
        subject_type="application",
        subject_id=subject_id,
        purpose=ClockPurpose.STAGE,
        stage=stage,
        limit=limit,
        started_on=started_on,
        scope_path="/1/12/",
    )


@time_machine.travel(dt.datetime(2026, 9, 28, 10, tzinfo=dt.UTC), tick=False)
def test_city_stage_is_due_after_twenty_official_working_days(seeded):
    state = start()
    assert state.due_on == D(2026, 10, 30)
    assert (state.working_days_left, state.warning_level) == (20, WarningLevel.GREEN)
    assert AuditEvent.objects.filter(action="deadlines.clock.start", object_id=str(state.pk)).exists()


def test_suspension_of_n_working_days_moves_the_stored_deadline_by_n(seeded):
    state = start()
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, tzinfo=dt.UTC), tick=False):
        state = services.suspend_clock(
            state.pk, kind=SuspensionKind.HEARING, on=D(2026, 10, 12), reason="听证"
        )
    assert state.paused and state.due_on is None
    with time_machine.travel(dt.datetime(2026, 10, 15, 9, tzinfo=dt.UTC), tick=False):
        state = services.resume_clock(state.pk, on=D(2026, 10, 15))
    assert not state.paused and state.due_on == D(2026, 11, 4)  # 3 working days later than 10/30
    assert state.version == 3
    assert list(
        AuditEvent.objects.filter(object_type="deadlines.ClockState").values_list("action", flat=True)
    ) == [
        "deadlines.clock.start",
        "deadlines.clock.suspend",
        "deadlines.clock.resume",
    ]


def test_extension_by_ten_working_days_needs_approver_and_reason(seeded):
    state = start()
    with pytest.raises(ServiceError) as refused:
        services.extend_clock(state.pk, days=10, approved_by="", reason="", on=D(2026, 10, 20))
    assert refused.value.code == "clock.extension_incomplete"
    state = services.extend_clock(
        state.pk, days=10, approved_by="局长", reason="需实地核查", on=D(2026, 10, 20)
    )
    assert state.due_on == D(2026, 11, 13)


def test_out_of_order_commands_get_a_conflict_not_a_crash(seeded):
    state = start()
    with pytest.raises(ServiceError) as refused:
        services.resume_clock(state.pk, on=D(2026, 10, 1))
    assert (refused.value.status, refused.value.code) == (409, "clock.invalid_event")
    with pytest.raises(ServiceError) as refused:
        services.suspend_clock(state.pk, kind="holiday", on=D(2026, 10, 9), reason="")
    assert refused.value.code == "clock.bad_suspension_kind"
    with pytest.raises(ServiceError) as refused:
        start()
    assert refused.value.code == "clock.already_started"
    assert ClockState.objects.get(pk=state.pk).version == 1


def test_refresh_turns_yellow_then_red_and_skips_stopped_clocks(seeded):
    running, done = start("A-1"), start("A-2")
    services.stop_clock(done.pk, on=D(2026, 10, 20))
    result = services.refresh_warnings(D(2026, 10, 28))
    assert (result.examined, result.changed) == (1, 1)
    assert ClockState.objects.get(pk=running.pk).warning_level == WarningLevel.YELLOW
    services.refresh_warnings(D(2026, 11, 2))
    running.refresh_from_db()
    assert (running.warning_level, running.working_days_left) == (WarningLevel.RED, -1)
    assert ClockState.objects.get(pk=done.pk).warning_level == WarningLevel.GREEN


def test_refresh_never_overwrites_a_newer_command(seeded, monkeypatch):
    state = start()
    real = services.recompute

    def slow_recompute(row, calendar, today):
        # A command commits between the refresh's read and its write.
        ClockState.objects.filter(pk=row.pk).update(version=row.version + 1, warning_level=WarningLevel.GREEN)
        return real(row, calendar, today)

    monkeypatch.setattr("sifa.deadlines.services.refresh.recompute", slow_recompute)
    result = services.refresh_warnings(D(2026, 10, 28))
    assert result.changed == 0
    assert ClockState.objects.get(pk=state.pk).warning_level == WarningLevel.GREEN


def test_refresh_in_batches_covers_every_open_clock(seeded):
    for n in range(7):
        start(f"A-{n}")
    assert services.refresh_warnings(D(2026, 10, 29), batch_size=3).examined == 7
    assert set(ClockState.objects.values_list("warning_level", flat=True)) == {WarningLevel.YELLOW}


@time_machine.travel(dt.datetime(2026, 12, 20, 9, tzinfo=dt.UTC), tick=False)
def test_a_deadline_reaching_2027_is_provisional_and_an_official_one_is_not(seeded):
    reaching = start("B-1", started_on=D(2026, 12, 18))
    assert (reaching.due_on, reaching.provisional) == (D(2027, 1, 18), True)
    assert reaching.working_days_left == 20
    within = start("B-2", started_on=D(2026, 11, 2))
    assert (within.due_on, within.provisional) == (D(2026, 11, 30), False)
    assert not CalendarAlert.objects.exists()


@time_machine.travel(dt.datetime(2100, 12, 20, 9, tzinfo=dt.UTC), tick=False)
def test_a_deadline_beyond_the_rules_raises_one_alert_and_guesses_nothing(seeded):
    first, second = start("B-1", started_on=D(2100, 12, 17)), start("B-2", started_on=D(2100, 12, 17))
    assert first.due_on is None and second.due_on is None and first.working_days_left is None
    assert not first.provisional
    result = services.refresh_warnings(D(2100, 12, 21))
    assert result.missing_calendar == 2
    alert = CalendarAlert.objects.get()
    assert (alert.year, alert.occurrences, alert.resolved_at) == (2101, 4, None)


def test_the_refresh_fills_in_a_clock_stored_empty_before_the_provisional_calendar(seeded):
    """Clocks stored while 2027 had no data kept an empty due date; the next refresh fills them in."""
    state = start("B-3", started_on=D(2026, 12, 7))
    ClockState.objects.filter(pk=state.pk).update(due_on=None, working_days_left=None, provisional=False)
    assert services.refresh_warnings(D(2026, 12, 8)).changed == 1
    state.refresh_from_db()
    assert (state.due_on, state.provisional, state.working_days_left) == (D(2027, 1, 5), True, 19)


def test_refresh_command_uses_today(seeded, capsys):
    start()
    with time_machine.travel(dt.datetime(2026, 10, 29, 9, tzinfo=dt.UTC), tick=False):
        call_command("refresh-deadlines")
    assert "检查 1，更新 1" in capsys.readouterr().out
    assert ClockState.objects.get().warning_level == WarningLevel.YELLOW


def test_notice_window_clock_runs_five_working_days_from_receipt(seeded):
    state = services.start_notice_window(
        subject_type="application", subject_id="A-9", received_on=D(2026, 9, 28), scope_path="/1/12/"
    )
    assert state.purpose == ClockPurpose.NOTICE_WINDOW and state.due_on == D(2026, 10, 10)


def test_clock_state_is_scoped_case_data():
    assert ClockState.data_class == "case"
    assert rule_for(ClockState).path == "scope_path"


@time_machine.travel(dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC), tick=False)
def test_a_failing_receiver_of_moved_due_dates_does_not_stop_the_refresh(seeded, caplog):
    """Regression guard: telling people is secondary; the new due dates are stored and the failure is
    logged for monitoring, so one broken message cannot freeze every deadline."""
    from sifa.deadlines.services import define_year
    from sifa.deadlines.signals import due_dates_moved

    state = start("C-1", started_on=D(2026, 12, 7))
    assert (state.due_on, state.provisional) == (D(2027, 1, 5), True)
    define_year(2027, holidays={D(2027, 1, 1): "元旦"}, makeup_workdays={D(2027, 1, 2): "元旦"})

    def broken(sender, moves, **kwargs):
        ClockState.objects.filter(pk=state.pk).update(stage="written by the broken receiver")
        raise RuntimeError("boom")

    due_dates_moved.connect(broken)
    try:
        result = services.refresh_warnings(D(2026, 12, 7))
    finally:
        due_dates_moved.disconnect(broken)
    state.refresh_from_db()
    assert (state.due_on, state.provisional, state.stage) == (D(2027, 1, 4), False, "市级审查")
    assert result.moved == 1
    assert "could not tell the owners of 1 moved due dates" in caplog.text


def test_a_stored_clock_is_built_once_per_state_of_its_events():
    """``to_clock`` keeps the clock it built (and the one ``store_clock`` stored) while the columns
    it reads are unchanged by value, and builds a new one, equal to a fresh build, when one changes
    (reassigned or changed in place)."""

    def fresh(state):
        return ClockState(
            started_on=state.started_on,
            limit_value=state.limit_value,
            limit_unit=state.limit_unit,
            suspensions=[dict(s) for s in state.suspensions],
            extensions=[dict(e) for e in state.extensions],
            stopped_on=state.stopped_on,
        ).to_clock()

    state = ClockState.objects.get(pk=start().pk)
    first = state.to_clock()
    assert state.to_clock() is first
    suspended = first.suspend(SuspensionKind.EXPERT_REVIEW, START, "组织专家评审")
    state.store_clock(suspended)
    assert state.to_clock() is suspended
    assert suspended == fresh(state)
    state.suspensions[0]["started_on"] = D(2026, 9, 29).isoformat()  # in place
    moved = state.to_clock()
    assert moved is not suspended and moved == fresh(state)
    assert moved.suspensions[0].started_on == D(2026, 9, 29)
    state.stopped_on = D(2026, 10, 9)
    assert state.to_clock().stopped_on == D(2026, 10, 9)
    state.extensions = [{"days": 10, "approved_by": "王厅长", "reason": "延期", "granted_on": "2026-10-01"}]
    assert state.to_clock() == fresh(state) and state.to_clock().extensions[0].days == 10
