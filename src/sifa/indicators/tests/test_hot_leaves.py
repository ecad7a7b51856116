"""Hot leaf-months (ADR 0010): a leaf's month gets a roll-up row once it holds more than K facts
(``SIFA_INDICATORS_HOT_LEAF_FACTS``), and the switch from its facts to its row changes no figure.

Every check compares what the dashboard reads (``selectors.drill_down`` at the leaf and at its
parent, ``figures``, the trend) with the leaf's figures computed from its facts alone
(``leaves.leaf_figures``) — below, at and above the threshold, before and after the fold, through
the crossing, with deltas pending across the promotion, and after a rebuild. Runs on SQLite and,
with ``DATABASE_URL``, on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.applications.models import Application
from sifa.evaluation import services as evaluation
from sifa.indicators import selectors
from sifa.indicators.leaves import leaf_figures
from sifa.indicators.models import MonthlyFigures, PendingDelta
from sifa.indicators.services import fold_all, rebuild
from sifa.indicators.services.maintenance import hot_rows, is_hot, promote
from sifa.indicators.tests.rebuilds import assert_the_rebuilds_agree
from sifa.indicators.tests.test_rollup import aid_case, snapshot
from sifa.organisations.models import Organisation
from sifa.organisations.scope import Actor
from sifa.workflow.tests.conftest import travel

SEPT = dt.date(2025, 9, 1)
MONTHS = [dt.date(2025, 8, 1), SEPT, dt.date(2025, 10, 1)]
SUPERUSER = Actor(user_id=0, is_superuser=True)
K = 3


@pytest.fixture
def k(settings):
    settings.INDICATORS_HOT_LEAF_FACTS = K
    return K


def from_facts(leaf: Organisation, month: dt.date) -> dict[str, int]:
    return dict(leaf_figures([leaf.pk], [month]).get((leaf.pk, month), {}))


def has_row(leaf: Organisation, month: dt.date = SEPT) -> bool:
    return MonthlyFigures.objects.filter(organisation=leaf, month=month).exists()


def check(w, leaf_key: str = "xh_aid") -> dict[str, int]:
    """The leaf's figures, read every way the dashboards read them, equal its facts; and its
    parent's drill-down line is the leaf's own figures."""
    leaf, parent = w[leaf_key], w["xh"]
    for month in MONTHS:
        expected = from_facts(leaf, month)
        own, kids = selectors.drill_down(SUPERUSER, leaf, month)
        assert own.counts == expected, (month, "leaf dashboard")
        assert kids == []
        assert selectors.figures(SUPERUSER, leaf, month).counts == expected
        parent_own, parent_kids = selectors.drill_down(SUPERUSER, parent, month)
        assert dict(parent_kids)[leaf].counts == expected, (month, "parent's line")
        assert parent_own.counts == selectors.figures(SUPERUSER, parent, month).counts
    trend = selectors.series(SUPERUSER, leaf, len(MONTHS), end=MONTHS[-1])
    assert [f.counts for _m, f in trend] == [from_facts(leaf, m) for m in MONTHS]
    return from_facts(leaf, SEPT)


@pytest.mark.django_db
def test_a_leaf_month_switches_from_its_facts_to_its_row_exactly_at_the_threshold(w, people, k):
    leaf = w["xh_aid"]
    parent_before = None
    for n in range(1, K + 3):
        aid_case(w, people)  # one more application received in September: one more fact
        pending = check(w)  # deltas pending: a cold leaf is read from its facts, a hot one row + deltas
        assert pending["received"] == n
        fold_all()  # folds, then promotes the leaf-month once it holds more than K facts
        assert check(w) == pending
        assert has_row(leaf) == (n > K), n  # below and at K: no row; above: the row
        parent_now = selectors.figures(SUPERUSER, w["xh"], SEPT).counts
        assert parent_now["received"] == n  # the parent's figures never count the leaf twice
        if parent_before is not None:
            assert parent_now["received"] == parent_before["received"] + 1
        parent_before = parent_now
    row = MonthlyFigures.objects.get(organisation=leaf, month=SEPT)
    assert row.received == K + 2 and row.decided == K + 2
    assert not has_row(leaf, dt.date(2025, 10, 1))  # other months of the leaf stay cold
    assert not has_row(w["xh_town"])  # a leaf without facts: no row
    # A rebuild gives the same rows — the hot leaf-month's row included.
    incremental = snapshot()
    rebuild()
    assert snapshot() == incremental
    rebuild(SEPT)
    assert snapshot() == incremental
    assert_the_rebuilds_agree()
    check(w)


@pytest.mark.django_db
def test_a_promotion_with_deltas_pending_counts_each_fact_once(w, people, k):
    """The row a promotion writes is the facts minus the deltas still pending: folding those
    afterwards completes it, with nothing counted twice or lost."""
    leaf = w["xh_aid"]
    for _ in range(K):
        aid_case(w, people)
    fold_all()
    assert not has_row(leaf)
    aid_case(w, people)  # the (K+1)th fact, its deltas pending
    with_rating = aid_case(w, people)
    with travel(dt.date(2025, 9, 8)):
        evaluation.rate(
            people["citizen"], subject="application", number=with_rating.number, level="不满意", channel="web"
        )
    assert PendingDelta.objects.filter(organisation=leaf).exists()
    facts = check(w)
    assert is_hot(facts)
    assert promote({(leaf.pk, SEPT)}) == 1  # straight from the facts, the deltas not yet folded
    assert has_row(leaf)
    row = MonthlyFigures.objects.get(organisation=leaf, month=SEPT)
    assert row.received < facts["received"]  # the pending deltas are not in the row ...
    assert check(w) == facts  # ... but are read with it
    assert promote({(leaf.pk, SEPT)}) == 0  # already hot: nothing to do
    fold_all()
    assert not PendingDelta.objects.exists()
    row.refresh_from_db()
    assert row.received == facts["received"] and row.ratings_bad == 1
    assert check(w) == facts
    incremental = snapshot()
    rebuild()
    assert snapshot() == incremental


@pytest.mark.django_db
def test_leaf_rows_stay_below_facts_over_k(w, people, k):
    """R8c at the leaf level: each hot leaf-month holds more than K facts, so rows < facts ÷ K."""
    for _ in range(2 * K + 3):
        aid_case(w, people)
    fold_all()
    parents = set(Organisation.objects.exclude(parent=None).values_list("parent_id", flat=True))
    leaf_rows = MonthlyFigures.objects.exclude(organisation_id__in=parents).count()
    facts = Application.objects.filter(is_mock=False).count()
    assert 1 <= leaf_rows <= facts / K
    assert hot_rows({(w["xh_aid"].pk, SEPT), (w["xh_town"].pk, SEPT)}) == {(w["xh_aid"].pk, SEPT)}
