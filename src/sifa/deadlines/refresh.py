"""The periodic job: recompute due dates and warning levels of every open clock.

Safe with several workers at once: each batch is one transaction that locks its rows with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (workers split the work, none waits), and every
write is conditional on the row's ``version`` being the one read, so a command that changed the
clock meanwhile (suspend, extend …) is never overwritten by a stale computation. SQLite has a
single writer, so the conditional update alone suffices there.

A due date only moves here when the calendar changed under it (a published notice, an edited day):
commands write their own. Each batch sends ``due_dates_moved`` with the clocks whose due date moved,
inside its transaction, so the owners are told exactly once (the write is also conditional on the
old due date, so two workers never both report one move).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import connection, transaction

from sifa.deadlines.calendar import WorkingCalendar
from sifa.deadlines.clock_services import recompute
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.models import ClockState
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
                    moves.append(_move(state, before[0]))
            if moves:
                moved += len(moves)
                _tell(moves)
    return RefreshResult(examined, changed, missing, moved)


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
