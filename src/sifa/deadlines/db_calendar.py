"""The working calendar read from the ``CalendarDay`` table, cached per year in the process.

A year is loaded once (one indexed query) and reused. Every ``ttl`` seconds the cached year checks
its ``CalendarYear.revision`` (one tiny query) and reloads only if an administrator changed it;
edits made in this process invalidate the cache at once (``forget``).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sifa.deadlines.calendar import CalendarDataMissing
from sifa.deadlines.models import CalendarDay, CalendarYear

DEFAULT_TTL_SECONDS = 60.0


@dataclass
class _CachedYear:
    revision: int
    checked_at: float
    workdays: tuple[dt.date, ...]


_cache: dict[int, _CachedYear] = {}
_lock = threading.Lock()


def forget(year: int | None = None) -> None:
    """Drop the cached copy of ``year`` (all years when None)."""
    with _lock:
        if year is None:
            _cache.clear()
        else:
            _cache.pop(year, None)


class DatabaseCalendar:
    """``WorkingCalendar`` over the calendar table; raises ``CalendarDataMissing`` for an incomplete year."""

    def __init__(self, ttl: float = DEFAULT_TTL_SECONDS) -> None:
        self.ttl = ttl

    def workdays(self, year: int) -> Sequence[dt.date]:
        now = time.monotonic()
        cached = _cache.get(year)
        if cached is not None and now - cached.checked_at < self.ttl:
            return cached.workdays
        revision = (
            CalendarYear.objects.filter(year=year, complete=True).values_list("revision", flat=True).first()
        )
        if revision is None:
            forget(year)
            raise CalendarDataMissing(year)
        if cached is not None and cached.revision == revision:
            cached.checked_at = now
            return cached.workdays
        days = tuple(
            CalendarDay.objects.filter(
                date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31), is_workday=True
            )
            .order_by("date")
            .values_list("date", flat=True)
        )
        with _lock:
            _cache[year] = _CachedYear(revision, now, days)
        return days
