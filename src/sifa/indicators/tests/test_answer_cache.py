"""The dashboard's answer cache (ADR 0013): a kept answer is served only while the validator — the
covering roll-up row's id and revision and the subtree's pending deltas — is unchanged, and then it
equals a fresh computation; every change of a figure (a transition, a rating, a fold, a rebuild, two
changes cancelling out in a sum) and every change of the tree makes it be computed again."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sifa.core.errors import NotFound
from sifa.evaluation import services as evaluation
from sifa.indicators import selectors
from sifa.indicators.models import FactKind
from sifa.indicators.services import fold, fold_all, maintenance, rebuild
from sifa.indicators.tests.test_rollup import aid_case
from sifa.organisations.models import Organisation
from sifa.organisations.scope import Actor, actor_for
from sifa.testing.tree import tree
from sifa.workflow.tests.conftest import travel

SEPT = dt.date(2025, 9, 1)
OCT = dt.date(2025, 10, 1)
SUPERUSER = Actor(user_id=0, is_superuser=True)
LEVELS = ("ministry", "zj", "hz", "xh", "xh_aid", "xh_town", "nb")
HIT = 2
"""A hit: the validator's statement, then the store's look-up (a statement with the database store)."""


def shown(answer):
    """What a dashboard answer says: its figures and each child as the pages and the API use it."""
    own, kids = answer
    return (
        own.month,
        own.counts,
        [
            (
                [getattr(kid, f.attname) for f in Organisation._meta.concrete_fields],
                getattr(kid, "has_children", None),
                f.month,
                f.counts,
            )
            for kid, f in kids
        ],
    )


def statements(call):
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, len(captured)


def check(w, keys=LEVELS, months=(SEPT,)):
    """At each level: the dashboard (through the cache) equals a fresh computation, and asked again
    it is a hit (the validator and the look-up only) with the same answer."""
    for key in keys:
        for month in months:
            fresh = shown(selectors._drill_down(w[key], month))
            first = shown(selectors.drill_down(SUPERUSER, w[key], month))
            assert first == fresh, (key, month)
            again, count = statements(
                lambda key=key, month=month: selectors.drill_down(SUPERUSER, w[key], month)
            )
            assert shown(again) == fresh, (key, month)
            assert count == HIT, (key, month, count)


def synthetic(fact: str, organisation: Organisation, month: dt.date, **counts: int) -> None:
    """A fact's contribution recorded as the receivers do (the delta is what changed)."""
    with transaction.atomic():
        maintenance.record(FactKind.APPLICATION, fact, {(organisation.pk, month): Counter(counts)})


@pytest.fixture(autouse=True)
def cache_on(settings):
    settings.INDICATORS_CACHE_SECONDS = 3600
    settings.CACHE_URL = ""  # the database store: shared, and rolled back with the test


@pytest.mark.django_db
def test_the_answer_after_random_changes_equals_a_fresh_computation(w, people):
    rng = random.Random(13)
    check(w)  # empty months: kept as well
    cases = []
    for step in range(14):
        action = rng.choice(
            ["case", "rate", "delta", "delta", "fold", "fold", "rebuild"] if step else ["case"]
        )
        if action == "case":
            cases.append(aid_case(w, people))  # submitted, accepted, decided, assigned: a cold leaf's facts
        elif action == "rate" and cases:
            case = cases.pop()
            with travel(dt.date(2025, 9, 8)):
                evaluation.rate(
                    people["citizen"],
                    subject="application",
                    number=case.number,
                    level="不满意",
                    channel="web",
                )
        elif action == "delta":
            where = w[rng.choice(["xh_town", "xh_aid", "xh", "hz", "nb"])]
            synthetic(f"s{step}", where, rng.choice([SEPT, OCT]), received=rng.choice([1, 2, -1]))
        elif action == "fold":
            fold(limit=rng.choice([1, 3, 20000]))  # part of the pending deltas, or all
        else:
            rebuild()
        check(w, months=(SEPT, OCT))


