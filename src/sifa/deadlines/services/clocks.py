"""Commands on stored clocks: start, suspend (§45), resume, extend (§42), stop; and recomputation.

The workflow calls these inside its own command transaction (one atomic step per case command).
Each one locks the clock row, applies the event to the pure :class:`~sifa.deadlines.clocks.Clock`,
stores the events, recomputes the derived columns, bumps ``version`` and writes an audit event;
``suspend_clocks`` and ``resume_clocks`` do the same for several clocks in one step.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from sifa.audit.services import append, record
from sifa.core.db import FixedUpdate, Stale, deferring, fixed_cursor, run_fixed, write
from sifa.core.errors import Conflict, NotFound, ServiceError
from sifa.deadlines.calendar import CalendarDataMissing, TimeLimit, WorkingCalendar, depends_on_provisional
from sifa.deadlines.clocks import NOTICE_WINDOW, Clock, ClockError, SuspensionKind, WarningLevel
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.deadlines.services.calendar_table import record_calendar_alert


def recompute(
    state: ClockState, calendar: WorkingCalendar, today: dt.date, clock: Clock | None = None
) -> bool:
    """Set the derived columns of ``state`` (unsaved) as of ``today``.

    ``provisional`` is set when a day counted from the start up to the (projected) due date lies in
    a provisional calendar year: the due date is 暂定 until that year's official notice is entered.
    Without calendar data the derived columns become unknown (``due_on`` None), the year's alert is
    recorded, and False is returned: the events stay the record and a later refresh fills them in.
    ``clock`` is ``state.to_clock()`` when the caller has it (it just stored it).
    """
    if clock is None:
        clock = state.to_clock()
    try:
        status = clock.status(calendar, today)
        provisional = depends_on_provisional(calendar, clock.started_on, status.projected_due_on)
    except CalendarDataMissing as missing:
        record_calendar_alert(missing.year)
        state.due_on = state.working_days_left = None
        state.provisional = False
        state.refreshed_on = today
        return False
    state.provisional = provisional
    state.due_on = status.due_on
    state.working_days_left = status.working_days_left
    state.warning_level = status.warning_level
    state.paused = status.paused
    state.refreshed_on = today
    return True


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


def start_clock(
    *,
    subject_type: str,
    subject_id: str,
    purpose: str,
    limit: TimeLimit,
    started_on: dt.date,
    scope_path: str,
    stage: str = "",
    actor: Any = None,
    calendar: WorkingCalendar | None = None,
) -> ClockState:
    """Start a clock (e.g. at 受理 for the legal limit, at hand-over for a stage sub-clock)."""
    if purpose not in ClockPurpose.values:
        raise ServiceError("clock.bad_purpose", "时限类型无效")
    with transaction.atomic():
        if ClockState.objects.filter(
            subject_type=subject_type, subject_id=subject_id, purpose=purpose, stage=stage
        ).exists():
            raise Conflict("clock.already_started", "该事项的此项时限已经开始计时")
        state = ClockState(
            subject_type=subject_type,
            subject_id=str(subject_id),
            purpose=purpose,
            stage=stage,
            scope_path=scope_path,
            started_on=started_on,
            limit_value=limit.value,
            limit_unit=str(limit.unit),
        )
        recompute(state, calendar or DatabaseCalendar(), _today(None))
        state.save()
        audit_clock(
            "deadlines.clock.start", state, actor, {"limit": str(limit), "started_on": started_on.isoformat()}
        )
    return state


def start_notice_window(
    *, subject_type: str, subject_id: str, received_on: dt.date, scope_path: str, actor: Any = None
) -> ClockState:
    """行政许可法 §32: the 5-working-day one-time notice window runs from receipt of the materials."""
    return start_clock(
        subject_type=subject_type,
        subject_id=subject_id,
        purpose=ClockPurpose.NOTICE_WINDOW,
        limit=NOTICE_WINDOW,
        started_on=received_on,
        scope_path=scope_path,
        actor=actor,
    )


CHANGED_COLUMNS = [
    "suspensions",
    "extensions",
    "stopped_on",
    "version",
    "due_on",
    "working_days_left",
    "warning_level",
    "paused",
    "provisional",
    "refreshed_on",
]
"""What an event changes on a clock: its events and the derived columns."""
_CLOCK_UPDATE = FixedUpdate(ClockState, *CHANGED_COLUMNS)


_CHECKED_SQL: dict[str, str] = {}


def _checked_sql(db) -> str:
    """:data:`_CLOCK_UPDATE`'s statement, only where ``version`` is still the one read."""
    found = _CHECKED_SQL.get(db.vendor)
    if found is None:
        found = _CHECKED_SQL[db.vendor] = f"{_CLOCK_UPDATE.sql(db)} AND {db.ops.quote_name('version')} = %s"
    return found


