"""A small real subset of the region file, for fast tests of the import, the build and the API."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from sifa.organisations.services import REGIONS_FILE, build_organisations, import_regions

# 北京 (直辖市: districts under the province), 辽宁 (official USCC of 辽宁省司法厅), 湖北 仙桃
# (省直辖县级市), 广东 东莞 (city without counties), 河北 石家庄 (development-zone townships that
# hang directly under the city).
SUBSET = {
    "110000",
    "110101",
    "110102",
    "210000",
    "210100",
    "210102",
    "420000",
    "429004",
    "440000",
    "441900",
    "130000",
    "130100",
    "130102",
}


def write_subset(path: Path, keep: set[str] = SUBSET) -> Path:
    with gzip.open(REGIONS_FILE, "rt", encoding="utf-8", newline="") as source:
        rows = [row for row in csv.reader(source)]
    header, body = rows[0], rows[1:]
    subset = [row for row in body if row[0] in keep or (row[2] == "4" and row[3] in keep)]
    with gzip.open(path, "wt", encoding="utf-8", newline="") as target:
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(subset)
    return path


@pytest.fixture
def subset_file(tmp_path: Path) -> Path:
    return write_subset(tmp_path / "regions.csv.gz")


@pytest.fixture
def subset_tree(db, subset_file: Path) -> None:
    import_regions(subset_file)
    build_organisations()
