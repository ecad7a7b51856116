"""Open data of 政务公开: the published notices and the monthly statistics, as JSON (the rows with
their data dictionary) and CSV (UTF-8 with BOM, the dictionary's columns in order).

CSV cells are safe to open in a spreadsheet: a text cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return (a formula to Excel, WPS or LibreOffice) is written with a
leading apostrophe, as OWASP's "CSV injection" advice says. Numbers are written as numbers.
Nothing here writes to the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from django.utils import timezone

from sifa.core.csvcells import safe_cell
from sifa.disclosure import periods, selectors
from sifa.disclosure.feed import base_url
from sifa.disclosure.opendata_columns import NOTICES, STATISTICS, Dataset
from sifa.disclosure.statistics import flat, statistics_for
from sifa.organisations.models import Organisation

MAX_NOTICES = 5000


def notice_rows(organisation: Organisation | None = None) -> list[dict[str, Any]]:
    base = base_url()
    return [selectors.notice_out(n, base) for n in selectors.public_notices(organisation)[:MAX_NOTICES]]


def statistics_rows(
    organisation: Organisation | None = None, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """One row per month that is over, the newest first (the period chooser's months)."""
    return [flat(statistics_for(organisation, month)) for month in periods.past_months(today)]


def document(dataset: Dataset, rows: list[dict[str, Any]], organisation: Organisation | None) -> bytes:
    body = {
        "format": f"sifa.disclosure.{dataset.name}",
        "format_version": 1,
        "title": dataset.title,
        "organisation": {"id": organisation.pk, "name": organisation.name} if organisation else None,
        "generated_at": timezone.localtime().isoformat(),
        "dictionary": [{"name": c.name, "label": c.label, "type": c.kind} for c in dataset.columns],
        "rows": [{c.name: row.get(c.name) for c in dataset.columns} for row in rows],
    }
    return json.dumps(body, ensure_ascii=False, indent=1).encode()


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return value
    return safe_cell(str(value))


def table(dataset: Dataset, rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in dataset.columns])
    writer.writerows([cell(row.get(c.name)) for c in dataset.columns] for row in rows)
    return ("\ufeff" + out.getvalue()).encode()


__all__ = ["NOTICES", "STATISTICS", "cell", "document", "notice_rows", "statistics_rows", "table"]
