"""The monthly 绩效通报 of an organisation as a PDF (``GET /api/v1/indicators/report/<id>/<YYYY-MM>.pdf``).

The 通报 covers the organisation's subtree for one month: 一、总体情况 (its figures), 二、下级机构
排名 (its children, best 法定时限内办结率 first), 三、落后单位 (``dashboard.fell_behind``, the rule
printed in the document) and 四、说明 (what the figures mean). It is rendered through
``sifa.documents.rendering.render_pdf`` (WeasyPrint, A4, Noto CJK fonts embedded).

It is a statistical report generated on request from the roll-ups, not a 公文 issued by the
bureau: it is neither numbered nor sealed, and says so (a bureau that issues a 通报 attaches it
to a notice of its own). Reads only, through the scoped selectors.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from sifa.documents.rendering import render_pdf
from sifa.indicators import dashboard
from sifa.indicators.dashboard import METRIC_BY_KEY, Month
from sifa.indicators.selectors import children, figures

#: the columns of the ranking table (a subset: the page and the CSV have them all)
RANKING_COLUMNS = (
    "received",
    "decided",
    "legal_on_time_rate",
    "promised_on_time_rate",
    "average_working_days",
    "online_share",
    "satisfaction_rate",
    "complaints_received",
)


def report_context(actor: Any, organisation: Any, month: Month) -> dict[str, Any]:
    own = figures(actor, organisation, month.first_day)
    rows = children(actor, organisation, month.first_day)
    ranking_metric = METRIC_BY_KEY[dashboard.DEFAULT_RANKING]
    columns = [METRIC_BY_KEY[k] for k in RANKING_COLUMNS]
    return {
        "title": f"{organisation.name}{month.label}政务服务绩效通报",
        "organisation": organisation,
        "month": month,
        "cells": dashboard.cells(own),
        "columns": columns,
        "ranking": [
            {"rank": rank, "organisation": child, "cells": dashboard.cells(f, columns)}
            for rank, child, f in dashboard.ranked(rows, ranking_metric)
        ],
        "ranking_metric": ranking_metric,
        "behind": dashboard.fell_behind(rows),
        "peer_average": dashboard.peer_average(rows, ranking_metric),
        "on_time_gap": dashboard.ON_TIME_GAP,
        "satisfaction_floor": dashboard.SATISFACTION_FLOOR,
        "generated_at": timezone.localtime(),
    }


def render_report(actor: Any, organisation: Any, month: Month) -> bytes:
    return render_pdf("indicators/report.html", report_context(actor, organisation, month))