@pytest.mark.django_db
def test_two_changes_that_cancel_out_in_the_sums_still_change_the_validator(w):
    town, aid, county = w["xh_town"], w["xh_aid"], w["xh"]
    synthetic("a", town, SEPT, received=1)
    fold_all()
    check(w, keys=("xh", "hz", "xh_town"))
    before = {key: selectors._validator(w[key], SEPT) for key in ("xh", "hz", "xh_town", "xh_aid")}
    # One 司法所 −1, the other +1 in the same figure: the county's and the city's sums do not move.
    synthetic("a", town, SEPT, received=0)
    synthetic("b", aid, SEPT, received=1)
    pending = {key: selectors._validator(w[key], SEPT) for key in before}
    assert all(pending[key] != before[key] for key in before), (before, pending)
    fold_all()
    after = {key: selectors._validator(w[key], SEPT) for key in before}
    assert all(after[key] not in (before[key], pending[key]) for key in before), (before, pending, after)
    assert selectors.drill_down(SUPERUSER, county, SEPT)[0].received == 1
    check(w, keys=("xh", "hz", "xh_town", "xh_aid"))


@pytest.mark.django_db
def test_a_rebuild_makes_new_rows_so_no_earlier_validator_comes_back(w, people):
    aid_case(w, people)
    fold_all()
    check(w)
    before = selectors._validator(w["xh"], SEPT)
    rebuild()
    after = selectors._validator(w["xh"], SEPT)
    assert after != before and after[1] != before[1]  # a new row: a new primary key
    check(w)


@pytest.mark.django_db
def test_a_change_of_the_tree_is_seen_at_once(w):
    check(w, keys=("xh",))
    town = w["xh_town"]
    town.name = "新名字司法所"
    town.save()
    kids = dict((k.pk, k) for k, _f in selectors.drill_down(SUPERUSER, w["xh"], SEPT)[1])
    assert kids[town.pk].name == "新名字司法所"
    grown = tree("xh_centre", on=dict(w))
    kids = [k.pk for k, _f in selectors.drill_down(SUPERUSER, w["xh"], SEPT)[1]]
    assert grown["xh_centre"].pk in kids
    Organisation.objects.filter(pk=town.pk).update(is_active=False)  # as a migration would
    from sifa.organisations.signals import tree_changed

    tree_changed()
    kids = [k.pk for k, _f in selectors.drill_down(SUPERUSER, w["xh"], SEPT)[1]]
    assert town.pk not in kids
    check(w, keys=("xh",))


@pytest.mark.django_db
def test_the_cache_keeps_the_scope(w, viewers):
    county = w["xh"]
    assert selectors.drill_down(actor_for(viewers["xh"]), county, SEPT)  # kept
    with pytest.raises(NotFound):
        selectors.drill_down(actor_for(viewers["nb"]), county, SEPT)
    with pytest.raises(NotFound):
        selectors.children(actor_for(viewers["hs"]), county, SEPT)


@pytest.mark.django_db
def test_hit_and_miss_statements(w, people):
    aid_case(w, people)
    for key in ("ministry", "xh", "xh_aid"):
        computed, plain = statements(lambda key=key: selectors._drill_down(w[key], SEPT))
        missed, count = statements(lambda key=key: selectors.drill_down(SUPERUSER, w[key], SEPT))
        assert count == plain + 4  # the validator, the look-up, the calendar's stamp, the store's save
        assert shown(missed) == shown(computed)
        _hit, count = statements(lambda key=key: selectors.drill_down(SUPERUSER, w[key], SEPT))
        assert count == HIT


@pytest.mark.django_db
def test_inside_a_callers_transaction_nothing_is_read_or_kept(w, settings):
    with transaction.atomic():
        _answer, count = statements(lambda: selectors.drill_down(SUPERUSER, w["ministry"], SEPT))
        assert count == 1  # computed, as without the cache
    _answer, count = statements(lambda: selectors.drill_down(SUPERUSER, w["ministry"], SEPT))
    assert count == 1 + 4  # nothing was kept: a miss
    settings.INDICATORS_CACHE_SECONDS = 0
    _answer, count = statements(lambda: selectors.drill_down(SUPERUSER, w["ministry"], SEPT))
    assert count == 1
