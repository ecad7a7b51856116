"""Deadline commands — the only write path of the deadlines app. Each is atomic and audited.

Split by resource: ``calendar_table`` (seed from chinese-calendar, edit a day, enter a year, the
calendar-data alert), ``notices`` (the State Council's holiday notice: draft, publish), ``clocks``
(start, suspend, resume, extend, stop a stored clock; recomputation) and ``refresh`` (the periodic
recomputation of every open clock, and the run after a published notice). The arithmetic they use
is pure and lives outside: ``calendar``, ``clocks``, ``provisional``; reads are in ``selectors``,
``notices`` and ``db_calendar``.
"""

from sifa.deadlines.services.calendar_table import (
    SeedResult,
    chinese_calendar_years,
    define_year,
    record_calendar_alert,
    seed_calendar,
    set_day,
    write_year,
)
from sifa.deadlines.services.clocks import (
    extend_clock,
    recompute,
    resume_clock,
    resume_clocks,
    start_clock,
    start_notice_window,
    stop_clock,
    suspend_clock,
    suspend_clocks,
)
from sifa.deadlines.services.notices import publish_notice, save_notice_draft
from sifa.deadlines.services.refresh import (
    BATCH_SIZE,
    RefreshResult,
    recompute_open_clocks,
    refresh_warnings,
)

__all__ = [
    "BATCH_SIZE",
    "RefreshResult",
    "SeedResult",
    "chinese_calendar_years",
    "define_year",
    "extend_clock",
    "publish_notice",
    "recompute",
    "recompute_open_clocks",
    "record_calendar_alert",
    "refresh_warnings",
    "resume_clock",
    "resume_clocks",
    "save_notice_draft",
    "seed_calendar",
    "set_day",
    "start_clock",
    "start_notice_window",
    "stop_clock",
    "suspend_clock",
    "suspend_clocks",
    "write_year",
]
