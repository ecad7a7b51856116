"""Statutory clocks as pure values: given the calendar and the recorded events, compute the state.

A :class:`Clock` is one running time limit — a case's legal or promised deadline, one stage of a
two-level item (市级审查 20 工作日, then 省级决定 10 工作日, each with its own start), or the §32
notice window. Its events are suspensions (行政许可法 §45: the time a hearing, tender, auction,
inspection, testing, quarantine, appraisal or expert review takes is not counted) and extensions
(§42: +10 working days with the head's approval). Nothing here touches the database, so every
result is exact and reproducible from the same inputs.

Suspension intervals are half-open: a suspension from ``started_on`` to ``ended_on`` removes the
days ``started_on`` … ``ended_on - 1`` from the count; counting resumes on ``ended_on`` (the day
the clock is resumed counts again). An open suspension (no ``ended_on``) pauses the clock. A
suspension resumed on the day it began removes no day and is not kept (:meth:`Clock.resume`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import models

from sifa.deadlines.calendar import (
    ONE_DAY,
    TimeLimit,
    TimeUnit,
    WorkingCalendar,
    add_working_days,
    corresponding_day,
    next_workday_on_or_after,
    working_days_between,
)

YELLOW_THRESHOLD = 2
"""Yellow warning at this many working days left or fewer (issue 4, item 6)."""

NOTICE_WINDOW = TimeLimit(5, TimeUnit.WORKING_DAYS)
"""行政许可法 §32: one-time notice within 5 days of receipt (working days per §82)."""


class SuspensionKind(models.TextChoices):
    """行政许可法 §45: procedures whose time is not counted in the limit."""

    HEARING = "hearing", "听证"
    TENDER = "tender", "招标"
    AUCTION = "auction", "拍卖"
    INSPECTION = "inspection", "检验"
    TESTING = "testing", "检测"
    QUARANTINE = "quarantine", "检疫"
    APPRAISAL = "appraisal", "鉴定"
    EXPERT_REVIEW = "expert_review", "专家评审"


class WarningLevel(models.TextChoices):
    GREEN = "green", "正常"
    YELLOW = "yellow", "临期"
    RED = "red", "超期"


class ClockError(ValueError):
    """An event that cannot belong to the clock (e.g. a suspension that ends before it starts)."""


@dataclass(frozen=True)
class Suspension:
    kind: SuspensionKind
    started_on: dt.date
    ended_on: dt.date | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", SuspensionKind(self.kind))
        if self.ended_on is not None and self.ended_on < self.started_on:
            raise ClockError("中止结束日期不能早于开始日期")

    @property
    def is_open(self) -> bool:
        return self.ended_on is None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "kind": str(self.kind),
            "started_on": self.started_on.isoformat(),
            "ended_on": self.ended_on.isoformat() if self.ended_on else None,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Suspension:
        ended = data.get("ended_on")
        return cls(
            kind=SuspensionKind(data["kind"]),
            started_on=dt.date.fromisoformat(str(data["started_on"])),
            ended_on=dt.date.fromisoformat(str(ended)) if ended else None,
            reason=str(data.get("reason", "")),
        )


@dataclass(frozen=True)
class Extension:
    """An approved extension of ``days`` in the clock's counting unit (工作日 for 行政许可法 clocks)."""

    days: int
    approved_by: str
    reason: str
    granted_on: dt.date

    def __post_init__(self) -> None:
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days <= 0:
            raise ClockError("延长天数必须是正整数")

    def as_dict(self) -> dict[str, object]:
        return {
            "days": self.days,
            "approved_by": self.approved_by,
            "reason": self.reason,
            "granted_on": self.granted_on.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Extension:
        return cls(
            days=int(data["days"]),  # type: ignore[arg-type]
            approved_by=str(data.get("approved_by", "")),
            reason=str(data.get("reason", "")),
            granted_on=dt.date.fromisoformat(str(data["granted_on"])),
        )


@dataclass(frozen=True)
class ClockStatus:
    """The computed state of a clock as of ``as_of``.

    ``due_on`` is the last day of the period; while paused it is ``None`` and ``projected_due_on``
    says where it would fall if the clock resumed tomorrow. ``working_days_left`` counts the
    unsuspended working days after ``as_of`` up to the due date (0 on the due date itself,
    negative once overdue: −1 from the day after the due date even when that is a rest day, so a
    limit missed on a Friday is red on the Saturday, not 今日到期).
    """

    as_of: dt.date
    due_on: dt.date | None
    projected_due_on: dt.date
    working_days_left: int
    warning_level: WarningLevel
    paused: bool
    stopped: bool
    suspended_working_days: int


def warning_level_for(working_days_left: int) -> WarningLevel:
    if working_days_left < 0:
        return WarningLevel.RED
    if working_days_left <= YELLOW_THRESHOLD:
        return WarningLevel.YELLOW
    return WarningLevel.GREEN


def _merged(intervals: Iterable[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """Sort half-open intervals and merge overlaps, so no suspended day is removed twice."""
    merged: list[tuple[dt.date, dt.date]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class Clock:
    """One time limit running from ``started_on`` (which does not count, 民法典 §201)."""

    started_on: dt.date
    limit: TimeLimit
    suspensions: tuple[Suspension, ...] = ()
    extensions: tuple[Extension, ...] = ()
    stopped_on: dt.date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "suspensions", tuple(self.suspensions))
        object.__setattr__(self, "extensions", tuple(self.extensions))
        if sum(1 for s in self.suspensions if s.is_open) > 1:
            raise ClockError("同一时限不能同时有两个未结束的中止")
        if self.stopped_on is not None and self.stopped_on < self.started_on:
            raise ClockError("办结日期不能早于起算日期")

    # -- events, returning new clocks ------------------------------------------------------
    def suspend(self, kind: SuspensionKind, on: dt.date, reason: str = "") -> Clock:
        if self.paused:
            raise ClockError("时限已中止，请先恢复计时")
        return self._with(suspensions=(*self.suspensions, Suspension(kind, on, None, reason)))

    def resume(self, on: dt.date) -> Clock:
        open_ones = [s for s in self.suspensions if s.is_open]
        if not open_ones:
            raise ClockError("时限未处于中止状态")
        current = open_ones[0]
        if on == current.started_on:
            # Resumed the day it began: the half-open interval removes no day, so the clock keeps
            # nothing of it (the case timeline and the audit trail record both commands). A
            # clock's events grow with the days it was suspended, never with the commands given.
            return self._with(suspensions=tuple(s for s in self.suspensions if s is not current))
        closed = Suspension(current.kind, current.started_on, on, current.reason)
        return self._with(suspensions=tuple(closed if s is current else s for s in self.suspensions))

    def extend(self, days: int, approved_by: str, reason: str, on: dt.date) -> Clock:
        return self._with(extensions=(*self.extensions, Extension(days, approved_by, reason, on)))

    def stop(self, on: dt.date) -> Clock:
        if self.paused:
            raise ClockError("时限中止期间不能办结，请先恢复计时")
        return self._with(stopped_on=on)

    def _with(self, **changes: object) -> Clock:
        values = {
            "started_on": self.started_on,
            "limit": self.limit,
            "suspensions": self.suspensions,
            "extensions": self.extensions,
            "stopped_on": self.stopped_on,
            **changes,
        }
        return Clock(**values)  # type: ignore[arg-type]

    @property
    def paused(self) -> bool:
        return any(s.is_open for s in self.suspensions)

    # -- computation ----------------------------------------------------------------------
    def _intervals(self, as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
        """Closed suspensions as they are; an open one as if the clock resumed the day after ``as_of``."""
        return _merged(
            (s.started_on, s.ended_on or max(as_of, s.started_on) + ONE_DAY) for s in self.suspensions
        )

    def _total(self) -> tuple[int, bool]:
        """(days to count, counted in working days?). A month limit becomes the calendar days to the
        corresponding day (民法典 §202), so suspensions and extensions then work in calendar days."""
        extra = sum(e.days for e in self.extensions)
        if self.limit.unit == TimeUnit.WORKING_DAYS:
            return self.limit.value + extra, True
        if self.limit.unit == TimeUnit.CALENDAR_DAYS:
            return self.limit.value + extra, False
        months_end = corresponding_day(self.started_on, self.limit.value)
        return (months_end - self.started_on).days + extra, False

    def due_on(self, calendar: WorkingCalendar, as_of: dt.date | None = None) -> dt.date:
        """The last day of the period; with an open suspension, as if resumed the day after ``as_of``."""
        total, working = self._total()
        intervals = self._intervals(as_of or self.started_on)

        def counted(after: dt.date, upto: dt.date) -> int:
            if working:
                return working_days_between(calendar, after, upto)
            return (upto - after).days

        def advance(after: dt.date, n: int) -> dt.date:
            if working:
                return add_working_days(calendar, after, n)
            return after + dt.timedelta(days=n)

        current, remaining = self.started_on, total
        for start, end in intervals:
            if start > current:
                available = counted(current, start - ONE_DAY)
                if remaining <= available:
                    break
                remaining -= available
            current = max(current, end - ONE_DAY)
        result = advance(current, remaining)
        # 民法典 §203: a period ending on a rest day ends on the next working day.
        return result if working else next_workday_on_or_after(calendar, result)

    def _suspended_working_days(
        self,
        calendar: WorkingCalendar,
        after: dt.date,
        upto: dt.date,
        intervals: Sequence[tuple[dt.date, dt.date]],
    ) -> int:
        total = 0
        for start, end in intervals:
            low, high = max(after, start - ONE_DAY), min(upto, end - ONE_DAY)
            if high > low:
                total += working_days_between(calendar, low, high)
        return total

    def status(self, calendar: WorkingCalendar, as_of: dt.date) -> ClockStatus:
        """The state as of ``as_of`` (a stopped clock is frozen at its stop date)."""
        effective = min(as_of, self.stopped_on) if self.stopped_on else as_of
        due = self.due_on(calendar, effective)
        intervals = self._intervals(effective)
        if effective <= due:
            left = working_days_between(calendar, effective, due) - self._suspended_working_days(
                calendar, effective, due, intervals
            )
        else:  # overdue from the day after the due date, a rest day included (at least −1)
            left = min(-1, -working_days_between(calendar, due, effective))
        suspended = self._suspended_working_days(calendar, self.started_on, effective, intervals)
        return ClockStatus(
            as_of=effective,
            due_on=None if self.paused else due,
            projected_due_on=due,
            working_days_left=left,
            warning_level=warning_level_for(left),
            paused=self.paused,
            stopped=self.stopped_on is not None,
            suspended_working_days=suspended,
        )


class NoticeOutcome(models.TextChoices):
    PENDING = "pending", "告知期内"
    ACTED_IN_TIME = "acted_in_time", "已按期处理"
    DEEMED_ACCEPTED = "deemed_accepted", "逾期未告知，视为受理"


@dataclass(frozen=True)
class NoticeWindowStatus:
    due_on: dt.date
    outcome: NoticeOutcome
    deemed_accepted_on: dt.date | None
    working_days_left: int
    warning_level: WarningLevel


@dataclass(frozen=True)
class NoticeWindow:
    """行政许可法 §32: the one-time correction notice is due within 5 working days of receiving the
    materials; if none is given in time, the application counts as accepted on the receipt date."""

    received_on: dt.date
    limit: TimeLimit = field(default=NOTICE_WINDOW)

    def due_on(self, calendar: WorkingCalendar) -> dt.date:
        return self.limit.deadline(calendar, self.received_on)

    def status(
        self, calendar: WorkingCalendar, as_of: dt.date, acted_on: dt.date | None = None
    ) -> NoticeWindowStatus:
        """``acted_on``: the day the agency sent the notice, accepted or refused (None if not yet)."""
        due = self.due_on(calendar)
        if acted_on is not None and acted_on <= due:
            outcome, deemed = NoticeOutcome.ACTED_IN_TIME, None
        elif (acted_on or as_of) > due:
            # A late notice cannot undo §32(4): acceptance already happened on the receipt date.
            outcome, deemed = NoticeOutcome.DEEMED_ACCEPTED, self.received_on
        else:
            outcome, deemed = NoticeOutcome.PENDING, None
        effective = min(as_of, acted_on) if acted_on else as_of
        left = working_days_between(calendar, effective, due)
        return NoticeWindowStatus(due, outcome, deemed, left, warning_level_for(left))


@dataclass(frozen=True)
class StagePlan:
    stage: str
    starts_on: dt.date
    due_on: dt.date


def plan_stages(
    calendar: WorkingCalendar, start: dt.date, stages: Sequence[tuple[str, TimeLimit]]
) -> list[StagePlan]:
    """The expected sub-clocks of a multi-level item if each stage hands over on its due date
    (e.g. 律师执业许可: 市级审查 20 工作日, then 省级决定 10 工作日). The real sub-clocks start on the
    actual hand-over day; this is the plan shown before that."""
    plans, current = [], start
    for stage, limit in stages:
        due = limit.deadline(calendar, current)
        plans.append(StagePlan(stage, current, due))
        current = due
    return plans
