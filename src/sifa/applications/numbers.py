"""办件编号, query codes and notice numbers.

办件编号 (GB/T 39046 表5 an..50): ``SF`` + the accepting organisation's 6-digit region code (GB/T
2260; ``100000`` for the ministry) + ``yyyymmdd`` + a 6-digit daily sequence, e.g.
``SF33010020261127000001`` (22 characters). The sequence comes from :class:`NumberCounter`, bumped
with one UPDATE under the row lock, so concurrent submissions never collide; the unique index on
``Application.number`` is the last line of defence.

Query codes are 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L); only their
keyed HMAC-SM3 digest is stored, so a database dump does not let anyone track a case.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.db.models import F

from sifa.applications.models import NumberCounter
from sifa.core.crypto import constant_time_equal, field_cipher

QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
QUERY_CODE_LENGTH = 8
_QUERY_CODE_PURPOSE = "applications.query_code"
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


def region_code_of(organisation) -> str:
    region = getattr(organisation, "region", None)
    return (region.code[:6] if region is not None else MINISTRY_REGION).ljust(6, "0")


def application_number(organisation, on: dt.date) -> str:
    prefix = f"SF{region_code_of(organisation)}{on:%Y%m%d}"
    return f"{prefix}{next_in_sequence(prefix):06d}"


def notice_number(organisation, on: dt.date) -> str:
    """一次性告知书 number: ``BZGZ`` + region (6) + year + 6-digit yearly sequence."""
    prefix = f"BZGZ{region_code_of(organisation)}{on:%Y}"
    return f"{prefix}{next_in_sequence(prefix):06d}"


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def query_code_digest(code: str) -> str:
    return field_cipher().blind_index(code.strip().upper(), _QUERY_CODE_PURPOSE)


def query_code_matches(code: str, digest: str) -> bool:
    """Constant-time comparison; an empty stored digest never matches."""
    candidate = query_code_digest(code or "")
    return constant_time_equal(candidate, digest or "0" * len(candidate)) and bool(digest)
