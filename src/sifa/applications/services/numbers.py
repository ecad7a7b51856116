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

from django.db import IntegrityError, transaction
from django.db.models import F

from sifa.applications.models import NumberCounter

MINISTRY_REGION = "100000"


def next_in_sequence(key: str) -> int:
    """The next value of sequence ``key`` (starting at 1), inside the caller's transaction."""
    with transaction.atomic():
        if not NumberCounter.objects.filter(key=key).update(last=F("last") + 1):
            try:
                with transaction.atomic():
                    NumberCounter.objects.create(key=key, last=1)
                    return 1
            except IntegrityError:
                # Another transaction created the row first; its lock now orders us after it.
                NumberCounter.objects.filter(key=key).update(last=F("last") + 1)
        return NumberCounter.objects.values_list("last", flat=True).get(key=key)


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
