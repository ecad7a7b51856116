"""What every backup shares: its folder, its manifest, digests, and finding one by time.

A backup is a folder ``<SIFA_BACKUP_DIR>/<kind>-<UTC time>/`` holding the database copy, the
uploaded files (``media/``) and ``manifest.json``::

    {"format": 1, "kind": "sqlite" | "postgresql", "name": …,
     "started_at": ISO 8601 (UTC), "finished_at": ISO 8601 (UTC),
     "database": {…what was copied…},
     "files": [{"path": "sifa.sqlite3", "size": …, "sm3": …, "sha256": …}, …]}

``finished_at`` bounds what the backup holds: nothing committed after it is in it. A restore "to
TIME" therefore only ever starts from a backup whose ``finished_at`` is at or before TIME
(:func:`latest_before`), so a restored database never holds a transaction from after TIME.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from sifa.core.errors import ServiceError

MANIFEST = "manifest.json"
FORMAT = 1
RESTORE_LOG = "restores.jsonl"
"""The written record of every restore (and drill): one JSON line each, beside the backups."""


class BackupError(ServiceError):
    """A backup or restore was refused or failed; ``code`` is stable (``backup.…``), the message Chinese."""


def backup_root() -> Path:
    """``SIFA_BACKUP_DIR``, or ``SIFA_VAR_DIR/backups`` when it is empty."""
    configured = getattr(settings, "BACKUP_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "backups"


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; without an offset it is Sifa's local time (``TIME_ZONE``, Asia/Shanghai)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BackupError(
            "backup.bad_time", f"无法识别的时间：{text!r}（请用 ISO 8601，如 2026-12-05T14:30:00+08:00）"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment.astimezone(UTC)


def folder_name(kind: str, started: datetime) -> str:
    return f"{kind}-{started.astimezone(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"


def digest_file(path: Path) -> dict[str, Any]:
    """Size and SM3 / SHA-256 digests of one file, read in chunks."""
    sm3, sha256 = hashlib.new("sm3"), hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sm3.update(chunk)
            sha256.update(chunk)
    return {"size": path.stat().st_size, "sm3": sm3.hexdigest(), "sha256": sha256.hexdigest()}


def copy_media(folder: Path) -> int:
    """Copy ``MEDIA_ROOT`` (uploads, sealed documents, licence PDFs) into ``folder/media``; the count."""
    media = Path(settings.MEDIA_ROOT)
    if not media.is_dir():
        return 0
    shutil.copytree(media, folder / "media", ignore=shutil.ignore_patterns(".incoming"))
    return sum(1 for path in (folder / "media").rglob("*") if path.is_file())


@dataclass(frozen=True)
class Backup:
    """One backup folder and its manifest."""

    folder: Path
    manifest: dict[str, Any]

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def kind(self) -> str:
        return str(self.manifest["kind"])

    @property
    def started_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["started_at"])

    @property
    def finished_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["finished_at"])

    def verify_files(self) -> None:
        """Every file the manifest lists is there with its size and digests (``backup.damaged``)."""
        for entry in self.manifest["files"]:
            path = self.folder / entry["path"]
            if not path.is_file():
                raise BackupError("backup.damaged", f"备份 {self.name} 缺少文件 {entry['path']}")
            found = digest_file(path)
            if (found["size"], found["sm3"], found["sha256"]) != (
                entry["size"],
                entry["sm3"],
                entry["sha256"],
            ):
                raise BackupError(
                    "backup.damaged", f"备份 {self.name} 的文件 {entry['path']} 与清单的摘要不符"
                )


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Backup:
    """Write ``manifest.json`` last and atomically: a folder without one is not a backup."""
    manifest = {"format": FORMAT, "name": folder.name, **manifest}
    temporary = folder / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    temporary.replace(folder / MANIFEST)
    return Backup(folder, manifest)


def read_backup(folder: Path) -> Backup:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError("backup.not_found", f"{folder} 不是完整的备份（没有 {MANIFEST}）") from None
    except ValueError:
        raise BackupError("backup.damaged", f"备份 {folder.name} 的清单无法解析") from None
    return Backup(folder, manifest)


def list_backups(root: Path, kind: str) -> list[Backup]:
    """The complete backups of ``kind`` under ``root``, oldest first."""
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        if folder.is_dir() and (folder / MANIFEST).is_file():
            backup = read_backup(folder)
            if backup.kind == kind:
                found.append(backup)
    return sorted(found, key=lambda backup: backup.finished_at)


def latest_before(root: Path, kind: str, moment: datetime) -> Backup:
    """The newest backup of ``kind`` that finished at or before ``moment`` (``backup.none_before``)."""
    candidates = [backup for backup in list_backups(root, kind) if backup.finished_at <= moment]
    if not candidates:
        raise BackupError(
            "backup.none_before",
            f"{root} 中没有在 {moment.astimezone(ZoneInfo(settings.TIME_ZONE)).isoformat()} 或之前完成的备份",
        )
    return candidates[-1]


def find_backup(root: Path, reference: str, kind: str) -> Backup:
    """``--from``: a backup folder given by path, or by name under ``root``."""
    folder = Path(reference)
    if not folder.is_absolute() and not folder.exists():
        folder = root / reference
    backup = read_backup(folder)
    if backup.kind != kind:
        raise BackupError(
            "backup.wrong_kind", f"备份 {backup.name} 是 {backup.kind} 数据库的备份，当前数据库是 {kind}"
        )
    return backup


def log_restore(root: Path, record: dict[str, Any]) -> None:
    """Append one line to the restore record (``restores.jsonl``), flushed to disk."""
    root.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"at": iso(now()), **record}, ensure_ascii=False, sort_keys=True) + "\n"
    fd = os.open(root / RESTORE_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
