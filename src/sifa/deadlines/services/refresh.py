"""The periodic job: recompute due dates and warning levels of every open clock; and the run after a
published holiday notice, which stamps the notice with what it moved.

Safe with several workers at once: each batch is one transaction that locks its rows with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (workers split the work, none waits), and every
write is conditional on the row's ``version`` being the one read, so a command that changed the
clock meanwhile (suspend, extend …) is never overwritten by a stale computation. SQLite has a
single writer, so the conditional update alone suffices there.

A due date only moves here when the calendar changed under it (a published notice, an edited day):
commands write their own. Each moved due date is audited (``deadlines.clock.due_date_moved``, with
the cause) and each batch sends ``due_dates_moved`` with the clocks whose due date moved, inside its
transaction, so the owners are told exactly once (the write is also conditional on the old due date,
so two workers never both report one move). Warning levels and due dates filled in for the first
time are derived values of the day and are not audited.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from sifa.audit.services import record
from sifa.deadlines import db_calendar
from sifa.deadlines.calendar import WorkingCalendar
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.models import CalendarNotice, ClockState, NoticeStatus
from sifa.deadlines.selectors import change_cause
from sifa.deadlines.services.clocks import audit_clock, recompute
from sifa.deadlines.signals import DueDateMove, due_dates_moved

logger = logging.getLogger("sifa.deadlines")

BATCH_SIZE = 500
_DERIVED = ("due_on", "working_days_left", "warning_level", "paused", "provisional", "refreshed_on")


@dataclass(frozen=True)
class RefreshResult:
    examined: int
    changed: int
    missing_calendar: int
    moved: int = 0


def refresh_warnings(
    today: dt.date, *, calendar: WorkingCalendar | None = None, batch_size: int = BATCH_SIZE
) -> RefreshResult:
    """Recompute every open clock as of ``today``; returns how many were examined and changed."""
    calendar = calendar or DatabaseCalendar()
    examined = changed = missing = moved = 0
    last_id = 0
    cause: str | None = None
    lock = connection.features.has_select_for_update_skip_locked
    while True:
        with transaction.atomic():
            rows = ClockState.objects.filter(stopped_on__isnull=True, id__gt=last_id).order_by("id")
            if lock:
                rows = rows.select_for_update(skip_locked=True)
            batch = list(rows[:batch_size])
            if not batch:
                break
            last_id = batch[-1].id
            moves = []
            for state in batch:
                examined += 1
                before = tuple(getattr(state, name) for name in _DERIVED[:-1])
                if not recompute(state, calendar, today):
                    missing += 1
                if tuple(getattr(state, name) for name in _DERIVED[:-1]) == before:
                    continue
                written = ClockState.objects.filter(
                    pk=state.pk, version=state.version, due_on=before[0]
                ).update(**{name: getattr(state, name) for name in _DERIVED})
                changed += written
                if (
                    written
                    and before[0] is not None
                    and state.due_on is not None
                    and state.due_on != before[0]
                ):
                    moves.append((state, _move(state, before[0])))
            if moves:
                moved += len(moves)
                cause = cause or change_cause()
                for state, move in moves:
                    _audit_move(state, move, cause)
                _tell([move for _state, move in moves])
    return RefreshResult(examined, changed, missing, moved)


def recompute_open_clocks(today: dt.date | None = None, *, batch_size: int = BATCH_SIZE) -> RefreshResult:
    """Refresh every open clock, then stamp the published notices that were waiting for it.

    Run after a notice is published (``tasks.recompute_after_notice``) and by every periodic
    ``sifa refresh-deadlines``, so a lost enqueue is made good. Each notice is stamped once (the
    write is conditional), with its audit event in the same transaction.
    """
    # Another process may have cached a year as provisional a moment ago: read the calendar afresh.
    db_calendar.forget()
    result = refresh_warnings(today or timezone.localdate(), batch_size=batch_size)
    waiting = CalendarNotice.objects.filter(status=NoticeStatus.PUBLISHED, recomputed_at__isnull=True)
    for notice in waiting.order_by("pk"):
        with transaction.atomic():
            stamped = CalendarNotice.objects.filter(pk=notice.pk, recomputed_at__isnull=True).update(
                recomputed_at=timezone.now(), clocks_examined=result.examined, clocks_moved=result.moved
            )
            if stamped:
                record(
                    "deadlines.calendar_notice.recompute",
                    subject=notice,
                    detail={
                        "year": notice.year,
                        "document_number": notice.document_number,
                        "clocks_examined": result.examined,
                        "clocks_moved": result.moved,
                    },
                )
    return result


def _audit_move(state: ClockState, move: DueDateMove, cause: str) -> None:
    audit_clock(
        "deadlines.clock.due_date_moved",
        state,
        None,
        {
            "before": move.before.isoformat(),
            "after": move.after.isoformat(),
            "provisional": move.provisional,
            "cause": cause,
        },
    )


def _tell(moves: list[DueDateMove]) -> None:
    """Send ``due_dates_moved`` in a savepoint: if a receiver fails, its writes roll back and the
    failure is logged for monitoring, but the new due dates stay — a broken message must never keep
    every deadline from being refreshed."""
    try:
        with transaction.atomic():
            due_dates_moved.send(sender=ClockState, moves=moves)
    except Exception:
        logger.exception(
            "could not tell the owners of %d moved due dates; the due dates are stored", len(moves)
        )


def _move(state: ClockState, before: dt.date) -> DueDateMove:
    return DueDateMove(
        clock_id=state.pk,
        subject_type=state.subject_type,
        subject_id=state.subject_id,
        purpose=state.purpose,
        stage=state.stage,
        before=before,
        after=state.due_on,
        provisional=state.provisional,
    )
