"""代办/委托: creation rules (person or company agents, dates, overlap, items), the API for
citizens and companies, and mandate_allows / mandate_for."""

import datetime as dt

import pytest

from sifa.accounts import services
from sifa.accounts.models import Mandate
from sifa.accounts.selectors import mandate_allows, mandate_for, mandate_state, principals_for
from sifa.accounts.services import mandates as mandate_services
from sifa.accounts.tests import factories
from sifa.audit.models import AuditEvent
from sifa.core.errors import ServiceError
from sifa.organisations.models import Role

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
LAWYER = "000100001000"
LEGAL_AID = "000900001000"


@pytest.fixture(autouse=True)
def catalogue_of_two_items():
    """The accounts app sits below the catalogue: its tests stand in a two-item lookup for the one
    ``sifa.applications`` registers in production."""
    names = {LAWYER: "律师执业许可", LEGAL_AID: "法律援助申请"}
    previous = mandate_services._item_lookup
    services.use_item_lookup(lambda codes: {c: names[c] for c in codes if c in names})
    yield
    services.use_item_lookup(previous)


@pytest.fixture
def pair(tree):
    return factories.person(name="陈明").user, factories.person(name="刘芳").user


def _grant(principal, agent, scope=(), start=0, end=30):
    return services.create_mandate(
        principal=principal,
        agent=agent,
        scope=list(scope),
        valid_from=TODAY + dt.timedelta(days=start),
        valid_until=TODAY + dt.timedelta(days=end),
    )


def test_mandate_allows_within_scope_and_window(pair):
    principal, agent = pair
    mandate = _grant(principal, agent, [LAWYER])
    assert mandate_allows(agent, principal, LAWYER, TODAY)
    assert mandate_for(agent, principal, ["000100001001", LAWYER], TODAY) == mandate
    assert not mandate_allows(agent, principal, LEGAL_AID, TODAY)
    assert not mandate_allows(agent, principal, LAWYER, TODAY + dt.timedelta(days=31))
    assert not mandate_allows(principal, agent, LAWYER, TODAY)
    assert principals_for(agent, [LAWYER], TODAY) == [(principal, mandate)]
    assert principals_for(agent, [LEGAL_AID], TODAY) == []


def test_empty_scope_means_every_item_and_revocation_ends_it(pair):
    principal, agent = pair
    mandate = _grant(principal, agent, end=1)
    assert mandate_allows(agent, principal, "anything", TODAY)
    services.revoke_mandate(mandate, by=principal)
    assert not mandate_allows(agent, principal, "anything", TODAY)
    assert mandate_state(Mandate.objects.get(pk=mandate.pk), TODAY) == ("revoked", "已撤销")


def test_a_law_firm_account_can_be_an_agent(tree):
    client = factories.person(name="王丽").user
    firm = factories.company(name="浙江明理律师事务所").user
    mandate = _grant(client, firm, [LAWYER])
    assert mandate.agent == firm and mandate_allows(firm, client, LAWYER, TODAY)
    event = AuditEvent.objects.get(action="account.create_mandate", object_id=str(mandate.id))
    assert event.detail["agent_kind"] == "company"


def test_states_read_as_people_read_them(pair):
    principal, agent = pair
    later = _grant(principal, agent, [LAWYER], start=5, end=10)
    assert mandate_state(later, TODAY) == ("pending", "未生效")
    assert mandate_state(later, TODAY + dt.timedelta(days=6)) == ("active", "有效")
    assert mandate_state(later, TODAY + dt.timedelta(days=11)) == ("expired", "已过期")


@pytest.mark.parametrize(
    ("who", "from_offset", "until_offset", "scope", "code"),
    [
        ("self", 0, 1, [], "mandate.self"),
        ("staff", 0, 1, [], "mandate.agent_invalid"),
        ("agent", 5, 1, [], "mandate.window"),
        ("agent", -10, -1, [], "mandate.expired"),
        ("agent", 0, 366 * 6, [], "mandate.too_long"),
        ("agent", 0, 1, ["000999001000"], "mandate.scope_unknown"),
        ("agent", 0, 1, ["no spaces allowed"], "mandate.scope_invalid"),
    ],
)
def test_invalid_mandates_are_refused_and_nothing_is_written(
    tree, pair, who, from_offset, until_offset, scope, code
):
    principal, agent = pair
    target = {"self": principal, "staff": factories.staff(tree.county, Role.REVIEWER), "agent": agent}[who]
    with pytest.raises(ServiceError) as excinfo:
        services.create_mandate(
            principal=principal,
            agent=target,
            scope=scope,
            valid_from=TODAY + dt.timedelta(days=from_offset),
            valid_until=TODAY + dt.timedelta(days=until_offset),
        )
    assert excinfo.value.code == code and excinfo.value.status == 400
    assert not Mandate.objects.exists()


