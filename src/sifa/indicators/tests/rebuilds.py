"""The full rebuild's two paths compared: on PostgreSQL the set-based SQL (``rebuild_sql``) must
write exactly the tables the Python path writes (SQLite has only the Python path)."""

from __future__ import annotations

from django.db import connection

from sifa.audit.models import AuditEvent
from sifa.indicators.metrics import METRIC_NAMES
from sifa.indicators.models import Contribution, MonthlyFigures, PendingDelta
from sifa.indicators.services import rebuild


def tables() -> dict[str, list]:
    """The rebuilt tables in insertion order (ids are new on every rebuild; their order is not):
    the roll-up rows (keys, revision, every figure), the ledger (kind, fact, figures), the pending
    deltas and the rebuild's audit detail."""
    return {
        "rows": list(
            MonthlyFigures.objects.order_by("id").values_list(
                "organisation_id", "month", "revision", *METRIC_NAMES
            )
        ),
        "ledger": list(Contribution.objects.order_by("id").values_list("kind", "fact_id", "figures")),
        "deltas": list(PendingDelta.objects.values_list("id")),
        "audit": AuditEvent.objects.filter(action="indicators.rebuild")
        .order_by("-pk")
        .values_list("detail", flat=True)[:1][0],
    }


def assert_the_rebuilds_agree() -> dict[str, list]:
    """Rebuild by both paths (the Python path first) and compare; returns the tables."""
    rebuild(set_based=False)
    python = tables()
    if connection.vendor != "postgresql":
        return python
    rebuild(set_based=True)
    sql = tables()
    for name in python:
        assert sql[name] == python[name], name
    return sql
