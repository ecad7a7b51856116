"""Settings shared by every test in the repository (app tests under src/ and tests/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache: rate limits (registration, login, verification,
    agent lookups) count in it, and a count left by one test must not refuse the next one."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
