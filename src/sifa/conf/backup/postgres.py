"""Base backups and point-in-time restore of PostgreSQL.

A backup is ``pg_basebackup`` of the server in ``DATABASE_URL`` in tar format with the WAL it
needs (``-X stream``): on its own it restores the moment the backup ended. For any later moment
the server must also archive every WAL segment it completes (:func:`required_settings`,
``sifa backup --check``): Sifa does not edit the server's configuration, it says what it needs.

A restore never touches the running server: it unpacks a base backup into a **new** data
directory, sets ``restore_command`` (reading the WAL archive), ``recovery_target_time``,
``recovery_target_action = 'promote'``, another port and ``archive_mode = off`` (the copy must
not write into the production archive), creates ``recovery.signal``, and starts it (or prints
how to). PostgreSQL replays the archive and stops before the first commit after the target
time; if the archive does not reach that time it refuses to start rather than stop short.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tarfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

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

KIND = "postgresql"
RECOVERY_WAIT_SECONDS = 300
REQUIRED_WAL_LEVELS = {"replica", "logical"}
REQUIRED_ARCHIVE_MODES = {"on", "always"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


# --- where the PostgreSQL programs are ---------------------------------------------------------


def bin_dir(major: int | None = None) -> Path | None:
    """``SIFA_PG_BIN_DIR``; else Debian's ``/usr/lib/postgresql/<major>/bin`` (the server's major
    version when known, the newest otherwise); else None (the programs on ``PATH``)."""
    configured = getattr(settings, "PG_BIN_DIR", "")
    if configured:
        return Path(configured)
    root = Path("/usr/lib/postgresql")
    if major is not None and (root / str(major) / "bin" / "pg_ctl").is_file():
        return root / str(major) / "bin"
    versions = sorted(
        (
            int(path.name)
            for path in root.glob("*")
            if path.name.isdigit() and (path / "bin" / "pg_ctl").is_file()
        ),
        reverse=True,
    )
    return root / str(versions[0]) / "bin" if versions else None


def program(name: str, major: int | None = None) -> str:
    folder = bin_dir(major)
    if folder is not None and (folder / name).is_file():
        return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            "backup.no_postgresql_programs", f"找不到 PostgreSQL 程序 {name}（可设置 SIFA_PG_BIN_DIR）"
        )
    return found


# --- the live server ---------------------------------------------------------------------------


def database() -> dict[str, Any]:
    config = settings.DATABASES["default"]
    return {
        "host": config.get("HOST") or "127.0.0.1",
        "port": int(config.get("PORT") or 5432),
        "user": config.get("USER") or "postgres",
        "password": config.get("PASSWORD") or "",
        "name": config.get("NAME") or "",
    }


def _settings() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN "
            "('wal_level', 'archive_mode', 'archive_command', 'archive_timeout', 'server_version_num')"
        )
        values = dict(cursor.fetchall())
        cursor.execute(
            "SELECT archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal, "
            "last_failed_time FROM pg_stat_archiver"
        )
        row = cursor.fetchone()
    names = ("archived_count", "last_archived_wal", "last_archived_time", "failed_count", "last_failed_wal")
    values.update(
        {
            f"archiver.{name}": "" if value is None else str(value)
            for name, value in zip(names, row, strict=False)
        }
    )
    values["archiver.failing"] = str(bool(row[5] and (row[2] is None or row[5] > row[2])))
    return values


def required_settings(archive_dir: Path) -> list[str]:
    """The lines the server's ``postgresql.conf`` needs for point-in-time restore."""
    quoted = str(archive_dir).replace("'", "''")
    return [
        "wal_level = replica",
        "archive_mode = on",
        f"archive_command = 'test ! -f {quoted}/%f && cp %p {quoted}/%f'",
        "archive_timeout = 60",
    ]


def check(archive_dir: Path) -> tuple[bool, list[str]]:
    """Compare the server's settings with :func:`required_settings`: (all met, the report)."""
    values = _settings()
    problems: list[str] = []
    notes: list[str] = []
    if values.get("wal_level") not in REQUIRED_WAL_LEVELS:
        problems.append(f"wal_level = {values.get('wal_level')}，需要 replica（或 logical）")
    if values.get("archive_mode") not in REQUIRED_ARCHIVE_MODES:
        problems.append(f"archive_mode = {values.get('archive_mode')}，需要 on")
    command = values.get("archive_command", "")
    if not command or command == "(disabled)":
        problems.append("archive_command 为空：完成的 WAL 段没有归档")
    elif str(archive_dir) not in command:
        notes.append(
            f"archive_command（{command}）没有提到 SIFA_WAL_ARCHIVE_DIR（{archive_dir}）：恢复时从后者读取 WAL"
        )
    if values.get("archiver.failing") == "True":
        problems.append(f"最近一次归档失败（{values.get('archiver.last_failed_wal')}），请查看服务器日志")
    timeout = int(values.get("archive_timeout") or 0)
    if timeout == 0 or timeout > 300:
        notes.append(f"archive_timeout = {timeout} 秒：建议 60，空闲时最多丢失这么久的数据")
    report = [
        f"PostgreSQL {values.get('server_version_num')}：wal_level={values.get('wal_level')}，"
        f"archive_mode={values.get('archive_mode')}，archive_command={command or '（空）'}，"
        f"archive_timeout={timeout}",
        f"已归档 {values.get('archiver.archived_count')} 段，最近 {values.get('archiver.last_archived_wal') or '—'}"
        f"（{values.get('archiver.last_archived_time') or '—'}）；失败 {values.get('archiver.failed_count')} 次",
    ]
    report += [f"问题：{line}" for line in problems] + [f"提示：{line}" for line in notes]
    if problems:
        report.append("时间点恢复需要服务器的 postgresql.conf 中有（修改 archive_mode 需重启服务器）：")
        report += [f"    {line}" for line in required_settings(archive_dir)]
    return not problems, report


