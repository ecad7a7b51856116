"""Signals of the deadlines app, for the apps above it that know whose clocks these are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.dispatch import Signal


@dataclass(frozen=True)
class DueDateMove:
    """A clock whose due date the refresh moved because the calendar changed (e.g. a published notice)."""

    clock_id: int
    subject_type: str
    subject_id: str
    purpose: str
    stage: str
    before: dt.date
    after: dt.date
    provisional: bool
    """Whether the new due date is still 暂定 (it reaches another provisional year)."""


due_dates_moved = Signal()
"""Sent by ``refresh_warnings`` inside the transaction that wrote the new due dates, with
``moves: list[DueDateMove]``. Receivers write their notifications into that transaction."""


calendar_changed = Signal()
"""Sent by the calendar commands (``seed_calendar``, ``set_day``, ``write_year`` — so also
``define_year`` and ``publish_notice``) inside their transaction, after the write, with ``days``:
the frozenset of dates whose working status, as ``DatabaseCalendar`` counts it, changed (every day
of a year that had no data before or has none after). Not sent when no day's status changed (a
renamed holiday, a partial edit of a provisional year). Receivers recount what they stored from
working days in that transaction (``sifa.indicators``: the working days from acceptance to
decision; complaints, consultation and evaluation: the stored due dates of their open items)."""
