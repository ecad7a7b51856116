"""Backup and restore of the embedded SQLite database.

The backup uses SQLite's online backup API (``sqlite3.Connection.backup``, all pages in one
step): it copies a consistent snapshot while web processes and workers keep writing, checks the
copy with ``PRAGMA integrity_check`` and records the audit chain's head it holds.

SQLite has no WAL archive: a restore "to TIME" brings back the newest backup that finished at or
before TIME, and everything committed after that backup is lost. The recovery point objective is
therefore the interval between backups (docs/operations.md).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

from sifa.conf.backup.common import (
    Backup,
    BackupError,
    copy_media,
    digest_file,
    folder_name,
    iso,
    now,
    write_manifest,
)

KIND = "sqlite"
DATABASE_FILE = "sifa.sqlite3"


def _integrity(path: Path) -> str:
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(row[0]) for row in rows)


def _audit_head(connection: sqlite3.Connection) -> dict[str, Any] | None:
    try:
        row = connection.execute(
            "SELECT seq, hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    except sqlite3.DatabaseError:
        return None  # not a migrated Sifa database (yet)
    return {"seq": row[0], "hash": row[1]} if row else {"seq": 0, "hash": ""}


def backup(source: Path, root: Path) -> Backup:
    """Copy the live database at ``source`` into a new backup folder under ``root``."""
    if not source.is_file():
        raise BackupError("backup.no_database", f"数据库文件 {source} 不存在")
    started = now()
    folder = root / folder_name(KIND, started)
    folder.mkdir(parents=True, mode=0o700)
    copy = folder / DATABASE_FILE
    with closing(sqlite3.connect(source, timeout=30)) as live, closing(sqlite3.connect(copy)) as target:
        live.backup(target)
        finished = now()
        # The copy is one self-contained file: no -wal beside it.
        target.execute("PRAGMA journal_mode=DELETE")
        head = _audit_head(target)
        pages = target.execute("PRAGMA page_count").fetchone()[0]
    integrity = _integrity(copy)
    if integrity != "ok":
        shutil.rmtree(folder)
        raise BackupError("backup.integrity", f"备份副本未通过完整性检查：{integrity}")
    media = copy_media(folder)
    files = [{"path": DATABASE_FILE, **digest_file(copy)}]
    files += [
        {"path": str(path.relative_to(folder)), **digest_file(path)}
        for path in sorted((folder / "media").rglob("*"))
        if path.is_file()
    ]
    return write_manifest(
        folder,
        {
            "kind": KIND,
            "started_at": iso(started),
            "finished_at": iso(finished),
            "database": {
                "source": str(source),
                "integrity_check": integrity,
                "page_count": pages,
                "audit_head": head,
                "media_files": media,
            },
            "files": files,
        },
    )


def in_use(target: Path) -> str:
    """Why ``target`` looks in use (empty when it does not): a write-ahead log beside it (some
    connection is open) or a writer holding the lock."""
    if not target.exists():
        return ""
    wal = Path(f"{target}-wal")
    if wal.exists():
        return f"{wal.name} 存在，仍有进程打开着数据库"
    try:
        with closing(sqlite3.connect(target, timeout=0)) as probe:
            probe.execute("BEGIN EXCLUSIVE")
            probe.rollback()
    except sqlite3.OperationalError as exc:
        return f"数据库被锁定（{exc}）"
    return ""


def _move_aside(target: Path, stamp: str) -> Path:
    aside = target.with_name(f"{target.name}.before-restore-{stamp}")
    target.rename(aside)
    for suffix in ("-wal", "-shm"):
        companion = Path(f"{target}{suffix}")
        if companion.exists():
            companion.rename(Path(f"{aside}{suffix}"))
    return aside


def restore(
    source: Backup,
    target: Path,
    *,
    force: bool = False,
    media_root: Path | None = None,
    moment: datetime | None = None,
) -> dict[str, Any]:
    """Put the backup's database at ``target``, keeping any current file aside.

    Refuses (``backup.database_in_use``) when the target looks in use, unless ``force``. With
    ``media_root`` the backup's uploaded files replace that folder (the current one kept aside).
    """
    source.verify_files()
    reason = in_use(target)
    if reason and not force:
        raise BackupError(
            "backup.database_in_use",
            f"目标数据库 {target} 正在使用：{reason}。请先停止 sifa serve、db_worker 和 scheduler，"
            "或用 --output 恢复到新文件；确需覆盖时加 --force。",
        )
    stamp = now().strftime("%Y%m%dT%H%M%SZ")
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(f"{target.name}.restoring")
    shutil.copyfile(source.folder / DATABASE_FILE, incoming)
    integrity = _integrity(incoming)
    if integrity != "ok":
        incoming.unlink()
        raise BackupError("backup.integrity", f"恢复的数据库未通过完整性检查：{integrity}")
    aside = _move_aside(target, stamp) if target.exists() else None
    os.replace(incoming, target)
    media_aside = None
    if media_root is not None and (source.folder / "media").is_dir():
        if media_root.exists():
            media_aside = media_root.with_name(f"{media_root.name}.before-restore-{stamp}")
            media_root.rename(media_aside)
        shutil.copytree(source.folder / "media", media_root)
    return {
        "kind": KIND,
        "backup": source.name,
        "to": iso(moment) if moment else None,
        "reached": source.manifest["finished_at"],
        "target": str(target),
        "kept_aside": str(aside) if aside else None,
        "media_kept_aside": str(media_aside) if media_aside else None,
        "audit_head": source.manifest["database"].get("audit_head"),
        "forced": bool(reason and force),
    }