def _env(db: dict[str, Any]) -> dict[str, str]:
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if db["password"]:
        env["PGPASSWORD"] = db["password"]
    return env


def _read_label(tar_path: Path) -> dict[str, str]:
    try:
        with tarfile.open(tar_path) as archive:
            handle = archive.extractfile("backup_label")
            text = handle.read().decode() if handle else ""
    except (tarfile.TarError, KeyError) as exc:
        raise BackupError("backup.damaged", f"{tar_path.name} 不是完整的基础备份：{exc}") from None
    label = {}
    for line in text.splitlines():
        key, _, value = line.partition(": ")
        label[key.strip()] = value.strip()
    return label


def backup(root: Path, archive_dir: Path) -> tuple[Backup, list[str]]:
    """``pg_basebackup`` of the configured server into a new folder under ``root``; the backup
    and the archive check's report (a backup is taken even when the archive is not set up: it
    then restores only to its own end)."""
    archive_ok, report = check(archive_dir)
    values = _settings()
    major = int(values["server_version_num"]) // 10000
    db = database()
    started = now()
    folder = root / folder_name(KIND, started)
    folder.mkdir(parents=True, mode=0o700)
    argv = [
        program("pg_basebackup", major),
        *("-h", db["host"], "-p", str(db["port"]), "-U", db["user"]),
        *("-D", str(folder / "base"), "-F", "tar", "-X", "stream", "-c", "fast", "-w"),
        *("-l", f"sifa {folder.name}"),
    ]
    result = subprocess.run(argv, env=_env(db), capture_output=True, text=True, check=False)  # noqa: S603 — fixed argument list, no shell
    finished = now()
    if result.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise BackupError(
            "backup.pg_basebackup_failed", f"pg_basebackup 失败：{result.stderr.strip()[-2000:]}"
        )
    label = _read_label(folder / "base" / "base.tar")
    if not (folder / "base" / "pg_wal.tar").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        raise BackupError("backup.damaged", "基础备份缺少 pg_wal.tar")
    media = copy_media(folder)
    files = [
        {"path": str(path.relative_to(folder)), **digest_file(path)}
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    ]
    manifest = write_manifest(
        folder,
        {
            "kind": KIND,
            "started_at": iso(started),
            "finished_at": iso(finished),
            "database": {
                "host": db["host"],
                "port": db["port"],
                "name": db["name"],
                "server_version_num": int(values["server_version_num"]),
                "start_wal_location": label.get("START WAL LOCATION", ""),
                "start_time": label.get("START TIME", ""),
                "archive_ready": archive_ok,
                "wal_archive_dir": str(archive_dir),
                "media_files": media,
            },
            "files": files,
        },
    )
    return manifest, report


# --- restore into a new data directory -----------------------------------------------------------


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _as_user(argv: list[str], run_as: str | None) -> list[str]:
    return ["runuser", "-u", run_as, "--", *argv] if run_as else argv


def default_run_as() -> str | None:
    """PostgreSQL refuses to run as root: then the server runs as the ``postgres`` OS user."""
    return "postgres" if os.geteuid() == 0 else None


def _extract(tar_path: Path, into: Path) -> None:
    with tarfile.open(tar_path) as archive:
        archive.extractall(into, filter="tar")


