"""``sifa backup [--check] [--dir DIR]``: a verified backup of Sifa's database and uploaded files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from sifa.audit import services as audit
from sifa.audit.subjects import AuditSubject
from sifa.conf.backup import postgres, sqlite
from sifa.conf.backup.common import Backup, BackupError, backup_root


class Command(BaseCommand):
    help = (
        "备份数据库与上传文件：SQLite 用在线备份接口，PostgreSQL 用 pg_basebackup（含 WAL）；"
        "每份备份有清单（时间、大小、SM3 与 SHA-256 摘要）。--check 检查 PostgreSQL 的 WAL 归档设置。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="只检查时间点恢复所需的服务器设置（wal_level、archive_mode、archive_command），不备份；不满足时退出码为 1",
        )
        parser.add_argument("--dir", type=Path, default=None, help="备份目录（默认 SIFA_BACKUP_DIR）")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出备份清单")

    def handle(self, *args: Any, **options: Any) -> None:
        root: Path = options["dir"] or backup_root()
        try:
            if options["check"]:
                self._check()
                return
            backup = self._backup(root)
        except BackupError as exc:
            raise CommandError(f"{exc.message}（{exc.code}）") from exc
        database = backup.manifest["database"]
        audit.record(
            "backup.create",
            subject=AuditSubject("conf.Backup", backup.name),
            detail={
                "kind": backup.kind,
                "finished_at": backup.manifest["finished_at"],
                "database_sm3": backup.manifest["files"][0]["sm3"],
                "media_files": database.get("media_files", 0),
            },
        )
        if options["json"]:
            self.stdout.write(json.dumps(backup.manifest, ensure_ascii=False, indent=2))
            return
        size = sum(entry["size"] for entry in backup.manifest["files"])
        self.stdout.write(
            f"已备份 {backup.kind} 数据库 → {backup.folder}（{len(backup.manifest['files'])} 个文件，"
            f"{size} 字节，完成于 {backup.manifest['finished_at']}）"
        )

    def _backup(self, root: Path) -> Backup:
        if connection.vendor == "sqlite":
            return sqlite.backup(Path(settings.DATABASES["default"]["NAME"]), root)
        if connection.vendor != "postgresql":
            raise BackupError("backup.unsupported", f"不支持备份 {connection.vendor} 数据库")
        backup, report = postgres.backup(root, Path(settings.WAL_ARCHIVE_DIR))
        if not backup.manifest["database"]["archive_ready"]:
            self.stderr.write("警告：WAL 归档未按要求设置，本备份只能恢复到它完成的时刻。")
            for line in report:
                self.stderr.write(line)
        return backup

    def _check(self) -> None:
        if connection.vendor == "sqlite":
            self.stdout.write(
                "内置 SQLite 数据库没有 WAL 归档：恢复只能回到某次备份的时刻，"
                "可能丢失的数据（RPO）就是两次备份的间隔。请定时运行 sifa backup（见 docs/operations.md）。"
            )
            return
        ok, report = postgres.check(Path(settings.WAL_ARCHIVE_DIR))
        for line in report:
            self.stdout.write(line)
        if not ok:
            raise CommandError("PostgreSQL 的 WAL 归档设置不满足时间点恢复的要求", returncode=1)
        self.stdout.write("WAL 归档设置满足时间点恢复的要求。")
