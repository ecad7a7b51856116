"""The roster API: public reading, staff-only keeping, and a clear 4xx for every bad request."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sifa.audit.models import AuditEvent
from sifa.catalogue.models import ImplementationEntry
from sifa.catalogue.tests.conftest import build_tree, cat, loaded  # noqa: F401  (fixtures)
from sifa.mediation.models import MediationCommittee, Mediator
from sifa.organisations.models import Role
from sifa.testing import CitizenFactory, staff

pytestmark = pytest.mark.django_db
ROSTER = "/api/v1/mediation/roster/"


def _client(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


@pytest.fixture
def keeper(cat, django_user_model):  # noqa: F811
    return _client(staff("town-handler", cat["orgs"]["xh_town"], Role.REVIEWER))


def test_staff_keep_the_roster_and_anyone_reads_it(cat, keeper):  # noqa: F811
    town = cat["orgs"]["xh_town"]
    created = keeper.post(
        f"/api/v1/mediation/offices/{town.pk}/committees/",
        {"name": "北山街道人民调解委员会", "kind": "township"},
    )
    assert created.status_code == 201
    committee = created.json()["id"]
    added = keeper.post(
        f"/api/v1/mediation/committees/{committee}/mediators/", {"name": "王秀英", "position": "director"}
    )
    assert added.status_code == 201
    assert AuditEvent.objects.filter(action="mediation.mediator.add").exists()
    entry = ImplementationEntry.objects.get(item__name="人民调解申请", organisation=town)
    body = _client().get(ROSTER, {"entry": entry.implementation_code}).json()
    assert body["organisation"] == town.name
    assert body["committees"][0]["mediators"][0] == {
        "id": added.json()["id"], "name": "王秀英", "position": "主任", "specialties": "",
    }  # fmt: skip
    off = keeper.post(
        f"/api/v1/mediation/mediators/{added.json()['id']}/active/", {"active": False}, format="json"
    )
    assert off.status_code == 200
    assert _client().get(ROSTER, {"organisation": town.pk}).json()["committees"] == []


def test_bad_requests_get_a_clear_4xx_and_nothing_is_written(cat, keeper, django_user_model):  # noqa: F811
    orgs = cat["orgs"]
    town = orgs["xh_town"]
    assert _client().get(ROSTER).status_code == 400
    assert _client().get(ROSTER, {"entry": "nope"}).json()["code"] == "mediation.not_found"
    assert _client().get(ROSTER, {"organisation": orgs["xh"].pk}).status_code == 404  # a bureau, not a 司法所
    assert _client().get(ROSTER, {"organisation": "x"}).status_code == 404

    bad = keeper.post(f"/api/v1/mediation/offices/{town.pk}/committees/", {"name": "", "kind": "club"})
    assert bad.status_code == 400 and {e["field"] for e in bad.json()["errors"]} == {"name", "kind"}
    committee = MediationCommittee.objects.create(
        organisation=town, name="北山街道人民调解委员会", kind="township"
    )
    twice = keeper.post(
        f"/api/v1/mediation/offices/{town.pk}/committees/",
        {"name": "北山街道人民调解委员会", "kind": "township"},
    )
    assert twice.status_code == 400 and twice.json()["errors"][0]["code"] == "mediation.duplicate"
    assert keeper.post("/api/v1/mediation/committees/999999/mediators/", {"name": "王某"}).status_code == 404
    hidden = keeper.post(
        f"/api/v1/mediation/committees/{committee.pk}/mediators/",
        {"name": "王\u202e某", "position": "member"},
    )  # issue 14: bidi controls in names
    assert hidden.status_code == 400
    assert [(e["field"], e["code"]) for e in hidden.json()["errors"]] == [
        ("name", "name.invisible_character")
    ]
    no_position = keeper.post(f"/api/v1/mediation/committees/{committee.pk}/mediators/", {"name": "王某"})
    assert no_position.status_code == 400 and no_position.json()["errors"][0]["field"] == "position"
    mediator = Mediator.objects.create(committee=committee, name="王秀英", position="member")
    garbage = keeper.post(
        f"/api/v1/mediation/mediators/{mediator.pk}/active/", {"active": "maybe"}, format="json"
    )
    assert garbage.status_code == 400

    # Someone who does not keep this roster: a citizen, or staff of another county.
    citizen = CitizenFactory(username="citizen")
    other = staff("dc-clerk", orgs["dc"], Role.WINDOW_CLERK)
    for outsider in (_client(citizen), _client(other)):
        refused = outsider.post(
            f"/api/v1/mediation/committees/{committee.pk}/mediators/", {"name": "李某", "position": "member"}
        )
        assert refused.status_code == 403 and refused.json()["code"] == "mediation.not_keeper"
    assert (
        _client().post(f"/api/v1/mediation/mediators/{mediator.pk}/active/", {"active": False}).status_code
        == 401
    )
    assert Mediator.objects.count() == 1 and MediationCommittee.objects.count() == 1
