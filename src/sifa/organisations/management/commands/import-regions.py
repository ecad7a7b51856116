"""`sifa import-regions`: load the committed region file (GB/T 2260 + 12-digit township codes)."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sifa.organisations.services import REGIONS_FILE, RegionFileError, import_regions


class Command(BaseCommand):
    help = "导入行政区划（省、地、县三级 GB/T 2260 代码与乡级12位统计用区划代码），可重复执行。"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--file", type=Path, default=REGIONS_FILE, help="区划文件（gzip CSV），默认使用随代码提交的文件"
        )

    def handle(self, *args, file: Path, **options) -> None:
        if not file.is_file():
            raise CommandError(f"区划文件不存在：{file}")
        started = time.perf_counter()
        try:
            result = import_regions(file)
        except RegionFileError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"行政区划导入完成：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}，"
                f"共 {result.total} 条，用时 {elapsed:.2f} 秒"
            )
        )
