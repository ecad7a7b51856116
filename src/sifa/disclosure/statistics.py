"""The monthly statistics of the public pages, from one function: :func:`statistics_for`.

Today it holds the 好差评 figures of ``sifa.evaluation``'s public statistics (counts by level,
satisfaction rate, rectification rate) for one organisation's subtree — or the whole platform —
and one month that is over. The performance indicators' public figures join here later, as more
keys of the same dict, shown by the same include (``disclosure/_statistics.html``) and written by
the same open-data rows (:func:`flat`), so the pages, the feed and the open data cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sifa.disclosure import periods
from sifa.evaluation.selectors import public_statistics
from sifa.organisations.models import Organisation


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


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
        "ratings": ratings,
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
        "ratings_total": ratings["total"],
    }
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
