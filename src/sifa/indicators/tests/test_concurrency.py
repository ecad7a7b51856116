"""Two schedulers folding at once (PostgreSQL): every delta is folded exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from sifa.indicators.models import MonthlyFigures, PendingDelta
from sifa.indicators.services import fold, fold_all
from sifa.testing import tree
from sifa.testing.concurrency import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL"),
]

MONTH = dt.date(2026, 11, 1)


def test_concurrent_folds_count_every_delta_once():
    orgs = tree("hs", "xh")
    leaves = [orgs["hs"], orgs["xh"]]
    PendingDelta.objects.bulk_create(
        [
            PendingDelta(
                organisation=leaves[i % 2],
                path=leaves[i % 2].path,
                month=MONTH,
                received=1,
                online=i % 3 == 0,
            )
            for i in range(400)
        ]
    )

    def worker(_index: int) -> int:
        total = 0
        while folded := fold(limit=17):
            total += folded
        return total

    folded = run_together(worker, 4)
    assert sum(folded) == 400
    fold_all()
    assert not PendingDelta.objects.exists()
    figures = {r.organisation_id: r for r in MonthlyFigures.objects.filter(month=MONTH)}
    assert figures[orgs["ministry"].pk].received == 400
    assert figures[orgs["zj"].pk].online == len([i for i in range(400) if i % 3 == 0])
    assert orgs["hs"].pk not in figures and orgs["xh"].pk not in figures  # leaves: read from their facts
    assert figures[orgs["nb"].pk].received == 200 and figures[orgs["hz"].pk].received == 200
