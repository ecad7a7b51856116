"""Reads of one case's clocks (``sifa.deadlines.ClockState`` rows keyed by the application's id).

The clocks are started, stopped and held by ``sifa.workflow.services.clocks`` inside the commands;
this module only reads them — for the commands, the transition table's guards, the staff case view
(API and workbench) and the tests. Stage sub-clocks are labelled ``"<order>.<round>:<name>"``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from sifa.catalogue.models import ItemVersion, LimitStart, Stage
from sifa.core.db import PreparedQuery
from sifa.deadlines.calendar import TimeLimit, TimeUnit
from sifa.deadlines.clocks import SuspensionKind
from sifa.deadlines.models import ClockPurpose, ClockState

SUBJECT_TYPE = "application"
CASE_PURPOSES = (ClockPurpose.LEGAL, ClockPurpose.PROMISED)
NOT_COUNTED_KIND = SuspensionKind.EXPERT_REVIEW
"""The §45 category a not-counted stage is recorded under: 考核 is an assessment by experts."""

_UNITS = {
    "working_day": TimeUnit.WORKING_DAYS,
    "calendar_day": TimeUnit.CALENDAR_DAYS,
    "month": TimeUnit.MONTHS,
}


def time_limit(value: int | None, unit: str) -> TimeLimit | None:
    """The catalogue's (value, unit) as a deadlines ``TimeLimit``; None when the item sets none."""
    if value is None or unit not in _UNITS:
        return None
    return TimeLimit(value, _UNITS[unit])


def case_clocks(application: Any) -> QuerySet[ClockState]:
    return ClockState.objects.filter(subject_type=SUBJECT_TYPE, subject_id=str(application.pk))


def running_clocks(application: Any) -> list[ClockState]:
    """The case's running clocks, by id; those :func:`hold_running_clocks` locked, when it did."""
    held = application.__dict__.get(HELD)
    if held is not None:
        return held
    return list(case_clocks(application).filter(stopped_on__isnull=True).order_by("id"))


HELD = "_held_running_clocks"
HELD_ALL = "_held_clocks"
_CASE_LOCKED = PreparedQuery(
    lambda subject_id: (
        ClockState.objects.filter(subject_type=SUBJECT_TYPE, subject_id=subject_id)
        .order_by("id")
        .select_for_update()
    ),
    "\x00subject",
)
"""All the case's clocks, locked: one statement compiled once (on every case command)."""


def hold_running_clocks(application: Any) -> list[ClockState]:
    """Lock the case's clocks (``SELECT … FOR UPDATE``) and keep them on ``application`` for the
    rest of a case command (suspend, resume, extend): its guard, its handler — which changes the
    running ones in place (``deadlines.services``) — and its answer (:func:`held_clocks`) read them
    from here, not from the database again. The stopped clocks are read (and locked) with the
    running ones, so the answer needs no statement of its own; no command changes a stopped clock,
    and the periodic refresh (``refresh-deadlines``) reads only running ones. A case command neither
    starts nor stops a clock, so the lists stay whole. Returns the running clocks, by id."""
    every = _CASE_LOCKED.rows(str(application.pk))
    held = [clock for clock in every if clock.stopped_on is None]
    application.__dict__[HELD_ALL] = every
    application.__dict__[HELD] = held
    return held


def held_clocks(application: Any) -> list[ClockState] | None:
    """All the case's clocks, by id, as :func:`hold_running_clocks` locked them and the command
    changed them (each as stored now); None outside a case command."""
    return application.__dict__.get(HELD_ALL)


def stages_of(version: ItemVersion) -> dict[int, Stage]:
    return {stage.order: stage for stage in Stage.objects.filter(process__version=version)}


def counts_from_receipt(application: Any) -> bool:
    return application.version.limit_start == LimitStart.RECEIPT and application.received_at is not None


def received_on(application: Any) -> dt.date:
    return timezone.localdate(application.received_at)


def stage_prefix(order: int) -> str:
    return f"{order}."


def running_stage_clock(application: Any, order: int) -> ClockState | None:
    return (
        case_clocks(application)
        .filter(purpose=ClockPurpose.STAGE, stopped_on__isnull=True, stage__startswith=stage_prefix(order))
        .first()
    )


def case_clocks_paused(application: Any) -> bool:
    """Whether the legal (or promised) clock is suspended, by a §45 command or a not-counted stage."""
    return any(c.to_clock().paused for c in running_clocks(application) if c.purpose in CASE_PURPOSES)


def legal_clock(application: Any) -> ClockState | None:
    """The case's current legal clock (the latest: a correction before acceptance stops the first)."""
    return case_clocks(application).filter(purpose=ClockPurpose.LEGAL).order_by("-id").first()
