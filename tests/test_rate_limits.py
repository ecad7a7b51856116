"""A client cannot dodge the tracking rate limit (30 failed lookups a minute per client address) by
sending its own X-Forwarded-For header."""

import pytest
from rest_framework.test import APIClient

from sifa.core import limits

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_spoofed_forwarded_for_does_not_reset_the_tracking_limit():
    limits.clear()
    client = APIClient()
    statuses = [
        client.get(
            "/api/v1/track/SF330100202601010000001/", {"code": "ABCDEFGH"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{i}"
        ).status_code
        for i in range(35)
    ]
    limits.clear()
    assert statuses[0] == 404
    assert 429 in statuses
