"""Every GB/T 2260 address code that was ever valid, for checking 公民身份号码.

A 公民身份号码 is "唯一的、终身不变的身份代码" (居民身份证法 §3): its first six digits are the
address code of the place where it was first issued and never change when that county is merged
or renamed. So a number beginning ``110103`` (崇文区, merged into 东城区 in 2010) is a real number,
while the region table (``sifa.organisations``) holds only today's codes, which are what new
organisations and residence addresses use.

The list ships as ``data/gb2260_history.csv.gz`` (6,959 codes, 1980-12 to 2026-09), derived by
``data/derive_gb2260_history.py`` from public copies of the 民政部 lists; docs/regions.md gives
the sources, their licences and the limits.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HISTORY_FILE = Path(__file__).with_name("data") / "gb2260_history.csv.gz"


@dataclass(frozen=True)
class HistoricalDivision:
    """One code as the published lists show it: its latest name and the first and last list
    (YYYYMM) that contain it. ``last_seen`` is the vintage of the newest list that still has it,
    not a date of abolition."""

    code: str
    name: str
    first_seen: str
    last_seen: str


@cache
def _history() -> dict[str, HistoricalDivision]:
    with gzip.open(HISTORY_FILE, "rt", encoding="utf-8", newline="") as handle:
        return {
            row["code"]: HistoricalDivision(row["code"], row["name"], row["first_seen"], row["last_seen"])
            for row in csv.DictReader(handle)
        }


def historical_division(code: str) -> HistoricalDivision | None:
    """The division a six-digit code denotes (or denoted), or None if it never was a GB/T 2260 code."""
    return _history().get(code)


def is_ever_valid(code: str) -> bool:
    """Whether ``code`` was a GB/T 2260 code at any time covered by the shipped lists."""
    return code in _history()
