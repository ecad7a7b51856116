"""办件编号 and notice numbers, counted in :class:`NumberCounter` inside the caller's command.

办件编号 (GB/T 39046 表5 an..50): ``SF`` + the accepting organisation's 6-digit region code (GB/T
2260; ``100000`` for the ministry) + ``yyyymmdd`` + a 6-digit daily sequence, e.g.
``SF33010020261127000001`` (22 characters). The sequence comes from :class:`NumberCounter`, bumped
with one UPDATE under the row lock, so concurrent submissions never collide; the unique index on
``Application.number`` is the last line of defence.

Query codes are not numbered: see :mod:`sifa.applications.query_codes`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, connection, transaction

from sifa.applications.models import NumberCounter

MINISTRY_REGION = "100000"


BUMP = 'UPDATE "applications_numbercounter" SET "last" = "last" + 1 WHERE "key" = %s RETURNING "last"'
"""``last + 1`` under the row lock, read back in the same statement (``RETURNING``: PostgreSQL, and
SQLite ≥ 3.35); the table is :class:`NumberCounter`'s."""


def _bump(key: str) -> int | None:
    """The sequence's next value, or None when it has no row yet."""
    with connection.cursor() as cursor:
        cursor.execute(BUMP, [key])
        row = cursor.fetchone()
    return row[0] if row else None


def next_in_sequence(key: str) -> int:
    """The next value of sequence ``key`` (starting at 1), inside the caller's transaction."""
    value = _bump(key)
    if value is not None:
        return value
    try:
        with transaction.atomic():
            NumberCounter.objects.create(key=key, last=1)
            return 1
    except IntegrityError:
        # Another transaction created the row first; its lock now orders us after it.
        value = _bump(key)
        assert value is not None
        return value


def region_code_of(organisation: Any) -> str:
    region = getattr(organisation, "region", None)
    return (region.code[:6] if region is not None else MINISTRY_REGION).ljust(6, "0")


def application_number(organisation: Any, on: dt.date) -> str:
    prefix = f"SF{region_code_of(organisation)}{on:%Y%m%d}"
    return f"{prefix}{next_in_sequence(prefix):06d}"


def notice_number(organisation: Any, on: dt.date) -> str:
    """一次性告知书 number: ``BZGZ`` + region (6) + year + 6-digit yearly sequence."""
    prefix = f"BZGZ{region_code_of(organisation)}{on:%Y}"
    return f"{prefix}{next_in_sequence(prefix):06d}"