def _update_checked(db, sql: str, rows: list[list]) -> None:
    """:func:`_checked_sql` for each row (its last parameter the version read);
    :class:`~sifa.core.db.Stale` if one moved (the command reads the clocks again)."""
    if run_fixed(db, sql, rows, many=True) != len(rows):
        raise Stale


def _change(
    clock: int | ClockState,
    action: str,
    apply,
    detail: dict[str, Any],
    actor: Any,
    calendar: WorkingCalendar | None,
    audit_into: list[dict[str, Any]] | None = None,
) -> ClockState:
    return _change_many([clock], action, apply, detail, actor, calendar, audit_into)[0]


def _change_many(
    clocks: list[int] | list[ClockState],
    action: str,
    apply,
    detail: dict[str, Any],
    actor: Any,
    calendar: WorkingCalendar | None,
    audit_into: list[dict[str, Any]] | None = None,
) -> list[ClockState]:
    """Apply one event to each clock: one locking read and one audit append for all (a case
    command moves the legal, promised and stage clocks of the case together).

    ``clocks`` are ids, or rows the caller already read with ``select_for_update`` in its own
    transaction (the workflow's case commands lock the case's running clocks once and share them
    between the guard, the handler and the answer): those are changed in place, not read again.
    Every event is applied before anything is written, so a refused one (409) leaves no write
    behind and needs no savepoint. With ``audit_into`` the audit events are added to that list for
    the caller to append, in the same transaction, together with its own (one chain append per
    command): ``audit.services.append``."""
    if not clocks:
        return []
    # Deferred (``core.db.deferred_writes``): nothing is written here, so no transaction is opened
    # (on SQLite that would take the write lock the command prepares before).
    with contextlib.nullcontext() if deferring() else transaction.atomic(savepoint=False):
        if isinstance(clocks[0], ClockState):
            states = sorted(clocks, key=lambda state: state.pk)
        else:
            states = list(ClockState.objects.select_for_update().filter(pk__in=clocks).order_by("id"))
            if len(states) != len(set(clocks)):
                states = None
        refused, moved = None, []
        for state in states or ():
            try:
                moved.append(apply(state.to_clock()))
            except ClockError as error:
                refused = error
                break
        if states and refused is None:
            calendar = calendar or DatabaseCalendar()
            today = _today(None)
            for state, clock in zip(states, moved, strict=True):
                state.store_clock(clock)
                state.version += 1
                recompute(state, calendar, today, clock)
            # One statement for all (``save(update_fields=CHANGED_COLUMNS)`` per clock, without
            # compiling it each time; Django's bulk_update would build a CASE per column and row).
            db = connections[DEFAULT_DB_ALIAS]  # not the proxy: each field's preparation reads it
            if deferring():
                # Written later, under the command's lock (``core.db.deferred_writes``): each row
                # only if its version is still the one read, else the command is read again.
                rows = [[*_CLOCK_UPDATE.params(state, db), state.version - 1] for state in states]
                sql = _checked_sql(db)
                write(lambda: _update_checked(db, sql, rows))
            else:
                rows = [_CLOCK_UPDATE.params(state, db) for state in states]
                with fixed_cursor(db) as cursor:
                    if db.vendor == "postgresql":
                        # One statement for all the rows: one execution on the server, not one per
                        # row as ``executemany``'s pipeline sends them.
                        many = len(rows) > 1
                        sql = _CLOCK_UPDATE.sql_rows(db, len(rows)) if many else _CLOCK_UPDATE.sql(db)
                        cursor.execute(sql, [value for row in rows for value in row])
                    else:
                        cursor.executemany(_CLOCK_UPDATE.sql(db), rows)
            events = [_audit_values(action, state, actor, detail) for state in states]
            if audit_into is None:
                append(events)
            else:
                audit_into.extend(events)
    if states is None:
        raise NotFound("时限记录不存在", code="clock.not_found")
    if refused is not None:
        raise Conflict("clock.invalid_event", str(refused)) from refused
    return states


