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
    assert orgs["hs"].pk not in figures and orgs["xh"].pk not in figures  # cold leaves: read from their facts
    assert figures[orgs["nb"].pk].received == 200 and figures[orgs["hz"].pk].received == 200


def test_a_promotion_racing_folds_counts_every_delta_once(monkeypatch):
    """A leaf-month promoted while other schedulers fold its deltas (ADR 0010): the promotion's
    row is the facts minus the deltas pending in its snapshot, and the SHARE ROW EXCLUSIVE lock
    keeps any fold from dropping, as a cold leaf-month's, a delta that snapshot counted — so the
    row ends at exactly the facts. The facts are stood in for (400 received, what the deltas say)."""
    from collections import Counter

    from sifa.indicators.services import maintenance

    orgs = tree("hs", "xh")
    leaf = orgs["hs"]
    monkeypatch.setattr(
        maintenance,
        "_figures_by_month",
        lambda keys: {key: Counter(received=400) for key in keys if key == (leaf.pk, MONTH)},
    )
    PendingDelta.objects.bulk_create(
        [PendingDelta(organisation=leaf, path=leaf.path, month=MONTH, received=1) for _ in range(400)]
    )

    def worker(index: int) -> int:
        if index == 0:  # a promotion once some deltas were folded (and dropped: the month was cold)
            while PendingDelta.objects.count() > 300:
                pass
            return maintenance.promote({(leaf.pk, MONTH)})
        total = 0
        while folded := fold(limit=7):
            total += folded
        return total

    run_together(worker, 4)
    fold_all()
    assert not PendingDelta.objects.exists()
    row = MonthlyFigures.objects.get(organisation=leaf, month=MONTH)
    assert row.received == 400
    assert MonthlyFigures.objects.get(organisation=orgs["ministry"], month=MONTH).received == 400
