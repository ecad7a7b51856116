"""The dashboard (``selectors.drill_down``: an organisation's figures and its children's, what
``GET /api/v1/indicators/?depth=1``, the workbench dashboard, the CSV and the 通报 read) costs a
constant number of queries at every level: it does not grow with the children or the facts (W8,
R8b; docs/indicators.md "Reading"). Answered from the answer cache (ADR 0013) it is one statement
and the store's look-up at every level."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.evaluation import services as evaluation
from sifa.indicators import selectors
from sifa.indicators.services import fold_all
from sifa.indicators.tests.test_rollup import AID, aid_case
from sifa.organisations.scope import Actor
from sifa.testing.tree import tree
from sifa.workflow.tests.conftest import command, entry_for, make_case, travel

SEPT = dt.date(2025, 9, 1)
SUPERUSER = Actor(user_id=0, is_superuser=True)
ALL_PARENTS = 2
"""One statement for the organisation and its children with their roll-up rows and the
pending-delta probe, then the pending deltas grouped (only when some are pending)."""
SOME_LEAVES = ALL_PARENTS + 5
"""… plus the leaf children's facts: applications, ratings, rectifications, complaints, checks."""
LEAF = 1 + 5
"""A leaf: its (no) children, then its facts."""


def facts(w, people, n: int) -> None:
    for _ in range(n):
        case = aid_case(w, people)
        with travel(dt.date(2025, 9, 8)):
            evaluation.rate(
                people["citizen"], subject="application", number=case.number, level="不满意", channel="web"
            )
    other = make_case(entry_for(AID, w["xh_aid"]), people["citizen"])
    with travel(dt.date(2025, 9, 3)):
        command(people["aid_clerk"], other.number, "accept")


@pytest.fixture(autouse=True)
def computed(settings):
    """These guards count the dashboard's computation (a miss of the answer cache, ADR 0013, runs
    it with the validator, the look-up and the store's save beside it): the cache off."""
    settings.INDICATORS_CACHE_SECONDS = 0


def dashboard(key, w, django_assert_max_num_queries, limit: int):
    with django_assert_max_num_queries(limit):
        own, kids = selectors.drill_down(SUPERUSER, w[key], SEPT)
    return own, kids


@pytest.mark.django_db
def test_the_dashboard_costs_the_same_few_queries_at_every_level(w, people, django_assert_max_num_queries):
    limits = {"ministry": ALL_PARENTS, "zj": ALL_PARENTS, "hz": ALL_PARENTS, "xh": SOME_LEAVES}
    limits |= {"xh_aid": LEAF, "xh_town": LEAF}
    facts(w, people, 1)  # deltas pending: the grouped read of them runs
    for key, limit in limits.items():
        dashboard(key, w, django_assert_max_num_queries, limit)
    assert dashboard("xh", w, django_assert_max_num_queries, SOME_LEAVES)[0].received == 2
    fold_all()  # none pending: the probe spares the grouped read
    for key, limit in limits.items():
        dashboard(key, w, django_assert_max_num_queries, limit - 1 if limit != LEAF else LEAF)
    # More facts and more children (leaves and parents at every level): the same counts.
    facts(w, people, 3)
    fold_all()
    grown = tree("xh_centre", "sc", "bjq", "js", "bj", "dc", "dc_aid", "dc_town", on=w)
    limits |= {"ministry": SOME_LEAVES, "hz": SOME_LEAVES}  # 江苏 and 上城 / 滨江 are leaves here
    for key, limit in limits.items():
        own, kids = dashboard(key, grown, django_assert_max_num_queries, limit - 1 if limit != LEAF else LEAF)
    own, kids = dashboard("xh", grown, django_assert_max_num_queries, SOME_LEAVES - 1)
    assert own.received == 6 and dict(kids)[grown["xh_aid"]].received == 6
    assert len(kids) == 3


@pytest.mark.django_db
def test_the_api_dashboard_does_not_grow_with_the_children(w, people, viewers, django_assert_max_num_queries):
    from sifa.testing import api_client

    facts(w, people, 1)
    client = api_client(viewers["ministry"])
    url = "/api/v1/indicators/?organisation={}&period=2025-09&depth=1"
    client.get(url.format(w["ministry"].pk))  # warm: the session and the throttle's first touch
    with django_assert_max_num_queries(25) as captured:
        assert client.get(url.format(w["xh"].pk)).status_code == 200
    at_county = len(captured)
    tree("xh_centre", on=w)
    with django_assert_max_num_queries(at_county):
        body = client.get(url.format(w["xh"].pk)).json()
    assert len(body["children"]) == 3


@pytest.mark.django_db
def test_a_hot_leaf_month_costs_one_statement(w, people, settings, django_assert_max_num_queries):
    """A leaf-month over the threshold has its row (ADR 0010): the leaf's dashboard is the one
    statement (its row joined), plus the grouped read of its deltas while some are pending — no
    fact table is read. Its parent, with a cold leaf child left, costs no more than before."""
    from sifa.indicators.models import MonthlyFigures

    settings.INDICATORS_HOT_LEAF_FACTS = 2
    facts(w, people, 2)
    fold_all()
    assert MonthlyFigures.objects.filter(organisation=w["xh_aid"], month=SEPT).exists()
    own, _ = dashboard("xh_aid", w, django_assert_max_num_queries, 1)
    assert own.received == 3
    facts(w, people, 1)  # pending deltas: + their grouped read
    own, _ = dashboard("xh_aid", w, django_assert_max_num_queries, ALL_PARENTS)
    assert own.received == 5
    own, kids = dashboard("xh", w, django_assert_max_num_queries, SOME_LEAVES)
    assert dict(kids)[w["xh_aid"]].received == 5
    fold_all()
    dashboard("xh", w, django_assert_max_num_queries, SOME_LEAVES - 1)


CACHE_HIT = 1 + 1
"""The validator's one statement, then the store's look-up (a statement with the database store,
a Redis round trip with Redis)."""


@pytest.mark.django_db
def test_a_kept_answer_costs_one_statement_and_the_look_up_at_every_level(
    w, people, settings, django_assert_max_num_queries
):
    settings.INDICATORS_CACHE_SECONDS, settings.CACHE_URL = 3600, ""
    facts(w, people, 1)  # deltas pending
    keys = ("ministry", "zj", "hz", "xh", "xh_aid", "xh_town")
    for key in keys:
        selectors.drill_down(SUPERUSER, w[key], SEPT)  # kept
    for key in keys:
        dashboard(key, w, django_assert_max_num_queries, CACHE_HIT)
    fold_all()
    for key in keys:
        selectors.drill_down(SUPERUSER, w[key], SEPT)  # the fold changed the validator: kept again
        dashboard(key, w, django_assert_max_num_queries, CACHE_HIT)
