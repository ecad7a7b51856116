"""Writes of the indicators app: the roll-up maintenance (see ``maintenance``) and the 印发 of the
monthly 绩效通报 (``reports``, through the documents app's issuing service)."""

from sifa.indicators.services.maintenance import fold, fold_all, rebuild, record
from sifa.indicators.services.reports import Issued, issue_report, issued_report

__all__ = ["Issued", "fold", "fold_all", "issue_report", "issued_report", "rebuild", "record"]
