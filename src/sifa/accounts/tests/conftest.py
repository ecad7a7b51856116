import pytest
from rest_framework.test import APIClient

from sifa.accounts.tests import factories
from sifa.core import limits
from sifa.testing import bearer_client


@pytest.fixture(autouse=True)
def _clean_cache():
    limits.clear()  # throttles keep their counters in the shared limits store
    yield
    limits.clear()


@pytest.fixture
def tree(db):
    return factories.build_tree()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user():
    """An API client authenticated with a fresh bearer token for ``user``."""
    return bearer_client
