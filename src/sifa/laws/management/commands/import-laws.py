"""`sifa import-laws [DIR]`: import a folder of statute files (default settings.LAWS_DIR); re-runnable.

``--sample`` imports the built-in sample instead (what ``sifa run`` does on a fresh machine).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sifa.laws.services import import_directory, import_sample


class Progress:
    """A progress bar on stderr (a plain counter when stderr is not a terminal)."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last = 0

    def __call__(self, n: int, total: int, name: str) -> None:
        if self.tty:
            width = 30
            filled = width * n // total
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {n}/{total}")
            if n == total:
                self.stream.write("\n")
        elif n == total or n - self.last >= 100:
            self.stream.write(f"{n}/{total}\n")
            self.last = n
        self.stream.flush()


class Command(BaseCommand):
    help = "导入法律法规库（Markdown 法规文件目录，默认 SIFA_LAWS_DIR）；可重复执行，未变化的文件跳过。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", nargs="?", help="法规文件目录（默认 SIFA_LAWS_DIR）")
        parser.add_argument("--sample", action="store_true", help="只导入内置样本（事项目录引用的法规）")
        parser.add_argument("--limit", type=int, default=None, help="只导入前 N 个文件（用于测试和性能测量）")

    def handle(
        self, *args, folder: str | None = None, sample: bool = False, limit: int | None = None, **options
    ):
        started = time.perf_counter()
        progress = Progress(sys.stderr) if options.get("verbosity", 1) > 0 else None
        if sample:
            result = import_sample(progress=progress)
        else:
            root = Path(folder) if folder else Path(settings.LAWS_DIR)
            if not root.is_dir():
                raise CommandError(f"法律法规目录不存在：{root}（可指定目录，或用 --sample 导入内置样本）")
            result = import_directory(root, progress=progress, limit=limit)
        elapsed = time.perf_counter() - started
        for name, reason in result.skipped:
            self.stderr.write(f"跳过 {name}：{reason}")
        self.stdout.write(
            self.style.SUCCESS(
                f"法律法规导入完成：新增 {len(result.created)} 部，更新 {len(result.updated)} 部，"
                f"未变化跳过 {len(result.unchanged)} 部，无法导入跳过 {len(result.skipped)} 个文件；"
                f"导入条文 {result.articles} 条；用时 {elapsed:.1f} 秒"
            )
        )
