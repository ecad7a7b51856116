"""What the indicator pages, the CSV download and the monthly 通报 show, built on the scoped
selectors (``sifa.indicators.selectors``); it writes nothing.

* :class:`Month` and :func:`parse_period` — the period a page or the API is asked for
  (``YYYY-MM``); a malformed one is ``indicators.bad_period`` and a month not begun yet
  ``indicators.future_period`` (400, Chinese message).
* :func:`offered_months` — the months the period chooser offers: every month of this year and of
  last year up to the current one (so in December the whole year is there, and in January the whole
  of last year), newest first; never a month in the future.
* :data:`METRICS` — the figures shown, in the stable order of the page, the CSV and the PDF.
* :func:`fell_behind` — the rule of the 通报's “落后单位” list (docs/indicators.md).
* :func:`csv_bytes` — the children table as CSV (UTF-8 with BOM, Chinese headers, formula-safe).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sifa.core.csvcells import safe_cell
from sifa.core.errors import ServiceError

PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class BadPeriod(ServiceError):
    status = 400


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def axis(self) -> str:
        """The chart's axis label: 1月 … 12月 (the year is in the caption and the data table)."""
        return f"{self.month}月"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def shift(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return self.key


def month_is_over(month: Month, today: dt.date) -> bool:
    """Whether ``month`` has ended by ``today`` (its 通报 may be issued from the next month's first day)."""
    return Month.of(today) > month


def last_complete(today: dt.date) -> Month:
    return Month.of(today).shift(-1)


def parse_period(text: str | None, today: dt.date) -> Month:
    """``YYYY-MM`` → :class:`Month`; empty → the last complete month."""
    if text is None or text == "":
        return last_complete(today)
    match = PERIOD.match(str(text))
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
        raise BadPeriod("indicators.bad_period", "统计期间格式不正确，应为“年-月”，如 2026-11")
    month = Month(int(match[1]), int(match[2]))
    if month > Month.of(today):
        raise BadPeriod("indicators.future_period", f"{month.label}尚未开始，没有统计数据")
    return month


def offered_months(today: dt.date) -> list[Month]:
    """This year's and last year's months up to the current one, newest first."""
    current = Month.of(today)
    first = Month(current.year - 1, 1)
    months = []
    month = current
    while month >= first:
        months.append(month)
        month = month.shift(-1)
    return months


def trend_months(month: Month, count: int = 12) -> list[Month]:
    """The ``count`` months ending with ``month``, oldest first (December: the whole year)."""
    return [month.shift(-i) for i in range(count - 1, -1, -1)]


# --- the figures shown ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    key: str  # the attribute of the selectors' figures
    label: str  # the column header, Chinese
    unit: str  # "件", "%", "个工作日"
    higher_is_better: bool | None = True  # None: a volume, not ranked better or worse
    rankable: bool = True

    @property
    def is_rate(self) -> bool:
        return self.unit == "%"


METRICS: tuple[Metric, ...] = (
    Metric("received", "收件数", "件", None),
    Metric("accepted", "受理数", "件", None),
    Metric("decided", "办结数", "件", None),
    Metric("legal_on_time_rate", "法定时限内办结率", "%"),
    Metric("promised_on_time_rate", "承诺时限内办结率", "%"),
    Metric("legal_overdue", "超法定时限件数", "件", False),
    Metric("average_working_days", "平均办理用时", "个工作日", False),
    Metric("instant_share", "即办件占比", "%"),
    Metric("online_share", "网办率", "%"),
    Metric("once_only_share", "材料免提交率", "%"),
    Metric("correction_rate", "补正率", "%", False),
    Metric("ratings", "评价数", "件", None),
    Metric("satisfaction_rate", "满意率", "%"),
    Metric("rectification_rate", "差评整改率", "%"),
    Metric("complaints_received", "投诉举报数", "件", None),
    Metric("checks_done", "随机抽查评查件数", "件", None),
    Metric("check_issue_rate", "随机抽查问题率", "%", False),
)
METRIC_BY_KEY = {m.key: m for m in METRICS}
RANKED = tuple(m for m in METRICS if m.higher_is_better is not None)
DEFAULT_RANKING = "legal_on_time_rate"


def value(figures: Any, metric: Metric) -> float | None:
    """The figure of ``metric``; a rate without a denominator is ``None`` (shown as “—”)."""
    raw = getattr(figures, metric.key, None)
    if raw is None:
        return None
    if metric.is_rate:  # the selectors' rates are fractions
        return float(raw) * 100
    return raw if isinstance(raw, int) else float(raw)


def display(number: float | None, metric: Metric) -> str:
    if number is None:
        return "—"
    if metric.is_rate:
        return f"{number:.1f}%"
    if metric.unit == "个工作日":
        return f"{number:.1f}"
    return f"{int(number)}"


@dataclass(frozen=True)
class Cell:
    metric: Metric
    number: float | None

    @property
    def text(self) -> str:
        return display(self.number, self.metric)


def cells(figures: Any, metrics: Sequence[Metric] = METRICS) -> list[Cell]:
    return [Cell(m, value(figures, m)) for m in metrics]


# --- 落后单位: who fell behind -----------------------------------------------------------------

#: 法定时限内办结率 more than this many percentage points below the average of its peers
ON_TIME_GAP = 5.0
#: 满意率 below this (with at least one rating)
SATISFACTION_FLOOR = 90.0


def peer_average(rows: Iterable[tuple[Any, Any]], metric: Metric) -> float | None:
    """The unweighted mean of the peers that have the figure (``None`` when none has)."""
    numbers = [n for _org, figures in rows if (n := value(figures, metric)) is not None]
    return sum(numbers) / len(numbers) if numbers else None


def fell_behind(rows: Sequence[tuple[Any, Any]]) -> list[tuple[Any, list[str]]]:
    """The children that fell behind in the month, each with its reasons, in the rows' order:

    * 法定时限内办结率 more than :data:`ON_TIME_GAP` points below the peers' average;
    * any case decided beyond the legal time limit (超法定时限件数 > 0);
    * 满意率 below :data:`SATISFACTION_FLOOR` %.
    """
    on_time = METRIC_BY_KEY["legal_on_time_rate"]
    overdue = METRIC_BY_KEY["legal_overdue"]
    satisfaction = METRIC_BY_KEY["satisfaction_rate"]
    average = peer_average(rows, on_time)
    found = []
    for org, figures in rows:
        reasons = []
        rate = value(figures, on_time)
        if average is not None and rate is not None and rate < average - ON_TIME_GAP:
            reasons.append(
                f"法定时限内办结率 {rate:.1f}%，低于同级平均（{average:.1f}%）{ON_TIME_GAP:.0f}个百分点以上"
            )
        late = value(figures, overdue)
        if late:
            reasons.append(f"超法定时限办结 {int(late)} 件")
        happy = value(figures, satisfaction)
        if happy is not None and happy < SATISFACTION_FLOOR:
            reasons.append(f"满意率 {happy:.1f}%，低于 {SATISFACTION_FLOOR:.0f}%")
        if reasons:
            found.append((org, reasons))
    return found


def ranked(rows: Sequence[tuple[Any, Any]], metric: Metric) -> list[tuple[int | None, Any, Any]]:
    """The rows best first by ``metric`` (ties share a rank; rows without the figure last, unranked)."""
    have = [(value(f, metric), o, f) for o, f in rows if value(f, metric) is not None]
    missing = [(None, o, f) for o, f in rows if value(f, metric) is None]
    reverse = bool(metric.higher_is_better)
    have.sort(key=lambda t: (-t[0] if reverse else t[0], getattr(t[1], "path", "")))
    out: list[tuple[int | None, Any, Any]] = []
    previous, rank = None, 0
    for position, (number, org, figures) in enumerate(have, start=1):
        if number != previous:
            rank, previous = position, number
        out.append((rank, org, figures))
    return out + [(None, o, f) for _n, o, f in missing]


# --- CSV ---------------------------------------------------------------------------------------


def _number(number: float | None, metric: Metric) -> str:
    if number is None:
        return ""
    if metric.is_rate or metric.unit == "个工作日":
        return f"{number:.1f}"
    return str(int(number))


def csv_bytes(month: Month, organisation: Any, figures: Any, rows: Sequence[tuple[Any, Any]]) -> bytes:
    """统计期间, 机构, then one column per metric (headers with the unit), the organisation's own
    subtree total first (标注“合计”), then each child. Empty cell: no figure."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["统计期间", "机构", "范围"] + [f"{m.label}（{m.unit}）" for m in METRICS])
    writer.writerow(
        [month.key, safe_cell(str(organisation.name)), "合计（含下级）"]
        + [_number(value(figures, m), m) for m in METRICS]
    )
    for child, child_figures in rows:
        writer.writerow(
            [month.key, safe_cell(str(child.name)), "下级机构（含其下级）"]
            + [_number(value(child_figures, m), m) for m in METRICS]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
