"""The shared throttles' client address (``SharedRateThrottle.get_ident``, read from ``META``) is
DRF's (``BaseThrottle.get_ident``, read from ``request.headers``) for every header and proxy count."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from sifa.applications.api import TrackingThrottle


@pytest.mark.parametrize("num_proxies", [None, 0, 1, 2, 5])
@pytest.mark.parametrize(
    "forwarded",
    [None, "", "203.0.113.7", "203.0.113.7, 10.0.0.1", " 198.51.100.2 ,203.0.113.7,  10.0.0.1 ", "a b,c"],
)
def test_the_client_address_is_drfs(settings, num_proxies, forwarded):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    assert api_settings.NUM_PROXIES == num_proxies
    extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    request = RequestFactory().get("/api/v1/track/X/", REMOTE_ADDR="192.0.2.9", **extra)
    assert TrackingThrottle().get_ident(request) == BaseThrottle().get_ident(request)
