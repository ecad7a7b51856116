"""Garbage in, never a 500: every API route and page, with malformed path values and query strings,
as an anonymous caller, a citizen and a staff member."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from sifa.accounts.tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

GARBAGE_VALUES = ["0", "-1", "x" * 300, "%00", "' OR 1=1 --", "../../etc/passwd", "９９", "1.2.156.3005.2.."]
GARBAGE_QUERY = {
    "page": "-1",
    "page_size": "abc",
    "q": "'\";--",
    "region": "zz",
    "level": "99",
    "status": "nope",
    "changed_since": "yesterday",
    "code": "\x00",
    "since": "x",
    "until": "y",
}


def routes() -> list[str]:
    found: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern):
                found.append(prefix + route)

    walk(get_resolver().url_patterns, "/")
    return sorted({r for r in found if not r.startswith("/admin/") and "(?P" not in r and "^" not in r})


def fill(route: str, value: str) -> str:
    return re.sub(r"<(?:\w+:)?\w+>", value.replace("/", "%2F"), route)


def test_no_route_answers_500_to_garbage():
    cache.clear()
    tree = factories.build_tree()
    citizen = factories.person().user
    staff = factories.staff(tree.county, "window_clerk", "reviewer")
    clients = {"anonymous": APIClient(), "citizen": APIClient(), "staff": APIClient()}
    clients["citizen"].force_authenticate(citizen)
    clients["staff"].force_authenticate(staff)
    failures = []
    for route in routes():
        paths = {fill(route, v) for v in GARBAGE_VALUES} if "<" in route else {route}
        for path in paths:
            for name, client in clients.items():
                for method in ("get", "post"):
                    data = GARBAGE_QUERY if method == "get" else {"garbage": ["x"], "n": "1e999"}
                    try:
                        response = getattr(client, method)(path, data)
                    except Exception as exc:  # an exception here is the bug we look for
                        failures.append((name, method, path, repr(exc)[:200]))
                        continue
                    if response.status_code >= 500:
                        failures.append((name, method, path, response.status_code))
        cache.clear()
    assert failures == []


@pytest.mark.parametrize(
    ("kwargs"),
    [
        {"path": "/api/v1/applications/%00/"},
        {"path": "/api/v1/catalogue/items/", "data": {"q": "律师\x00"}},
        {"path": "/api/v1/auth/token/", "method": "post", "data": {"username": "a\x00", "password": "x"}},
        {
            "path": "/api/v1/auth/token/",
            "method": "post",
            "data": {"username": "a\x00", "password": "x"},
            "format": "json",
        },
    ],
)
def test_nul_characters_are_refused_with_a_stable_code(kwargs):
    client = APIClient()
    method = kwargs.pop("method", "get")
    response = getattr(client, method)(kwargs.pop("path"), kwargs.pop("data", None), **kwargs)
    assert response.status_code == 400
    assert response.json()["code"] == "request.nul_character"