def suspend_clock(
    clock_id: int,
    *,
    kind: str,
    on: dt.date,
    reason: str,
    actor: Any = None,
    calendar: WorkingCalendar | None = None,
) -> ClockState:
    """行政许可法 §45: stop counting from ``on`` until resumed (hearing, expert review, …)."""
    return suspend_clocks([clock_id], kind=kind, on=on, reason=reason, actor=actor, calendar=calendar)[0]


def suspend_clocks(
    clock_ids: list[int] | list[ClockState],
    *,
    kind: str,
    on: dt.date,
    reason: str,
    actor: Any = None,
    calendar: WorkingCalendar | None = None,
    audit_into: list[dict[str, Any]] | None = None,
) -> list[ClockState]:
    """:func:`suspend_clock` for several clocks at once (a case's clocks), in one step (ids, or
    rows locked by the caller: see :func:`_change_many`)."""
    if kind not in SuspensionKind.values:
        raise ServiceError(
            "clock.bad_suspension_kind", "中止事由只能是听证、招标、拍卖、检验、检测、检疫、鉴定或专家评审"
        )

    def apply(clock: Clock) -> Clock:
        if on < clock.started_on:
            raise ClockError("中止日期不能早于起算日期")
        if clock.stopped_on:
            raise ClockError("时限已办结，不能中止")
        return clock.suspend(SuspensionKind(kind), on, reason)

    detail = {"kind": kind, "on": on.isoformat(), "reason": reason}
    return _change_many(clock_ids, "deadlines.clock.suspend", apply, detail, actor, calendar, audit_into)


def resume_clock(
    clock_id: int, *, on: dt.date, actor: Any = None, calendar: WorkingCalendar | None = None
) -> ClockState:
    """End the open suspension: counting resumes on ``on``."""
    return resume_clocks([clock_id], on=on, actor=actor, calendar=calendar)[0]


def resume_clocks(
    clock_ids: list[int] | list[ClockState],
    *,
    on: dt.date,
    actor: Any = None,
    calendar: WorkingCalendar | None = None,
    audit_into: list[dict[str, Any]] | None = None,
) -> list[ClockState]:
    """:func:`resume_clock` for several clocks at once (a case's clocks), in one step."""
    return _change_many(
        clock_ids,
        "deadlines.clock.resume",
        lambda clock: clock.resume(on),
        {"on": on.isoformat()},
        actor,
        calendar,
        audit_into,
    )


def extend_clock(
    clock_id: int | ClockState,
    *,
    days: int,
    approved_by: str,
    reason: str,
    on: dt.date,
    actor: Any = None,
    calendar: WorkingCalendar | None = None,
    audit_into: list[dict[str, Any]] | None = None,
) -> ClockState:
    """行政许可法 §42: extend by ``days`` (10 working days) with the head's approval and reasons."""
    if not approved_by.strip() or not reason.strip():
        raise ServiceError("clock.extension_incomplete", "延长期限须写明批准人和理由")

    def apply(clock: Clock) -> Clock:
        if clock.stopped_on:
            raise ClockError("时限已办结，不能延长")
        return clock.extend(days, approved_by, reason, on)

    detail = {"days": days, "approved_by": approved_by, "reason": reason, "on": on.isoformat()}
    return _change(clock_id, "deadlines.clock.extend", apply, detail, actor, calendar, audit_into)


def stop_clock(
    clock_id: int, *, on: dt.date, actor: Any = None, calendar: WorkingCalendar | None = None
) -> ClockState:
    """The stage or case is done on ``on``; the clock's warning is frozen there."""

    def apply(clock: Clock) -> Clock:
        if clock.stopped_on:
            raise ClockError("时限已办结")
        return clock.stop(on)

    return _change(clock_id, "deadlines.clock.stop", apply, {"on": on.isoformat()}, actor, calendar)


def audit_clock(action: str, state: ClockState, actor: Any, detail: dict[str, Any]) -> None:
    """The audit event of a change to ``state``, written into the caller's transaction."""
    record(**_audit_values(action, state, actor, detail))


def _audit_values(action: str, state: ClockState, actor: Any, detail: dict[str, Any]) -> dict[str, Any]:
    return dict(
        action=action,
        actor=actor,
        subject=state,
        scope_path=state.scope_path,
        detail={
            "subject": f"{state.subject_type}:{state.subject_id}",
            "purpose": state.purpose,
            "stage": state.stage,
            "due_on": state.due_on.isoformat() if state.due_on else None,
            "warning_level": state.warning_level or WarningLevel.GREEN,
            **detail,
        },
    )
