"""The ``--date`` option of the workflow's periodic jobs: run as of a day (YYYY-MM-DD), default today.

(A module whose name starts with ``_`` is not a command.)"""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser

from django.core.management.base import CommandError
from django.utils import timezone


def add_date_option(parser: ArgumentParser) -> None:
    parser.add_argument("--date", help="按指定日期计算（YYYY-MM-DD，默认今天）")


def as_of(date: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(date) if date else timezone.localdate()
    except ValueError as bad:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{date}") from bad
