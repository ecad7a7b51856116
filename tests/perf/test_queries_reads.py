"""Query-count guards of the small reads the benchmark measures (issue 16; docs/performance.md,
"2026-12-05 evening: me/W5/W6a profiles"): ``GET /api/v1/me/`` with a bearer token (``me``), the
public progress query ``GET /api/v1/track/{number}/?code=`` (W5) and licence verification
``GET /api/v1/licences/verify/{identifier}/`` (W6a).

Each test fails when its view gains a query. The budgets are what the views make today, counted
inside the test's transaction (the shared limits count with two statements there: the previous
window's read and the capped upsert). Raise a budget only with the profile that says why.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from sifa.accounts.services.auth import issue_api_token
from sifa.core import limits
from sifa.deadlines import db_calendar
from tests import probe_world

ME_STAFF_QUERIES = 2
"""The token with its account, memberships and natural person, in one fixed statement (1), and
the token's last-used stamp at most once a minute (1). Before 2026-12-06: 4 (token with account,
stamp, memberships, person)."""
ME_CITIZEN_QUERIES = 5
"""As for staff, plus the caller's scope (``actor_for``: its memberships, 1) and the mandates given
and received (2). Before 2026-12-06: 7."""
TRACK_QUERIES = 5
"""The throttle (2), the case with its item, version item and organisations (1), its open clocks
(1), its public timeline with organisations (1)."""
VERIFY_QUERIES = 4
"""The throttle (2), the licence with its type (1), its successor (1)."""


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[probe_world.World]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield probe_world.build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            db_calendar.forget()
            limits.clear()


def _bearer(world: probe_world.World, name: str) -> APIClient:
    token, _ = issue_api_token(world.users[name])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "budget"), [("staff-city", ME_STAFF_QUERIES), ("citizen", ME_CITIZEN_QUERIES)]
)
def test_me_reads_in_a_fixed_number_of_queries(world, django_assert_max_num_queries, name, budget):
    client = _bearer(world, name)
    with django_assert_max_num_queries(budget):
        response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == world.users[name].username


@pytest.mark.django_db
def test_me_after_the_first_request_does_not_stamp_the_token_again(world, django_assert_max_num_queries):
    client = _bearer(world, "staff-city")
    assert client.get("/api/v1/me/").status_code == 200
    with django_assert_max_num_queries(ME_STAFF_QUERIES - 1):
        assert client.get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_progress_query_reads_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    limits.clear()
    number, code = world.values["pending"], world.values["query_code"]
    with django_assert_max_num_queries(TRACK_QUERIES):
        response = APIClient().get(f"/api/v1/track/{number}/", {"code": code})
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == number and body["timeline"]


@pytest.mark.django_db
def test_wrong_query_code_costs_no_more_than_a_right_one(world, django_assert_max_num_queries):
    limits.clear()
    with django_assert_max_num_queries(TRACK_QUERIES):
        response = APIClient().get(f"/api/v1/track/{world.values['pending']}/", {"code": "AAAAAAAA"})
    assert response.status_code == 404


@pytest.mark.django_db
def test_licence_verification_reads_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    limits.clear()
    identifier = world.values["licence"]
    with django_assert_max_num_queries(VERIFY_QUERIES):
        response = APIClient().get(f"/api/v1/licences/verify/{identifier}/")
    assert response.status_code == 200
    assert response.json()["identifier"] == identifier


def _me_from_the_orm(user) -> dict:
    """The staff part of ``GET /api/v1/me/`` as the ORM built it before the fixed statements."""
    from sifa.accounts.models import NaturalPerson
    from sifa.organisations.models import Membership

    memberships = [
        {
            "organisation": {
                "id": m.organisation.pk,
                "name": m.organisation.name,
                "level": m.organisation.level,
                "path": m.organisation.path,
                "region_code": m.organisation.region_id,
            },
            "role": m.role,
            "role_display": m.get_role_display(),
        }
        for m in Membership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__path", "role")
    ]
    person = NaturalPerson.objects.select_related("region").filter(user=user).first()
    return {
        "public_id": str(user.public_id),
        "username": user.username,
        "kind": user.kind,
        "display_name": user.display_name,
        "phone_masked": user.phone_masked,
        "person": None
        if person is None
        else {"id": str(person.id), "name": person.name, "id_number_masked": person.id_number_masked},
        "region": None if person is None else {"code": person.region.code, "name": person.region.name},
        "memberships": memberships,
    }


@pytest.mark.django_db
def test_me_answers_what_the_orm_reads_gave(world):
    """The fixed statements of ``me`` (and of the token lookup) answer the same as the ORM reads."""
    from sifa.accounts.models import LegalPerson

    company = LegalPerson.objects.select_related("user").get(pk=world.values["company"]).user
    for name, user in [*world.users.items(), ("company", company)]:
        token, _ = issue_api_token(user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        body = client.get("/api/v1/me/").json()
        expected = _me_from_the_orm(user)
        if name == "company":
            del expected["region"]  # a company's region is its registered one (CompanySerializer)
            assert body["company"] is not None
        assert {key: body[key] for key in expected} == expected, name
