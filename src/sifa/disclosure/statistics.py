"""The monthly statistics of the public pages, from one function: :func:`statistics_for`.

It holds, for one organisation's subtree — or the whole platform — and one month that is over,
the 办件 figures of the performance indicators (``sifa.indicators.selectors.public_figures``, read
from the monthly roll-ups: received, accepted, decided, on time against the legal and promised
limits, average working days, 即办件, 网办率, 材料免提交率, 补正率, complaints) and the 好差评
figures of ``sifa.evaluation``'s public statistics (counts by level, satisfaction rate,
rectification rate). One dict, shown by one include (``disclosure/_statistics.html``) and written
by the same open-data rows (:func:`flat`), so the pages, the feed and the open data cannot disagree.
When ratings of the month were entered afterwards (离线补录) once the organisation's 通报 of that
month was issued, ``entered_after_report`` says how many and when (the figures count them; the
通报 is not changed — ``sifa.indicators.selectors.entered_after_report``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sifa.disclosure import periods
from sifa.evaluation.selectors import public_statistics
from sifa.indicators.selectors import RATES, entered_after_report, public_figures, published
from sifa.organisations.models import Organisation


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


PERFORMANCE_COUNTS: tuple[tuple[str, str], ...] = (
    ("received", "收件数"),
    ("accepted", "受理数"),
    ("not_accepted", "不予受理数"),
    ("decided", "办结决定数"),
    ("delivered", "送达数"),
    ("complaints_received", "投诉举报收件数"),
)
"""The 办件 counts the public pages and the open data show (``sifa.indicators`` metric names)."""

PERFORMANCE_RATES: tuple[str, ...] = (
    "legal_on_time_rate",
    "promised_on_time_rate",
    "average_working_days",
    "instant_share",
    "online_share",
    "once_only_share",
    "correction_rate",
    "complaint_on_time_rate",
)
"""The derived figures shown, in order (``sifa.indicators.selectors.RATES``; labels from there)."""


def _shown(name: str, value: float | None) -> str:
    if value is None:
        return "—"
    if name == "average_working_days":
        return f"{value:.1f}"
    return percent(value)


def performance_for(organisation: Organisation | None, month: dt.date) -> dict[str, Any] | None:
    """The indicators' public figures of one month that is over, as rows to show and raw values;
    None for a month not over yet (the indicators publish a month once it has ended)."""
    if not published(month):
        return None
    figures = public_figures(organisation.pk if organisation else None, month)
    counts = [
        {"name": name, "label": label, "value": figures.value(name)} for name, label in PERFORMANCE_COUNTS
    ]
    rates = [
        {
            "name": name,
            "label": RATES[name][0],
            "value": figures.rate(name),
            "shown": _shown(name, figures.rate(name)),
        }
        for name in PERFORMANCE_RATES
    ]
    return {"counts": counts, "rates": rates}


def statistics_for(organisation: Organisation | None, month: dt.date) -> dict[str, Any]:
    """The public figures of ``organisation``'s subtree (None: the whole platform) for ``month``."""
    period = periods.key(month)
    ratings = public_statistics(organisation=str(organisation.pk) if organisation else None, period=period)
    ratings["satisfaction_percent"] = percent(ratings["satisfaction_rate"])
    ratings["rectification_percent"] = percent(ratings["rectification_rate"])
    return {
        "organisation": organisation,
        "organisation_name": organisation.name if organisation else "全平台",
        "period": period,
        "period_label": periods.label(month),
        "start": month,
        "end": periods.last_day(month),
        "performance": performance_for(organisation, month),
        "ratings": ratings,
        "entered_after_report": entered_after_report(organisation, period),
    }


def flat(figures: dict[str, Any]) -> dict[str, Any]:
    """One open-data row (``opendata_columns.STATISTICS``) from :func:`statistics_for`'s dict."""
    ratings = figures["ratings"]
    organisation = figures["organisation"]
    row = {
        "organisation_id": organisation.pk if organisation else "",
        "organisation": figures["organisation_name"],
        "period": figures["period"],
        "period_start": figures["start"].isoformat(),
        "period_end": figures["end"].isoformat(),
    }
    performance = figures["performance"] or {"counts": [], "rates": []}
    row.update({item["name"]: item["value"] for item in performance["counts"]})
    row.update(
        {
            item["name"]: (None if item["value"] is None else round(item["value"], 4))
            for item in performance["rates"]
        }
    )
    row["ratings_total"] = ratings["total"]
    for level in ratings["levels"]:
        row[f"ratings_{level['level']}"] = level["count"]
    row.update(
        {
            "satisfaction_rate": ratings["satisfaction_rate"],
            "bad_ratings": ratings["bad"],
            "rectified": ratings["rectified"],
            "rectification_rate": ratings["rectification_rate"],
        }
    )
    return row
