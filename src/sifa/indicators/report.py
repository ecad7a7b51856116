"""The monthly 绩效通报 of an organisation as a PDF (``GET /api/v1/indicators/report/<id>/<YYYY-MM>.pdf``).

The 通报 covers the organisation's subtree for one month: 一、总体情况 (its figures), 二、下级机构
排名 (its children, best 法定时限内办结率 first), 三、落后单位 (``dashboard.fell_behind``, the rule
printed in the document) and 四、说明 (what the figures mean). It is rendered through
``sifa.documents.rendering.render_pdf`` (WeasyPrint, A4, Noto CJK fonts embedded).

One template, two forms:

* **草稿** (:func:`render_draft`): generated on request from the roll-ups until the organisation
  issues it — marked “草稿，未印发” in its header, on every page and in its note; no 文号, no seal.
* **印发** (``sifa.indicators.services.reports.issue_report``): the same template rendered once
  through the documents app's ``issue_document`` with the 文号 (``浙司通〔2026〕3号``), the 成文日期
  and the place of the seal; that sealed file is then served every time.

Reads only, through the scoped selectors.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from sifa.documents.rendering import render_pdf
from sifa.indicators import dashboard
from sifa.indicators.dashboard import METRIC_BY_KEY, Month
from sifa.indicators.selectors import drill_down

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


TEMPLATE = "indicators/report.html"


def report_title(organisation: Any, month: Month) -> str:
    return f"{organisation.name}{month.label}政务服务绩效通报"


def report_context(actor: Any, organisation: Any, month: Month) -> dict[str, Any]:
    own, rows = drill_down(actor, organisation, month.first_day)
    ranking_metric = METRIC_BY_KEY[dashboard.DEFAULT_RANKING]
    columns = [METRIC_BY_KEY[k] for k in RANKING_COLUMNS]
    return {
        "title": report_title(organisation, month),
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


def render_draft(actor: Any, organisation: Any, month: Month) -> bytes:
    """The 草稿 of the month's 通报: not numbered, not sealed, marked as such on every page."""
    return render_pdf(TEMPLATE, {**report_context(actor, organisation, month), "draft": True})
