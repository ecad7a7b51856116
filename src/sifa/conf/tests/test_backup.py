"""The rules of ``sifa backup`` / ``sifa restore`` on plain SQLite files (the drill is tests/test_restore_drill.py)."""

from __future__ import annotations

import socket
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import override_settings

from sifa.conf.backup import postgres, sqlite
from sifa.conf.backup.common import (
    BackupError,
    find_backup,
    latest_before,
    list_backups,
    parse_time,
    write_manifest,
)


def _database(path: Path, value: str) -> Path:
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE IF NOT EXISTS t (v TEXT)")
        db.execute("INSERT INTO t VALUES (?)", (value,))
        db.commit()
    return path


def _values(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as db:
        return [row[0] for row in db.execute("SELECT v FROM t ORDER BY rowid")]


@pytest.fixture
def media(tmp_path: Path):
    folder = tmp_path / "media"
    (folder / "uploads").mkdir(parents=True)
    (folder / "uploads" / "a.pdf").write_bytes(b"%PDF-1.7 upload")
    with override_settings(MEDIA_ROOT=folder):
        yield folder


def test_a_backup_is_a_verified_copy_with_its_manifest(tmp_path: Path, media: Path) -> None:
    live = _database(tmp_path / "live.sqlite3", "one")
    backup = sqlite.backup(live, tmp_path / "backups")
    assert backup.kind == "sqlite"
    assert backup.manifest["database"]["integrity_check"] == "ok"
    assert backup.manifest["database"]["audit_head"] is None  # not a Sifa schema: no chain to name
    assert [entry["path"] for entry in backup.manifest["files"]] == ["sifa.sqlite3", "media/uploads/a.pdf"]
    assert all(len(entry["sm3"]) == 64 and len(entry["sha256"]) == 64 for entry in backup.manifest["files"])
    assert backup.started_at <= backup.finished_at
    assert _values(backup.folder / "sifa.sqlite3") == ["one"]
    backup.verify_files()

    (backup.folder / "media" / "uploads" / "a.pdf").write_bytes(b"%PDF-1.7 changed")
    with pytest.raises(BackupError) as refused:
        backup.verify_files()
    assert refused.value.code == "backup.damaged"


def test_restore_takes_the_newest_backup_at_or_before_the_time(tmp_path: Path, media: Path) -> None:
    live = _database(tmp_path / "live.sqlite3", "one")
    first = sqlite.backup(live, tmp_path / "backups")
    _database(live, "two")
    second = sqlite.backup(live, tmp_path / "backups")
    assert [b.name for b in list_backups(tmp_path / "backups", "sqlite")] == [first.name, second.name]

    between = first.finished_at + (second.started_at - first.finished_at) / 2
    assert latest_before(tmp_path / "backups", "sqlite", between).name == first.name
    assert latest_before(tmp_path / "backups", "sqlite", second.finished_at).name == second.name
    with pytest.raises(BackupError) as refused:
        latest_before(tmp_path / "backups", "sqlite", first.finished_at - timedelta(microseconds=1))
    assert refused.value.code == "backup.none_before"
    with pytest.raises(BackupError) as wrong:
        find_backup(tmp_path / "backups", first.name, "postgresql")
    assert wrong.value.code == "backup.wrong_kind"


def test_restore_refuses_a_database_in_use_and_keeps_the_current_file_aside(
    tmp_path: Path, media: Path
) -> None:
    live = _database(tmp_path / "live.sqlite3", "one")
    backup = sqlite.backup(live, tmp_path / "backups")
    _database(live, "two")

    holder = sqlite3.connect(live)  # a web process with the database open (WAL mode: a -wal file)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("SELECT count(*) FROM t").fetchone()
    try:
        with pytest.raises(BackupError) as refused:
            sqlite.restore(backup, live)
        assert refused.value.code == "backup.database_in_use"
        assert "--force" in refused.value.message
        assert _values(live) == ["one", "two"]
    finally:
        holder.close()

    media.joinpath("uploads", "b.pdf").write_bytes(b"%PDF-1.7 newer")
    record = sqlite.restore(backup, live, media_root=media)
    assert _values(live) == ["one"]
    assert _values(Path(record["kept_aside"])) == ["one", "two"]
    assert sorted(p.name for p in (media / "uploads").iterdir()) == ["a.pdf"]
    assert (Path(record["media_kept_aside"]) / "uploads" / "b.pdf").is_file()
    assert record["reached"] == backup.manifest["finished_at"]


def test_restore_with_force_overwrites_a_database_in_use(tmp_path: Path, media: Path) -> None:
    live = _database(tmp_path / "live.sqlite3", "one")
    backup = sqlite.backup(live, tmp_path / "backups")
    _database(live, "two")
    Path(f"{live}-wal").write_bytes(b"")  # left by an open connection
    record = sqlite.restore(backup, live, force=True)
    assert record["forced"] is True
    assert _values(live) == ["one"]


def test_times_without_an_offset_are_beijing_time() -> None:
    assert parse_time("2026-12-05T14:30:00") == datetime(2026, 12, 5, 6, 30, tzinfo=UTC)
    assert parse_time("2026-12-05T06:30:00+00:00") == datetime(2026, 12, 5, 6, 30, tzinfo=UTC)
    with pytest.raises(BackupError) as refused:
        parse_time("yesterday")
    assert refused.value.code == "backup.bad_time"


def test_the_wal_settings_point_at_the_archive_folder(tmp_path: Path) -> None:
    lines = postgres.required_settings(tmp_path / "wal")
    assert "wal_level = replica" in lines
    assert "archive_mode = on" in lines
    assert f"archive_command = 'test ! -f {tmp_path}/wal/%f && cp %p {tmp_path}/wal/%f'" in lines


def test_a_postgresql_restore_goes_only_into_a_new_folder_on_a_free_port(tmp_path: Path) -> None:
    folder = tmp_path / "backups" / "postgresql-20261205T060000000000Z"
    folder.mkdir(parents=True)
    moment = datetime(2026, 12, 5, 6, 0, tzinfo=UTC).isoformat()
    backup = write_manifest(
        folder,
        {
            "kind": "postgresql",
            "started_at": moment,
            "finished_at": moment,
            "database": {"host": "127.0.0.1", "port": 5432, "server_version_num": 150000},
            "files": [],
        },
    )
    used = tmp_path / "used"
    used.mkdir()
    (used / "PG_VERSION").write_text("15\n")
    with pytest.raises(BackupError) as not_empty:
        postgres.prepare(backup, used, 5439, tmp_path / "wal", None, None)
    assert not_empty.value.code == "backup.datadir_not_empty"

    with pytest.raises(BackupError) as original:
        postgres.prepare(backup, tmp_path / "new", 5432, tmp_path / "wal", None, None)
    assert original.value.code == "backup.port_in_use"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with pytest.raises(BackupError) as taken:
            postgres.prepare(
                backup, tmp_path / "new", listener.getsockname()[1], tmp_path / "wal", None, None
            )
    assert taken.value.code == "backup.port_in_use"
    assert not (tmp_path / "new").exists()
