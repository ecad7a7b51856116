"""重庆 江北区 (500105) and 渝北区 (500112) are districts with their townships; 两江新区 is not a county."""

from __future__ import annotations

import gzip
import importlib
from pathlib import Path

import pytest
from django.apps import apps
from rest_framework.test import APIClient

from sifa.organisations.models import Organisation, Region
from sifa.organisations.services import REGIONS_FILE, build_organisations, import_regions
from sifa.organisations.tests.conftest import write_subset

pytestmark = pytest.mark.django_db
CHONGQING = {"500000", "500103", "500105", "500112"}


@pytest.fixture
def chongqing(tmp_path: Path) -> None:
    import_regions(write_subset(tmp_path / "cq.csv.gz", CHONGQING))
    build_organisations()


def test_the_region_file_has_no_national_new_area_as_a_county():
    with gzip.open(REGIONS_FILE, "rt", encoding="utf-8") as handle:
        rows = [line.split(",") for line in handle]
    assert not [row for row in rows if "500157" in (row[0], row[3])]
    assert [row[1] for row in rows if row[0] in ("500105", "500112")] == ["江北区", "渝北区"]


def test_both_districts_resolve_with_their_townships(chongqing):
    client = APIClient()
    jiangbei = client.get("/api/v1/regions/500105/").json()
    assert (jiangbei["name"], jiangbei["level"], jiangbei["parent"]) == ("江北区", 3, "500000")
    assert client.get("/api/v1/regions/500112/").json()["name"] == "渝北区"
    assert client.get("/api/v1/regions/500157/").status_code == 404
    assert Region.objects.filter(parent_id="500105").count() == 12
    assert Region.objects.filter(parent_id="500112").count() == 30
    townships = [t["name"] for t in client.get("/api/v1/regions/", {"parent": "500105"}).json()]
    assert "观音桥街道" in townships


def test_the_tree_has_their_bureaus_centres_and_judicial_offices(chongqing):
    municipal = Organisation.objects.get(kind="bureau", region_id="500000")
    for code, name, townships in (("500105", "重庆市江北区司法局", 12), ("500112", "重庆市渝北区司法局", 30)):
        bureau = Organisation.objects.get(kind="bureau", region_id=code)
        assert (bureau.name, bureau.parent, bureau.level) == (name, municipal, 4)
        below = Organisation.objects.filter(path__subtree=bureau.path).exclude(pk=bureau.pk)
        assert below.filter(kind="judicial_office").count() == townships
        assert below.filter(kind__in=["legal_service_centre", "legal_aid_centre"]).count() == 2
    office = Organisation.objects.get(region__name="观音桥街道")
    assert (office.name, office.parent.region_id) == ("观音桥街道司法所", "500105")


def test_an_old_database_keeps_the_zone_rows_but_routes_nobody_there(chongqing):
    zone = Region.objects.create(code="500157", name="两江新区", level=3, parent_id="500000", vintage="old")
    bureau = Organisation.objects.create(
        name="重庆市两江新区司法局", kind="bureau", level=4, region=zone, path="/zone/"
    )
    migration = importlib.import_module("sifa.organisations.migrations.0003_deactivate_liangjiang_new_area")
    migration.deactivate_zone_organisations(apps, None)
    bureau.refresh_from_db()
    assert not bureau.is_active
    assert Organisation.objects.filter(region_id="500105", is_active=True).count() == 3
