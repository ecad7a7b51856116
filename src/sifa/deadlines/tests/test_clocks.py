"""Clocks as pure values: suspensions (§45), extensions (§42), stages, the §32 notice window, warnings."""

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sifa.deadlines.calendar import TimeLimit, TimeUnit, add_working_days, working_days_between
from sifa.deadlines.clocks import (
    Clock,
    ClockError,
    NoticeOutcome,
    NoticeWindow,
    Suspension,
    SuspensionKind,
    WarningLevel,
    plan_stages,
)
from sifa.deadlines.tests.conftest import OFFICIAL

D = dt.date
WD20 = TimeLimit(20, TimeUnit.WORKING_DAYS)
pytestmark = pytest.mark.smoke


def test_a_fresh_clock_is_due_after_twenty_working_days(official):
    clock = Clock(D(2026, 9, 28), WD20)
    status = clock.status(official, D(2026, 9, 28))
    assert status.due_on == D(2026, 10, 30)
    assert status.working_days_left == 20
    assert status.warning_level == WarningLevel.GREEN


def test_warning_turns_yellow_two_working_days_before_and_red_after(official):
    clock = Clock(D(2026, 9, 28), WD20)
    assert clock.status(official, D(2026, 10, 27)).working_days_left == 3
    assert clock.status(official, D(2026, 10, 27)).warning_level == WarningLevel.GREEN
    assert clock.status(official, D(2026, 10, 28)).warning_level == WarningLevel.YELLOW
    on_due_day = clock.status(official, D(2026, 10, 30))
    assert (on_due_day.working_days_left, on_due_day.warning_level) == (0, WarningLevel.YELLOW)
    late = clock.status(official, D(2026, 11, 2))
    assert (late.working_days_left, late.warning_level) == (-1, WarningLevel.RED)


def test_a_limit_missed_on_a_friday_is_red_over_the_weekend(official):
    # Due Fri 10/30: on Sat 10/31 and Sun 11/1 no working day has passed since, but the limit has.
    clock = Clock(D(2026, 9, 28), WD20)
    for day in (D(2026, 10, 31), D(2026, 11, 1)):
        late = clock.status(official, day)
        assert (late.working_days_left, late.warning_level) == (-1, WarningLevel.RED), day
    decided_on_saturday = clock.stop(D(2026, 10, 31)).status(official, D(2026, 12, 1))
    assert decided_on_saturday.warning_level == WarningLevel.RED


def test_a_hearing_of_three_working_days_moves_the_deadline_three_working_days(official):
    # Suspended 10/12 (Mon) … resumed 10/15 (Thu): 10/12, 10/13, 10/14 are not counted.
    clock = Clock(D(2026, 9, 28), WD20).suspend(SuspensionKind.HEARING, D(2026, 10, 12), "听证")
    paused = clock.status(official, D(2026, 10, 13))
    assert paused.paused and paused.due_on is None
    clock = clock.resume(D(2026, 10, 15))
    status = clock.status(official, D(2026, 10, 15))
    assert status.due_on == D(2026, 11, 4)
    assert status.suspended_working_days == 3
    assert working_days_between(official, D(2026, 10, 30), status.due_on) == 3


def test_while_paused_the_working_days_left_do_not_run_down(official):
    clock = Clock(D(2026, 9, 28), WD20).suspend(SuspensionKind.EXPERT_REVIEW, D(2026, 10, 12))
    left = {
        clock.status(official, day).working_days_left
        for day in (D(2026, 10, 12), D(2026, 10, 20), D(2026, 11, 30))
    }
    assert left == {15}  # 5 of 20 used before the suspension: 9/29, 9/30, 10/8, 10/9, 10/10


def test_extension_adds_ten_working_days(official):
    clock = Clock(D(2026, 9, 28), WD20).extend(10, "局长 张某", "需实地核查", D(2026, 10, 20))
    assert clock.due_on(official) == add_working_days(official, D(2026, 10, 30), 10) == D(2026, 11, 13)


