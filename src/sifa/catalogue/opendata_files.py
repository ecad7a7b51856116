"""The open-data files on disk: built once per catalogue state, served many times.

A *snapshot* is a directory ``SIFA_VAR_DIR/cache/open-data/<fingerprint>/`` holding every download
of ``/open-data/`` for one state of the catalogue, each JSON file also gzip-compressed:

* ``catalogue.json`` — the whole published catalogue (``opendata.export_catalogue``), unchanged format;
* ``catalogue-csv.zip`` — the CSV tables (``opendata.csv_zip``);
* ``items.json`` — the same document with the items only;
* ``implementations/<province>.json`` — the same document with one province's implementation
  entries only (``national`` for entries with no region: the whole country);
* ``index.json`` — what is there: counts, sizes, ETags and addresses of every part;
* ``manifest.json`` — the ETag and sizes of every file, read on each request.

The fingerprint is the item and entry counts and their latest ``updated_at`` (every publish,
withdrawal and entry change moves it). ``sifa build-open-data`` (the scheduler runs it every two
minutes) builds the snapshot of the current state ahead of the first download; a request that
finds none builds it itself. Every part is cut from the one export, so the parts always add up to
the whole. Nothing here writes to the database.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Max

from sifa.catalogue import opendata
from sifa.catalogue.models import CatalogueItem, ImplementationEntry
from sifa.organisations.models import Region, RegionLevel

NATIONAL = "national"
"""The part name of the entries with no region (they serve the whole country)."""
GZIP_LEVEL = 6
STALE_TEMPORARY_SECONDS = 3600


@dataclass(frozen=True)
class Fingerprint:
    key: str
    last_modified: dt.datetime | None


@dataclass(frozen=True)
class FileInfo:
    path: Path
    etag: str
    size: int
    gzip_path: Path | None
    gzip_size: int | None


@dataclass(frozen=True)
class Snapshot:
    directory: Path
    last_modified: dt.datetime | None
    manifest: dict[str, Any]

    def file(self, name: str) -> FileInfo | None:
        entry = self.manifest["files"].get(name)
        if entry is None:
            return None
        gzip_name = entry.get("gzip")
        return FileInfo(
            path=self.directory / name,
            etag=entry["etag"],
            size=entry["bytes"],
            gzip_path=self.directory / gzip_name if gzip_name else None,
            gzip_size=entry.get("gzip_bytes"),
        )


def root() -> Path:
    return Path(settings.VAR_DIR) / "cache" / "open-data"


def fingerprint() -> Fingerprint:
    items = CatalogueItem.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    entries = ImplementationEntry.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    stamps = [s["t"].strftime("%Y%m%d%H%M%S%f") if s["t"] else "0" for s in (items, entries)]
    times = [s["t"] for s in (items, entries) if s["t"]]
    key = f"{opendata.FORMAT_VERSION}-{items['n']}-{entries['n']}-{'-'.join(stamps)}"
    return Fingerprint(key, max(times) if times else None)


def province_of(region: str | None) -> str:
    return f"{region[:2]}0000" if region else NATIONAL


def current() -> Snapshot:
    """The snapshot of the catalogue as it is now, built first if there is none yet."""
    mark = fingerprint()
    directory = root() / mark.key
    if not (directory / "manifest.json").exists():
        build(mark)
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    return Snapshot(directory, mark.last_modified, manifest)


def build(mark: Fingerprint | None = None) -> Path:
    """Write the snapshot for ``mark`` (default: now) unless it exists; remove older ones."""
    mark = mark or fingerprint()
    base = root()
    base.mkdir(parents=True, exist_ok=True)
    target = base / mark.key
    if (target / "manifest.json").exists():
        return target
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=base))
    work.chmod(0o755)  # like every other directory the platform writes (mkdtemp makes it private)
    try:
        _write_snapshot(work, opendata.export_catalogue(published_only=True), mark)
        try:
            os.rename(work, target)
        except OSError:
            if not (target / "manifest.json").exists():  # not another builder's finished copy
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _remove_stale(base, keep=target)
    return target


def _remove_stale(base: Path, *, keep: Path) -> None:
    now = dt.datetime.now().timestamp()
    for path in base.iterdir():
        if path == keep:
            continue
        if path.name.startswith(".build-"):  # another builder's work in progress, unless abandoned
            if now - path.stat().st_mtime < STALE_TEMPORARY_SECONDS:
                continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:  # the single files of earlier releases (catalogue-<n>-….json)
            path.unlink(missing_ok=True)


def _dumps(data: dict[str, Any]) -> bytes:
    return opendata.dumps(data)


def parts(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The export cut into the items document and one implementations document per province."""
    head = {key: data[key] for key in ("format", "format_version", "scope", "exported_at")}
    items = {**head, "part": "items", "items": data["items"], "implementations": []}
    by_province: dict[str, list[dict[str, Any]]] = {}
    for entry in data["implementations"]:
        by_province.setdefault(province_of(entry["region"]), []).append(entry)
    provinces = {
        code: {**head, "part": "implementations", "province": code, "items": [], "implementations": entries}
        for code, entries in sorted(by_province.items())
    }
    return items, provinces


