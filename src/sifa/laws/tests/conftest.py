"""The built-in sample imported once per module (six statutes, ~400 articles)."""

from __future__ import annotations

import pytest

from sifa.laws.services import import_sample
from sifa.testing import rolled_back


@pytest.fixture(scope="module")
def sample(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield import_sample()


@pytest.fixture
def laws(sample, db):
    return sample
