"""Helpers for tests of the shared rate limits (``sifa.core.limits``)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory

from sifa.core import limits


def failures(throttle_class) -> int:
    """The count ``throttle_class`` holds for a client without an account at the test client's address."""
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    throttle = throttle_class()
    rate = limits.Rate(throttle.num_requests, throttle.duration)
    return limits.peek(throttle.get_cache_key(request, None), rate).count


def statements():
    """``(seen, wrapper)``: every statement run inside ``with wrapper:`` is appended to ``seen``."""
    seen: list[str] = []

    def note(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    return seen, connection.execute_wrapper(note)