def _write_snapshot(work: Path, data: dict[str, Any], mark: Fingerprint) -> None:
    files: dict[str, dict[str, Any]] = {}

    def put(name: str, content: bytes, *, compress: bool = True) -> dict[str, Any]:
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        entry: dict[str, Any] = {"etag": hashlib.sha256(content).hexdigest()[:32], "bytes": len(content)}
        if compress:
            packed = gzip.compress(content, compresslevel=GZIP_LEVEL, mtime=0)
            (work / f"{name}.gz").write_bytes(packed)
            entry |= {"gzip": f"{name}.gz", "gzip_bytes": len(packed)}
        files[name] = entry
        return entry

    whole = put("catalogue.json", _dumps(data))
    put("catalogue-csv.zip", opendata.csv_zip(data), compress=False)  # a zip is compressed already
    items, provinces = parts(data)
    items_file = put("items.json", _dumps(items))
    names = dict(Region.objects.filter(level=RegionLevel.PROVINCE).values_list("code", "name"))
    listed = []
    for code, document in provinces.items():
        entry = put(f"implementations/{code}.json", _dumps(document))
        listed.append(
            {
                "province": code,
                "name": "全国" if code == NATIONAL else names.get(code, code),
                "implementations": len(document["implementations"]),
                "url": f"/open-data/implementations/{code}.json",
                "etag": entry["etag"],
                "bytes": entry["bytes"],
                "gzip_bytes": entry["gzip_bytes"],
            }
        )
    index = {
        "format": "sifa.catalogue.index",
        "format_version": opendata.FORMAT_VERSION,
        "exported_at": data["exported_at"],
        "last_modified": mark.last_modified.isoformat() if mark.last_modified else None,
        "catalogue": {
            "url": "/open-data/catalogue.json",
            "items": len(data["items"]),
            "implementations": len(data["implementations"]),
            "etag": whole["etag"],
            "bytes": whole["bytes"],
            "gzip_bytes": whole["gzip_bytes"],
        },
        "csv": {"url": "/open-data/catalogue.csv", "bytes": files["catalogue-csv.zip"]["bytes"]},
        "items": {
            "url": "/open-data/items.json",
            "items": len(items["items"]),
            "etag": items_file["etag"],
            "bytes": items_file["bytes"],
            "gzip_bytes": items_file["gzip_bytes"],
        },
        "implementations": listed,
        "changes": "/open-data/changes.json?since=",
    }
    put("index.json", json.dumps(index, ensure_ascii=False, indent=1).encode())
    manifest = {"fingerprint": mark.key, "files": files}
    (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
