"""A small organisation tree (浙江 330000 → 杭州 330100 → 西湖区 330106 → 街道, and 北京 110000 →
东城区 110101 → 街道) with valid USCCs, and the loaded catalogue on top of it."""

from __future__ import annotations

import pytest

from sifa.organisations.models import Organisation
from sifa.testing import rolled_back, tree
from sifa.testing.tree import catalogue_tree_loaded

CATALOGUE_TREE = (
    "ministry", "zj", "hz", "xh", "xh_aid", "xh_centre", "xh_town", "bj", "dc", "dc_aid", "dc_town",
)  # fmt: skip


def build_tree() -> dict[str, Organisation]:
    return tree(*CATALOGUE_TREE)


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """Tree + catalogue for the module, rolled back at the end: built once per test process and
    state of the database, written back for the modules after (``sifa.testing.snapshot``)."""
    with rolled_back(django_db_blocker):
        orgs, result = catalogue_tree_loaded(*CATALOGUE_TREE)
        yield {"orgs": orgs, "result": result}


@pytest.fixture
def cat(loaded, db):
    return loaded


@pytest.fixture(scope="module")
def _laws_sample(django_db_setup, django_db_blocker):
    from sifa.laws.services import import_sample

    with rolled_back(django_db_blocker):
        yield import_sample()


@pytest.fixture
def laws(_laws_sample, db):
    """The law library's built-in sample (what `sifa run` loads)."""
    return _laws_sample
