"""Data scope on the personal-data endpoints: in-scope rows only, 404 (never 403) otherwise."""

import uuid

import pytest

from sifa.accounts.tests import factories
from sifa.audit.models import PersonalDataAccess
from sifa.organisations.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree):
    return {
        "xihu": factories.person(region_code="330106001000", name="张三"),
        "shangcheng": factories.person(region_code="330102", name="李四"),
    }


def test_county_reviewer_gets_404_for_a_citizen_in_the_other_county(tree, people, as_user):
    reviewer = as_user(factories.staff(tree.county, Role.REVIEWER))
    other = people["shangcheng"]
    response = reviewer.get(f"/api/v1/persons/{other.id}/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "未找到您要访问的内容"}
    unknown = reviewer.get(f"/api/v1/persons/{uuid.uuid4()}/")
    assert unknown.json() == response.json()
    assert reviewer.get("/api/v1/persons/not-a-uuid/").status_code == 404


def test_lists_contain_only_in_scope_rows_and_are_masked(tree, people, as_user):
    reviewer = as_user(factories.staff(tree.county, Role.REVIEWER))
    rows = reviewer.get("/api/v1/persons/").json()["results"]
    assert [r["id"] for r in rows] == [str(people["xihu"].id)]
    assert rows[0]["name"] == "张*"
    number = people["xihu"].reveal_id_number()
    assert rows[0]["id_number_masked"] == number[:3] + "*" * 11 + number[-4:]
    assert number not in str(rows)
    city = as_user(factories.staff(tree.city, Role.REVIEWER))
    assert {r["id"] for r in city.get("/api/v1/persons/").json()["results"]} == {
        str(p.id) for p in people.values()
    }


def test_filter_by_exact_id_number_uses_the_blind_index(tree, people, as_user):
    city = as_user(factories.staff(tree.city, Role.REVIEWER))
    number = people["shangcheng"].reveal_id_number()
    rows = city.get("/api/v1/persons/", {"id_number": number}).json()["results"]
    assert [r["id"] for r in rows] == [str(people["shangcheng"].id)]
    county = as_user(factories.staff(tree.county, Role.REVIEWER))
    assert county.get("/api/v1/persons/", {"id_number": number}).json()["results"] == []


def test_case_handler_sees_full_identifiers_and_the_read_is_logged(tree, people, as_user):
    reviewer_user = factories.staff(tree.county, Role.REVIEWER)
    reviewer = as_user(reviewer_user)
    subject = people["xihu"]
    response = reviewer.get(f"/api/v1/persons/{subject.id}/", {"purpose": "审查律师执业申请"})
    assert response.status_code == 200
    body = response.json()
    assert body["identifiers_revealed"] is True
    assert body["id_number"] == subject.reveal_id_number()
    assert body["phone"] == subject.user.reveal_phone()
    access = PersonalDataAccess.objects.get(subject=subject.user)
    assert (access.reader, access.purpose, access.reader_role) == (
        reviewer_user,
        "审查律师执业申请",
        "reviewer",
    )
    assert access.reader_organisation == tree.county


def test_default_purpose(tree, people, as_user):
    clerk = as_user(factories.staff(tree.township, Role.WINDOW_CLERK))
    clerk.get(f"/api/v1/persons/{people['xihu'].id}/")
    assert PersonalDataAccess.objects.get().purpose == "办理业务"


def test_other_roles_see_masked_detail_and_nothing_is_logged(tree, people, as_user):
    consultant = as_user(factories.staff(tree.township, Role.CONSULTANT))
    body = consultant.get(f"/api/v1/persons/{people['xihu'].id}/").json()
    assert body["identifiers_revealed"] is False
    assert body["id_number"] is None and body["phone"] is None
    assert not PersonalDataAccess.objects.exists()


def test_citizen_sees_only_their_own_rows(tree, people, as_user):
    me = people["xihu"]
    client = as_user(me.user)
    rows = client.get("/api/v1/persons/").json()["results"]
    assert [r["id"] for r in rows] == [str(me.id)]
    assert client.get(f"/api/v1/persons/{people['shangcheng'].id}/").status_code == 404
    own = client.get(f"/api/v1/persons/{me.id}/").json()
    assert own["identifiers_revealed"] is False


def test_companies_are_scoped(tree, as_user):
    xihu = factories.company(region_code="330106")
    shangcheng = factories.company(region_code="330102")
    county = as_user(factories.staff(tree.county, Role.REVIEWER))
    assert [r["id"] for r in county.get("/api/v1/companies/").json()["results"]] == [str(xihu.id)]
    assert county.get(f"/api/v1/companies/{shangcheng.id}/").status_code == 404
    assert county.get(f"/api/v1/companies/{xihu.id}/").json()["uscc"] == xihu.uscc


def test_anonymous_callers_are_refused(api, tree):
    for url in ("/api/v1/persons/", "/api/v1/companies/", "/api/v1/mandates/", "/api/v1/me/"):
        response = api.get(url)
        assert response.status_code == 401, url
        assert response.json()["code"] == "auth.required"


def test_me_shows_masked_identifiers_and_memberships(tree, people, as_user):
    me = people["xihu"]
    body = as_user(me.user).get("/api/v1/me/").json()
    assert body["kind"] == "person"
    assert body["person"]["id_number_masked"] == me.id_number_masked
    assert body["phone_masked"] == me.user.phone_masked
    assert me.reveal_id_number() not in str(body) and me.user.reveal_phone() not in str(body)
    assert body["region"] == {"code": "330106001000", "name": "北山街道"}
    assert body["mandates"] == {"given": [], "received": []}

    staff = factories.staff(tree.county, Role.WINDOW_CLERK, Role.REVIEWER)
    staff_body = as_user(staff).get("/api/v1/me/").json()
    assert {m["role"] for m in staff_body["memberships"]} == {"window_clerk", "reviewer"}
    assert staff_body["memberships"][0]["organisation"]["region_code"] == "330106"
    assert "mandates" not in staff_body
