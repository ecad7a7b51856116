"""Writes of the indicators app: the roll-up maintenance (see ``maintenance``) and the 印发 of the
monthly 绩效通报 and its 撤销 (``reports``, through the documents app's services)."""

from sifa.indicators.services.maintenance import fold, fold_all, rebuild, record
from sifa.indicators.services.reports import (
    Issued,
    issue_report,
    issued_report,
    withdraw_report,
    withdrawn_reports,
)

__all__ = [
    "Issued",
    "fold",
    "fold_all",
    "issue_report",
    "issued_report",
    "rebuild",
    "record",
    "withdraw_report",
    "withdrawn_reports",
]