def test_stopped_clock_is_frozen_at_its_stop_date(official):
    clock = Clock(D(2026, 9, 28), WD20).stop(D(2026, 11, 3))
    status = clock.status(official, D(2026, 12, 20))
    assert status.stopped and status.warning_level == WarningLevel.RED and status.working_days_left == -2


def test_events_that_cannot_happen_are_refused():
    clock = Clock(D(2026, 9, 28), WD20)
    with pytest.raises(ClockError):
        clock.resume(D(2026, 10, 1))
    paused = clock.suspend(SuspensionKind.APPRAISAL, D(2026, 10, 9))
    with pytest.raises(ClockError):
        paused.suspend(SuspensionKind.HEARING, D(2026, 10, 12))
    with pytest.raises(ClockError):
        paused.stop(D(2026, 10, 12))
    with pytest.raises(ClockError):
        Suspension(SuspensionKind.HEARING, D(2026, 10, 9), D(2026, 10, 8))
    with pytest.raises(ValueError):
        Suspension("holiday", D(2026, 10, 9))
    with pytest.raises(ClockError):
        clock.extend(0, "局长", "理由", D(2026, 10, 9))


def test_stage_sub_clocks_each_run_from_their_own_start(official):
    plan = plan_stages(
        official, D(2026, 9, 28), [("市级审查", WD20), ("省级决定", TimeLimit(10, TimeUnit.WORKING_DAYS))]
    )
    assert [(p.stage, p.starts_on, p.due_on) for p in plan] == [
        ("市级审查", D(2026, 9, 28), D(2026, 10, 30)),
        ("省级决定", D(2026, 10, 30), D(2026, 11, 13)),
    ]


def test_notice_window_is_five_working_days_and_lapses_into_deemed_acceptance(official):
    window = NoticeWindow(D(2026, 9, 28))
    # 9/29, 9/30, 10/8, 10/9, 10/10 (调休上班).
    assert window.due_on(official) == D(2026, 10, 10)
    assert window.status(official, D(2026, 10, 9)).outcome == NoticeOutcome.PENDING
    assert (
        window.status(official, D(2026, 10, 12), acted_on=D(2026, 10, 10)).outcome
        == NoticeOutcome.ACTED_IN_TIME
    )
    lapsed = window.status(official, D(2026, 10, 12))
    assert lapsed.outcome == NoticeOutcome.DEEMED_ACCEPTED
    assert lapsed.deemed_accepted_on == D(2026, 9, 28)
    assert lapsed.warning_level == WarningLevel.RED
    late_notice = window.status(official, D(2026, 10, 20), acted_on=D(2026, 10, 13))
    assert late_notice.outcome == NoticeOutcome.DEEMED_ACCEPTED


def test_calendar_day_clock_with_suspension_ends_on_a_working_day(official):
    clock = Clock(D(2026, 3, 2), TimeLimit(10, TimeUnit.CALENDAR_DAYS))
    assert clock.due_on(official) == D(2026, 3, 12)
    suspended = clock.suspend(SuspensionKind.TESTING, D(2026, 3, 5)).resume(D(2026, 3, 7))
    assert suspended.due_on(official) == D(2026, 3, 16)  # 3/14 is a Saturday: 民法典 §203


def test_events_survive_a_round_trip_through_storage():
    s = Suspension(SuspensionKind.QUARANTINE, D(2026, 5, 6), D(2026, 5, 8), "检疫")
    assert Suspension.from_dict(s.as_dict()) == s
    open_one = Suspension(SuspensionKind.TENDER, D(2026, 5, 6))
    assert Suspension.from_dict(open_one.as_dict()) == open_one


# --- properties ---------------------------------------------------------------------------
starts = st.dates(min_value=D(2004, 1, 1), max_value=D(2025, 6, 30))
limits = st.integers(min_value=1, max_value=60).map(lambda n: TimeLimit(n, TimeUnit.WORKING_DAYS))
kinds = st.sampled_from(list(SuspensionKind))
WORKDAYS = {d for year in range(2004, 2027) for d in OFFICIAL.workdays(year)}


