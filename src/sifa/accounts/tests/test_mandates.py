"""代办/委托: creation rules, the API for citizens, and mandate_allows."""

import datetime as dt

import pytest

from sifa.accounts import services
from sifa.accounts.selectors import mandate_allows
from sifa.accounts.tests import factories
from sifa.core.errors import ServiceError
from sifa.organisations.models import Role

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture
def pair(tree):
    return factories.person(name="陈明").user, factories.person(name="刘芳").user


def test_mandate_allows_within_scope_and_window(pair):
    principal, agent = pair
    services.create_mandate(
        principal=principal,
        agent=agent,
        scope=["000123001000"],
        valid_from=TODAY,
        valid_until=TODAY + dt.timedelta(days=30),
    )
    assert mandate_allows(agent, principal, "000123001000", TODAY)
    assert not mandate_allows(agent, principal, "000999001000", TODAY)
    assert not mandate_allows(agent, principal, "000123001000", TODAY + dt.timedelta(days=31))
    assert not mandate_allows(principal, agent, "000123001000", TODAY)


def test_empty_scope_means_every_item_and_revocation_ends_it(pair):
    principal, agent = pair
    mandate = services.create_mandate(
        principal=principal, agent=agent, valid_from=TODAY, valid_until=TODAY + dt.timedelta(days=1)
    )
    assert mandate_allows(agent, principal, "anything", TODAY)
    services.revoke_mandate(mandate, by=principal)
    assert not mandate_allows(agent, principal, "anything", TODAY)


@pytest.mark.parametrize(
    ("who", "from_offset", "until_offset", "code"),
    [
        ("self", 0, 1, "mandate.self"),
        ("staff", 0, 1, "mandate.agent_not_person"),
        ("agent", 5, 1, "mandate.window"),
        ("agent", -10, -1, "mandate.expired"),
    ],
)
def test_invalid_mandates_are_refused(tree, pair, who, from_offset, until_offset, code):
    principal, agent = pair
    target = {"self": principal, "staff": factories.staff(tree.county, Role.REVIEWER), "agent": agent}[who]
    with pytest.raises(ServiceError) as excinfo:
        services.create_mandate(
            principal=principal,
            agent=target,
            valid_from=TODAY + dt.timedelta(days=from_offset),
            valid_until=TODAY + dt.timedelta(days=until_offset),
        )
    assert excinfo.value.code == code


def test_citizen_creates_a_mandate_through_the_api(tree, as_user):
    principal = factories.person(name="陈明")
    agent = factories.person(name="刘芳")
    client = as_user(principal.user)
    payload = {
        "agent_name": "刘芳",
        "agent_id_number": agent.reveal_id_number(),
        "scope": [],
        "valid_from": str(TODAY),
        "valid_until": str(TODAY + dt.timedelta(days=90)),
        "document_reference": "委托书 2026-001",
    }
    response = client.post("/api/v1/mandates/", payload, format="json")
    assert response.status_code == 201, response.json()
    mandate_id = response.json()["id"]
    assert client.get(f"/api/v1/mandates/{mandate_id}/").status_code == 200
    assert as_user(agent.user).get(f"/api/v1/mandates/{mandate_id}/").status_code == 200
    stranger = factories.person(name="王五")
    assert as_user(stranger.user).get(f"/api/v1/mandates/{mandate_id}/").status_code == 404
    assert as_user(stranger.user).get("/api/v1/mandates/").json()["results"] == []
    other_county = as_user(factories.staff(tree.other_county, Role.REVIEWER))
    assert other_county.get(f"/api/v1/mandates/{mandate_id}/").status_code == 404
    given = client.get("/api/v1/me/").json()["mandates"]["given"]
    assert [m["id"] for m in given] == [mandate_id]

    wrong_name = client.post("/api/v1/mandates/", {**payload, "agent_name": "刘芬"}, format="json")
    assert wrong_name.status_code == 400
    assert wrong_name.json()["code"] == "mandate.agent_not_found"
    revoked = client.post(f"/api/v1/mandates/{mandate_id}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_staff_cannot_create_mandates(tree, as_user):
    response = as_user(factories.staff(tree.county, Role.REVIEWER)).post(
        "/api/v1/mandates/", {}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "mandate.principal_invalid"
