import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from sifa.accounts.services import issue_api_token
from sifa.accounts.tests import factories


@pytest.fixture(autouse=True)
def _accounts_urls_and_clean_cache(settings):
    settings.ROOT_URLCONF = "sifa.accounts.tests.urls"
    cache.clear()  # throttles keep their counters in the cache
    yield
    cache.clear()


@pytest.fixture
def tree(db):
    return factories.build_tree()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user():
    """An API client authenticated with a fresh bearer token for ``user``."""

    def make(user):
        client = APIClient()
        key, _token = issue_api_token(user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client

    return make