def test_overlapping_mandates_to_the_same_agent_are_refused(pair):
    principal, agent = pair
    _grant(principal, agent, [LAWYER], start=0, end=30)
    for scope, start, end in (([LAWYER], 30, 60), ([], 10, 20)):
        with pytest.raises(ServiceError) as excinfo:
            _grant(principal, agent, scope, start=start, end=end)
        assert excinfo.value.code == "mandate.overlap" and excinfo.value.status == 409
    # Other items, or later dates, are fine.
    _grant(principal, agent, [LEGAL_AID], start=0, end=30)
    _grant(principal, agent, [LAWYER], start=31, end=60)
    assert Mandate.objects.count() == 3


def test_a_revoked_mandate_no_longer_blocks_a_new_one(pair):
    principal, agent = pair
    services.revoke_mandate(_grant(principal, agent, [LAWYER]), by=principal)
    assert _grant(principal, agent, [LAWYER]).status == "active"


def test_only_the_parties_may_revoke_and_only_once(tree, pair):
    principal, agent = pair
    mandate = _grant(principal, agent)
    with pytest.raises(ServiceError) as excinfo:
        services.revoke_mandate(mandate, by=factories.person(name="王五").user)
    assert excinfo.value.status == 404
    services.revoke_mandate(mandate, by=agent)  # the agent may decline
    with pytest.raises(ServiceError) as excinfo:
        services.revoke_mandate(mandate, by=principal)
    assert excinfo.value.code == "mandate.already_revoked"


def _payload(**changes):
    payload = {
        "agent_name": "刘芳",
        "scope": [],
        "valid_from": str(TODAY),
        "valid_until": str(TODAY + dt.timedelta(days=90)),
        "document_reference": "委托书 2026-001",
    }
    payload.update(changes)
    return payload


def test_citizen_creates_a_mandate_through_the_api(tree, as_user):
    principal = factories.person(name="陈明")
    agent = factories.person(name="刘芳")
    client = as_user(principal.user)
    payload = _payload(agent_id_number=agent.reveal_id_number())
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
    assert wrong_name.json()["errors"][0]["field"] == "agent_id_number"
    overlap = client.post("/api/v1/mandates/", payload, format="json")
    assert overlap.status_code == 409 and overlap.json()["code"] == "mandate.overlap"
    revoked = client.post(f"/api/v1/mandates/{mandate_id}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert Mandate.objects.count() == 1


def test_a_company_names_a_law_firm_by_uscc_and_name(tree, as_user):
    client = factories.company(name="杭州某某科技有限公司")
    firm = factories.company(name="浙江明理律师事务所")
    api = as_user(client.user)
    body = _payload(agent_kind="company", agent_name=firm.name, agent_uscc=firm.uscc.lower(), scope=[LAWYER])
    response = api.post("/api/v1/mandates/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["agent"]["kind"] == "company"
    assert Mandate.objects.get().agent == firm.user

    # A USCC with a wrong check character, another name, a missing code: clear 400s, nothing new.
    bad_check = firm.uscc[:-1] + ("0" if firm.uscc[-1] != "0" else "1")
    for changes, code, field in (
        ({"agent_uscc": bad_check}, "uscc.check_char", "agent_uscc"),
        ({"agent_name": "浙江某某律师事务所"}, "mandate.agent_not_found", "agent_uscc"),
        ({"agent_uscc": ""}, "validation_error", "agent_uscc"),
        ({"scope": ["000999001000"], "valid_from": str(TODAY + dt.timedelta(days=200))}, None, "scope"),
    ):
        refused = api.post("/api/v1/mandates/", {**body, **changes}, format="json")
        assert refused.status_code == 400, refused.json()
        if code:
            assert refused.json()["code"] == code
        assert field in {e["field"] for e in refused.json()["errors"]}, refused.json()
    assert Mandate.objects.count() == 1


def test_staff_cannot_create_mandates(tree, as_user):
    response = as_user(factories.staff(tree.county, Role.REVIEWER)).post(
        "/api/v1/mandates/", {}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "mandate.principal_invalid"
