"""The months the public pages offer: only months that are over (the current month is not).

A month is a ``datetime.date`` on its first day. December rolls into January of the next year and
January looks back to December of the year before.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")
CHOICES = 12
"""How many past months the period chooser offers (the newest first)."""


def previous(month: dt.date) -> dt.date:
    return dt.date(month.year - 1, 12, 1) if month.month == 1 else dt.date(month.year, month.month - 1, 1)


def following(month: dt.date) -> dt.date:
    return dt.date(month.year + 1, 1, 1) if month.month == 12 else dt.date(month.year, month.month + 1, 1)


def latest_month(today: dt.date | None = None) -> dt.date:
    """The last month that is over: the month before today's."""
    today = today or timezone.localdate()
    return previous(today.replace(day=1))


def past_months(today: dt.date | None = None, count: int = CHOICES) -> list[dt.date]:
    months = [latest_month(today)]
    while len(months) < count:
        months.append(previous(months[-1]))
    return months


def parse_month(value: str, today: dt.date | None = None) -> dt.date | None:
    """``YYYY-MM`` of a month that is over, or None (empty, malformed, current or future)."""
    match = PERIOD_RE.match((value or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2999:
        return None
    month = dt.date(int(match[1]), int(match[2]), 1)
    return month if month <= latest_month(today) else None


def key(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def label(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def last_day(month: dt.date) -> dt.date:
    return following(month) - dt.timedelta(days=1)