def prepare(
    source: Backup, datadir: Path, port: int, archive_dir: Path, moment: datetime | None, run_as: str | None
) -> dict[str, Any]:
    """Unpack ``source`` into the new ``datadir`` set up to recover to ``moment`` on ``port``."""
    source.verify_files()
    if datadir.exists() and any(datadir.iterdir()):
        raise BackupError("backup.datadir_not_empty", f"数据目录 {datadir} 不是空的：恢复只写入新的数据目录")
    original = source.manifest["database"]
    local = original.get("host") in LOCAL_HOSTS or str(original.get("host", "")).startswith("/")
    same_as_original = local and port == int(original.get("port") or 0)
    if same_as_original or _port_taken(port):
        raise BackupError(
            "backup.port_in_use", f"端口 {port} 已被占用（或是被备份服务器的端口）：请换一个 --port"
        )
    if moment is not None and moment < source.finished_at:
        raise BackupError("backup.before_backup", "恢复时间早于该备份完成的时间：请选更早的备份")
    datadir.mkdir(parents=True, exist_ok=True, mode=0o700)
    datadir.chmod(0o700)
    _extract(source.folder / "base" / "base.tar", datadir)
    _extract(source.folder / "base" / "pg_wal.tar", datadir / "pg_wal")
    # A Debian cluster keeps its configuration in /etc: give the copy a minimal one, local only.
    if not (datadir / "postgresql.conf").exists():
        (datadir / "postgresql.conf").write_text("# written by sifa restore\n")
    if not (datadir / "pg_hba.conf").exists():
        (datadir / "pg_hba.conf").write_text(
            "# written by sifa restore: local connections only\n"
            "local all all peer\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
            "host all all ::1/128 scram-sha-256\n"
        )
    (datadir / "pg_ident.conf").touch()
    for stale in ("standby.signal", "postmaster.pid"):
        (datadir / stale).unlink(missing_ok=True)
    restore_command = f'cp "{archive_dir}/%f" "%p"'
    lines = [
        f"# sifa restore of {source.name}",
        f"port = {port}",
        "listen_addresses = '127.0.0.1'",
        f"unix_socket_directories = {_quote(str(datadir))}",
        "archive_mode = off",
        f"restore_command = {_quote(restore_command)}",
        "recovery_target_action = 'promote'",
    ]
    if moment is not None:
        lines.append(f"recovery_target_time = {_quote(moment.isoformat(sep=' ', timespec='microseconds'))}")
    with (datadir / "postgresql.auto.conf").open("a") as conf:
        conf.write("\n" + "\n".join(lines) + "\n")
    (datadir / "recovery.signal").touch()
    if run_as:
        subprocess.run(["chown", "-R", f"{run_as}:", str(datadir)], check=True)  # noqa: S603, S607 — fixed argument list
    major = int(source.manifest["database"]["server_version_num"]) // 10000
    start = _as_user(
        [
            program("pg_ctl", major),
            "-D",
            str(datadir),
            "-l",
            str(datadir / "restore.log"),
            "-w",
            "-t",
            "300",
            "start",
        ],
        run_as,
    )
    return {
        "kind": KIND,
        "backup": source.name,
        "to": iso(moment) if moment else None,
        "datadir": str(datadir),
        "port": port,
        "start_command": start,
        "stop_command": _as_user([program("pg_ctl", major), "-D", str(datadir), "stop"], run_as),
        "controldata": program("pg_controldata", major),
    }


def _recovery_log(datadir: Path) -> str:
    try:
        return (datadir / "restore.log").read_text(errors="replace")
    except OSError:
        return ""


def cluster_state(record: dict[str, Any]) -> str:
    """The data directory's state from its control file (``in archive recovery``, ``in production``, …):
    read from disk, so it needs no login to the restored server."""
    result = subprocess.run(  # noqa: S603 — fixed argument list, no shell
        [record["controldata"], "-D", record["datadir"]],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LC_ALL": "C", "LANG": "C"},
    )
    match = re.search(r"^Database cluster state:\s*(.+)$", result.stdout, re.MULTILINE)
    return match.group(1).strip() if match else ""


def start(record: dict[str, Any]) -> dict[str, Any]:
    """Start the prepared copy and wait until recovery has reached the target and promoted."""
    datadir = Path(record["datadir"])
    result = subprocess.run(record["start_command"], capture_output=True, text=True, check=False)  # noqa: S603 — built by prepare()
    if result.returncode != 0:
        raise BackupError(
            "backup.recovery_failed",
            f"恢复的服务器未能启动：{(result.stderr + _recovery_log(datadir))[-3000:]}",
        )
    deadline = time.monotonic() + RECOVERY_WAIT_SECONDS
    while cluster_state(record) != "in production":
        if not (datadir / "postmaster.pid").exists():
            raise BackupError(
                "backup.recovery_failed", f"恢复失败，服务器已退出：{_recovery_log(datadir)[-3000:]}"
            )
        if time.monotonic() > deadline:
            raise BackupError(
                "backup.recovery_failed",
                f"{RECOVERY_WAIT_SECONDS} 秒内未完成恢复，请查看 {datadir}/restore.log",
            )
        time.sleep(0.3)
    stopped = re.findall(r"recovery stopping (?:before|after) .*", _recovery_log(datadir))
    if stopped:
        reached = stopped[-1]
    elif record["to"]:
        reached = f"已恢复；停止点见 {datadir}/restore.log"
    else:
        reached = "已重放全部归档的 WAL"
    return {**record, "started": True, "recovery": reached}