@st.composite
def suspensions(draw, start):
    result = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        begin = start + dt.timedelta(days=draw(st.integers(min_value=0, max_value=120)))
        end = begin + dt.timedelta(days=draw(st.integers(min_value=0, max_value=40)))
        result.append(Suspension(draw(kinds), begin, end))
    return tuple(result)


@settings(max_examples=200, deadline=None)
@given(st.data(), starts, limits)
def test_a_suspension_never_shortens_a_deadline(data, start, limit):
    base = Clock(start, limit)
    suspended = Clock(start, limit, suspensions=data.draw(suspensions(start)))
    assert suspended.due_on(OFFICIAL) >= base.due_on(OFFICIAL)


@settings(max_examples=200, deadline=None)
@given(st.data(), starts, limits)
def test_one_more_working_day_in_the_limit_never_moves_the_deadline_earlier(data, start, limit):
    events = data.draw(suspensions(start))
    shorter = Clock(start, limit, suspensions=events)
    longer = Clock(start, TimeLimit(limit.value + 1, limit.unit), suspensions=events)
    assert longer.due_on(OFFICIAL) > shorter.due_on(OFFICIAL)


@settings(max_examples=300, deadline=None)
@given(starts, limits, st.integers(min_value=1, max_value=200), st.integers(min_value=0, max_value=40), kinds)
def test_suspending_n_working_days_moves_the_deadline_by_exactly_n(start, limit, offset, length, kind):
    base_due = Clock(start, limit).due_on(OFFICIAL)
    begin = start + dt.timedelta(days=offset)
    assume(begin <= base_due)
    end = begin + dt.timedelta(days=length)
    n = working_days_between(OFFICIAL, begin - dt.timedelta(days=1), end - dt.timedelta(days=1))
    due = Clock(start, limit, suspensions=(Suspension(kind, begin, end),)).due_on(OFFICIAL)
    assert due == add_working_days(OFFICIAL, base_due, n)
    assert working_days_between(OFFICIAL, base_due, due) == n


def _suspended_days(events):
    return {
        s.started_on + dt.timedelta(days=k) for s in events for k in range((s.ended_on - s.started_on).days)
    }


@settings(max_examples=200, deadline=None)
@given(starts, limits)
def test_extension_of_ten_adds_exactly_ten_working_days(start, limit):
    clock = Clock(start, limit)
    extended = clock.extend(10, "负责人", "行政许可法 §42", start)
    assert extended.due_on(OFFICIAL) == add_working_days(OFFICIAL, clock.due_on(OFFICIAL), 10)


@settings(max_examples=200, deadline=None)
@given(st.data(), starts, limits)
def test_extension_of_ten_adds_ten_counted_working_days_around_suspensions(data, start, limit):
    events = data.draw(suspensions(start))
    clock = Clock(start, limit, suspensions=events)
    old, new = clock.due_on(OFFICIAL), clock.extend(10, "负责人", "行政许可法 §42", start).due_on(OFFICIAL)
    suspended = _suspended_days(events)
    counted = [
        old + dt.timedelta(days=k)
        for k in range(1, (new - old).days + 1)
        if old + dt.timedelta(days=k) in WORKDAYS and old + dt.timedelta(days=k) not in suspended
    ]
    assert len(counted) == 10 and counted[-1] == new


@settings(max_examples=200, deadline=None)
@given(st.data(), starts, limits)
def test_due_date_agrees_with_a_day_by_day_walk(data, start, limit):
    events = data.draw(suspensions(start))
    suspended_days = _suspended_days(events)
    day, counted = start, 0
    while counted < limit.value:
        day += dt.timedelta(days=1)
        counted += day in WORKDAYS and day not in suspended_days
    assert Clock(start, limit, suspensions=events).due_on(OFFICIAL) == day
