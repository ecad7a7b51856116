"""``sifa restore --to TIME | --from BACKUP``: bring the database back to a point in time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from sifa.conf.backup import postgres, sqlite
from sifa.conf.backup.common import (
    Backup,
    BackupError,
    backup_root,
    find_backup,
    latest_before,
    log_restore,
    parse_time,
)


class Command(BaseCommand):
    help = (
        "把数据库恢复到某一时刻：SQLite 恢复该时刻或之前最近的一次备份（当前文件另存）；"
        "PostgreSQL 用基础备份和 WAL 归档在新的数据目录、新的端口上做时间点恢复，绝不触碰正在运行的服务器。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to", dest="to", default=None, help="恢复到的时刻（ISO 8601；不带时区时为北京时间）"
        )
        parser.add_argument(
            "--from",
            dest="source",
            default=None,
            help="用这份备份（目录名或路径；默认为该时刻之前最近的一份）",
        )
        parser.add_argument("--dir", type=Path, default=None, help="备份目录（默认 SIFA_BACKUP_DIR）")
        sqlite_group = parser.add_argument_group("SQLite")
        sqlite_group.add_argument(
            "--output", type=Path, default=None, help="恢复到这个新文件，而不是当前数据库文件"
        )
        sqlite_group.add_argument(
            "--force", action="store_true", help="数据库看起来正在使用时仍然覆盖（当前文件仍会另存）"
        )
        sqlite_group.add_argument(
            "--media", action="store_true", help="同时恢复备份中的上传文件（当前目录另存）"
        )
        pg_group = parser.add_argument_group("PostgreSQL")
        pg_group.add_argument("--datadir", type=Path, default=None, help="新的（空的）数据目录")
        pg_group.add_argument("--port", type=int, default=5433, help="恢复出的服务器的端口（默认 5433）")
        pg_group.add_argument(
            "--start", action="store_true", help="准备好后启动它并等到恢复完成；否则只打印启动命令"
        )
        pg_group.add_argument(
            "--archive", type=Path, default=None, help="WAL 归档目录（默认 SIFA_WAL_ARCHIVE_DIR）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["to"] and not options["source"]:
            raise CommandError("请用 --to 指定时刻，或用 --from 指定备份")
        root: Path = options["dir"] or backup_root()
        try:
            moment = parse_time(options["to"]) if options["to"] else None
            kind = {"sqlite": sqlite.KIND, "postgresql": postgres.KIND}.get(connection.vendor)
            if kind is None:
                raise BackupError("backup.unsupported", f"不支持恢复 {connection.vendor} 数据库")
            backup = (
                find_backup(root, options["source"], kind)
                if options["source"]
                else latest_before(root, kind, moment)
            )
            if moment is not None and backup.finished_at > moment:
                raise BackupError(
                    "backup.before_backup",
                    f"备份 {backup.name} 完成于 {backup.manifest['finished_at']}，晚于恢复时刻",
                )
            if kind == sqlite.KIND:
                record = self._sqlite(backup, moment, options)
            else:
                record = self._postgres(backup, moment, options)
        except BackupError as exc:
            raise CommandError(f"{exc.message}（{exc.code}）") from exc
        log_restore(root, record)
        self.stdout.write(json.dumps(record, ensure_ascii=False))

    def _sqlite(self, backup: Backup, moment: Any, options: dict[str, Any]) -> dict[str, Any]:
        target = options["output"] or Path(settings.DATABASES["default"]["NAME"])
        if options["output"] is None:
            connection.close()  # our own connection must not count as "in use", nor survive the swap
        record = sqlite.restore(
            backup,
            target,
            force=options["force"],
            media_root=Path(settings.MEDIA_ROOT) if options["media"] else None,
            moment=moment,
        )
        self.stderr.write(
            f"已恢复备份 {backup.name}（完成于 {backup.manifest['finished_at']}）到 {target}。"
            "SQLite 没有 WAL 归档：数据回到该备份的时刻，之后提交的事务不在其中。"
            + (f"原数据库已另存为 {record['kept_aside']}。" if record["kept_aside"] else "")
            + f"核验审计链：sifa audit verify --until {backup.manifest['started_at']}"
        )
        return record

    def _postgres(self, backup: Backup, moment: Any, options: dict[str, Any]) -> dict[str, Any]:
        if options["datadir"] is None:
            raise BackupError("backup.datadir_required", "PostgreSQL 恢复需要 --datadir（一个新的空目录）")
        archive = options["archive"] or Path(settings.WAL_ARCHIVE_DIR)
        record = postgres.prepare(
            backup, options["datadir"].resolve(), options["port"], archive, moment, postgres.default_run_as()
        )
        if not options["start"]:
            self.stderr.write("数据目录已准备好。启动并开始恢复：\n    " + " ".join(record["start_command"]))
            return record
        record = postgres.start(record)
        db = postgres.database()
        self.stderr.write(
            f"恢复完成（{record['recovery']}），服务器在 127.0.0.1:{record['port']}："
            f"DATABASE_URL=postgres://{db['user']}@127.0.0.1:{record['port']}/{db['name']}；"
            + (f"用它核验审计链：sifa audit verify --until {record['to']}；" if record["to"] else "")
            + "核验后停止："
            + " ".join(record["stop_command"])
        )
        return record
