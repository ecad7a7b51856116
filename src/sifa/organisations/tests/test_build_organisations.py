"""`sifa build-organisations` on a small real subset: shape, names, codes, paths, idempotence."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sifa.audit.models import AuditEvent
from sifa.core.identifiers import uscc_is_valid
from sifa.organisations.models import Organisation, Region
from sifa.organisations.selectors import subtree_of
from sifa.organisations.services import build_organisations, import_regions

pytestmark = pytest.mark.django_db


def bureau(region_code: str) -> Organisation:
    return Organisation.objects.get(kind="bureau", region_id=region_code)


def test_levels_follow_the_regions(subset_tree):
    regions_per_level = {level: Region.objects.filter(level=level).count() for level in (1, 2, 3, 4)}

    assert Organisation.objects.filter(level=1).get().name == "中华人民共和国司法部"
    for region_level, count in regions_per_level.items():
        assert (
            Organisation.objects.filter(
                kind__in=["bureau", "judicial_office"], level=region_level + 1
            ).count()
            == count
        )
    assert Organisation.objects.filter(kind="legal_service_centre", level=4).count() == regions_per_level[3]
    assert Organisation.objects.filter(kind="legal_aid_centre", level=4).count() == regions_per_level[3]


def test_names_follow_the_house_rules(subset_tree):
    assert bureau("110000").name == "北京市司法局"
    assert bureau("210000").name == "辽宁省司法厅"
    assert bureau("110101").name == "北京市东城区司法局"
    assert bureau("110101").short_name == "东城区司法局"
    assert bureau("429004").name == "仙桃市司法局"
    office = Organisation.objects.get(region_id="110101001000")
    assert (office.name, office.kind, office.level) == ("东华门街道司法所", "judicial_office", 5)
    assert (
        Organisation.objects.get(kind="legal_aid_centre", region_id="110101").name
        == "北京市东城区法律援助中心"
    )


def test_parents_follow_the_region_tree(subset_tree):
    ministry = Organisation.objects.get(kind="ministry")
    assert bureau("110000").parent == ministry
    assert bureau("110101").parent == bureau("110000")  # 直辖市 district under the 市司法局
    assert bureau("429004").parent == bureau("420000")  # 省直辖县级市
    assert Organisation.objects.get(region_id="441900003000").parent == bureau("441900")  # 东莞
    assert Organisation.objects.get(region_id="130171010000").parent == bureau("130100")  # development zone


def test_paths_are_the_chain_of_ids(subset_tree):
    by_id = {org.id: org for org in Organisation.objects.all()}
    for org in by_id.values():
        expected = f"{by_id[org.parent_id].path}{org.id}/" if org.parent_id else f"/{org.id}/"
        assert org.path == expected


def test_a_county_subtree_is_the_bureau_its_centres_and_its_offices(subset_tree):
    county = bureau("110101")
    townships = Region.objects.filter(parent_id="110101").count()

    subtree = Organisation.objects.filter(path__subtree=county.path)

    assert townships == 17
    assert subtree.count() == 1 + 2 + townships
    assert set(subtree.values_list("kind", flat=True)) == {
        "bureau",
        "legal_service_centre",
        "legal_aid_centre",
        "judicial_office",
    }
    assert list(subtree_of(county)) == list(subtree.order_by("path"))


def test_every_code_is_valid_unique_and_the_known_one_is_official(subset_tree):
    codes = list(Organisation.objects.values_list("uscc", "uscc_source"))
    assert all(uscc_is_valid(code) for code, _source in codes)
    assert len({code for code, _source in codes}) == len(codes)
    liaoning = bureau("210000")
    assert (liaoning.uscc, liaoning.uscc_source) == ("11210000001100230L", "official")
    assert bureau("110000").uscc[:8] == "11110000"
    assert Organisation.objects.get(kind="ministry").uscc[:8] == "11100000"


def test_rebuilding_changes_nothing(subset_tree):
    before = list(Organisation.objects.values_list("id", "path", "name", "uscc").order_by("id"))

    result = build_organisations()

    assert (result.created, result.updated) == (0, 0)
    assert list(Organisation.objects.values_list("id", "path", "name", "uscc").order_by("id")) == before
    # The first build is audited with its counts; a build that changed nothing records nothing.
    (event,) = AuditEvent.objects.filter(action="organisation.tree_built")
    assert event.detail == {"created": Organisation.objects.count(), "updated": 0}


def test_a_new_region_adds_only_its_organisations_and_repairs_edits(subset_tree, tmp_path: Path):
    from sifa.organisations.tests.conftest import SUBSET, write_subset

    Organisation.objects.filter(pk=bureau("110000").pk).update(name="改错的名称")
    ids_before = dict(Organisation.objects.values_list("path", "id"))
    import_regions(write_subset(tmp_path / "more.csv.gz", SUBSET | {"110105"}))

    result = build_organisations()

    new_townships = Region.objects.filter(parent_id="110105").count()
    assert (result.created, result.updated) == (3 + new_townships, 1)
    assert bureau("110000").name == "北京市司法局"
    assert all(Organisation.objects.get(path=path).id == pk for path, pk in ids_before.items())
    assert bureau("110105").path == f"{bureau('110000').path}{bureau('110105').id}/"


def test_ordinary_creates_still_work_after_a_build(subset_tree):
    top = Organisation.objects.order_by("-id").first()
    created = Organisation.objects.create(name="测试机构", kind="bureau", level=3, path="/test/")
    assert created.id > top.id


def test_command_needs_regions_first():
    with pytest.raises(CommandError, match="import-regions"):
        call_command("build-organisations")


def test_command_reports_counts(subset_file: Path):
    import_regions(subset_file)
    out = StringIO()
    call_command("build-organisations", stdout=out)
    assert "机构树生成完成：新增" in out.getvalue()
