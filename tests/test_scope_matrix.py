"""Cross-jurisdiction probe (security bar S1): every demo identity × every list endpoint × every
object of another jurisdiction or another citizen.

The demo data lives in 西湖区 (北山街道); canary accounts live in the second county, 上城区. No
list endpoint may ever show an identity a row outside its scope, and every detail read of such
a row answers 404 (never 403, which would confirm the row exists). A mutation run switches the
subtree predicate off and asserts that the probe then finds leaks, so the probe cannot pass
vacuously.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from sifa.accounts import services as accounts
from sifa.accounts.models import LegalPerson, Mandate, NaturalPerson, User
from sifa.accounts.services import issue_api_token
from sifa.accounts.tests import factories
from sifa.audit.services import record_access
from sifa.core.db import Subtree

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

NOT_LIST_ENDPOINTS = {"schema/", "docs/"}


def list_endpoints() -> list[str]:
    """Every GET endpoint under /api/v1/ that takes no path parameter."""
    found: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern) and "<" not in route and "(?P" not in route:
                found.append(prefix + route)

    walk(get_resolver().url_patterns, "/")
    return sorted(
        {
            p
            for p in found
            if p.startswith("/api/v1/") and p.removeprefix("/api/v1/") not in NOT_LIST_ENDPOINTS
        }
    )


def _client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        key, _token = issue_api_token(user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def _fetch_all(client: APIClient, url: str) -> str:
    """The text of every page of a list (bounded), or of the single answer."""
    texts = []
    next_url: str | None = url
    for _ in range(25):
        if not next_url:
            break
        response = client.get(next_url)
        assert response.status_code < 500, (url, response.status_code)
        texts.append(response.content.decode())
        try:
            body = response.json()
        except (ValueError, json.JSONDecodeError):
            break
        next_url = body.get("next") if isinstance(body, dict) else None
    return "\n".join(texts)


def _markers(user: User) -> set[str]:
    """Strings that identify one account and its personal rows in any API answer."""
    marks = {str(user.public_id), user.username}
    person = NaturalPerson.objects.filter(user=user).first()
    if person:
        marks |= {str(person.id), person.name, person.id_number_masked}
    company = LegalPerson.objects.filter(user=user).first()
    if company:
        marks |= {str(company.id), company.uscc, company.name}
    for mandate in Mandate.objects.filter(principal=user):
        marks.add(str(mandate.id))
    return marks


@pytest.fixture
def world(db):
    cache.clear()
    factories.build_tree()
    call_command("load-demo")
    demo = {u.username: u for u in User.objects.filter(is_demo=True)}
    citizen = User.objects.get(is_demo=True, kind="person", mandates_given__isnull=False)
    company = User.objects.get(is_demo=True, kind="company")
    agent = User.objects.get(is_demo=True, kind="person", mandates_received__principal=citizen)

    # Canaries in the second county (上城区), with a mandate and a staff read of their data.
    east_person = factories.person(region_code="330102", name="赵金诚").user
    east_other = factories.person(region_code="330102", name="钱玉洁").user
    east_company = factories.company(region_code="330102", name="上城金诚律师事务所").user
    today = dt.date.today()
    accounts.create_mandate(
        principal=east_person,
        agent=east_other,
        scope=[],
        valid_from=today,
        valid_until=today + dt.timedelta(days=30),
        document_reference="委托书（测试）",
    )
    record_access(
        reader=demo["demo-county2"],
        subject=east_person,
        subject_ref=str(east_person.public_id),
        object_type="accounts.NaturalPerson",
        purpose="办理业务",
        scope_path=east_person.scope_path,
    )
    west = {citizen, agent, company}
    east = {east_person, east_other, east_company}
    marks = {u: _markers(u) for u in west | east}
    everyone = west | east
    forbidden = {
        "demo-county": east,
        "demo-township": east,
        "demo-county2": west,
        citizen.username: east | {company},
        company.username: east | {citizen, agent},
        "anonymous": everyone,
    }
    return demo, forbidden, marks


def _identities(demo):
    users = dict(demo)
    users["anonymous"] = None
    return users


def probe(world) -> list[tuple[str, str, str]]:
    """Return (identity, endpoint, leaked marker) for every leak found."""
    demo, forbidden, marks = world
    endpoints = list_endpoints()
    assert "/api/v1/persons/" in endpoints and "/api/v1/me/access-log/" in endpoints, endpoints
    leaks = []
    for name, user in _identities(demo).items():
        banned = forbidden.get(name)
        if not banned:
            continue
        client = _client(user)
        for url in endpoints:
            text = _fetch_all(client, url)
            for owner in banned:
                for marker in marks[owner]:
                    if marker and marker in text:
                        leaks.append((name, url, marker))
    return leaks


def test_no_list_endpoint_shows_rows_of_another_jurisdiction_or_citizen(world):
    assert probe(world) == []


def test_detail_reads_outside_scope_answer_404(world):
    demo, forbidden, _marks = world
    attempts = 0
    for name, user in _identities(demo).items():
        banned = forbidden.get(name)
        if not banned:
            continue
        client = _client(user)
        is_staff = user is not None and user.kind == "staff"
        for owner in banned:
            ids = {
                "persons": [str(p.id) for p in NaturalPerson.objects.filter(user=owner)],
                "companies": [str(c.id) for c in LegalPerson.objects.filter(user=owner)],
                "mandates": [str(m.id) for m in Mandate.objects.filter(principal=owner)],
            }
            for resource, values in ids.items():
                for value in values:
                    for variant in (value, value.upper()):
                        response = client.get(f"/api/v1/{resource}/{variant}/")
                        attempts += 1
                        allowed = {404} if is_staff else {401, 403, 404}
                        assert response.status_code in allowed, (name, resource, response.status_code)
                        assert "赵金诚" not in response.content.decode()
    assert attempts >= 40


def test_in_scope_rows_are_visible(world):
    """The probe must not pass by hiding everything: staff see their own county's people."""
    demo, _forbidden, marks = world
    citizen = User.objects.get(is_demo=True, kind="person", mandates_given__isnull=False)
    text = _fetch_all(_client(demo["demo-county"]), "/api/v1/persons/")
    assert any(m in text for m in marks[citizen])
    east_person = NaturalPerson.objects.get(region_id="330102", name="赵金诚")
    text = _fetch_all(_client(demo["demo-county2"]), "/api/v1/persons/")
    assert str(east_person.id) in text


def test_probe_catches_a_broken_scope_predicate(world, monkeypatch):
    """Mutation: with the subtree range switched off, the probe must report leaks."""
    monkeypatch.setattr(Subtree, "as_sql", lambda self, compiler, connection: ("1=1", []))
    assert probe(world), "the probe found no leak with scoping disabled: it has no teeth"
