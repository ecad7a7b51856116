"""The working calendar read from the ``CalendarDay`` table, cached per year in the process.

A year is loaded once (one indexed query) and reused. Every ``ttl`` seconds the cached year checks
its ``CalendarYear.revision`` (one tiny query) and reloads only if an administrator changed it;
edits made in this process invalidate the cache at once (``forget``).

A year without complete official data is *provisional*: its working days come from the rules of
《全国年节及纪念日放假办法》 (``sifa.deadlines.provisional``), cached the same way, until the year is
entered. Partial manual edits of such a year are not used until it is complete. Outside the years the
rules cover, ``CalendarDataMissing`` is raised.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Sum

from sifa.deadlines import provisional
from sifa.deadlines.calendar import CalendarDataMissing
from sifa.deadlines.models import CalendarDay, CalendarYear

DEFAULT_TTL_SECONDS = 60.0


@dataclass
class _CachedYear:
    revision: int | None
    """The official year's revision; None for a provisional year."""
    checked_at: float
    workdays: tuple[dt.date, ...]

    @property
    def provisional(self) -> bool:
        return self.revision is None


_cache: dict[int, _CachedYear] = {}
_lock = threading.Lock()


def forget(year: int | None = None) -> None:
    """Drop the cached copy of ``year`` (all years when None)."""
    with _lock:
        if year is None:
            _cache.clear()
        else:
            _cache.pop(year, None)


_seen: list[int | None] = [None]
"""The calendar table's stamp when this process last dropped its copies (:func:`ensure_current`)."""


def ensure_current() -> None:
    """Drop this process's copies of every year if the calendar table changed since it last looked
    (one query): the stamp is the sum of the years' revisions, which every change of the table
    raises (a year's ``revision`` only goes up, a new year adds one, none is deleted). For a reader
    that keeps what it computes beyond the cache's minute — the dashboard's answer cache
    (``sifa.indicators.selectors``) — so nothing counted on a year's old days is kept under a
    validator read after the change."""
    stamp = CalendarYear.objects.aggregate(stamp=Sum("revision"))["stamp"] or 0
    if stamp != _seen[0]:
        forget()
        _seen[0] = stamp


class DatabaseCalendar:
    """``WorkingCalendar`` over the calendar table, provisional where a year is not complete;
    raises ``CalendarDataMissing`` for a year that is neither."""

    def __init__(self, ttl: float = DEFAULT_TTL_SECONDS) -> None:
        self.ttl = ttl

    def workdays(self, year: int) -> Sequence[dt.date]:
        return self._year(year).workdays

    def is_provisional(self, year: int) -> bool:
        return self._year(year).provisional

    def _year(self, year: int) -> _CachedYear:
        now = time.monotonic()
        cached = _cache.get(year)
        if cached is not None and now - cached.checked_at < self.ttl:
            return cached
        revision = (
            CalendarYear.objects.filter(year=year, complete=True).values_list("revision", flat=True).first()
        )
        if revision is None:
            if not provisional.covers(year):
                forget(year)
                raise CalendarDataMissing(year)
            entry = _CachedYear(None, now, provisional.provisional_year(year).workdays)
        elif cached is not None and cached.revision == revision:
            cached.checked_at = now
            return cached
        else:
            days = tuple(
                CalendarDay.objects.filter(
                    date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31), is_workday=True
                )
                .order_by("date")
                .values_list("date", flat=True)
            )
            entry = _CachedYear(revision, now, days)
        with _lock:
            _cache[year] = entry
        return entry
