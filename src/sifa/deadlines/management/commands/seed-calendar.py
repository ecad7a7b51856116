"""`sifa seed-calendar`: fill the working-day calendar from chinese-calendar (idempotent)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from sifa.core.errors import ServiceError
from sifa.deadlines.services import chinese_calendar_years, seed_calendar


class Command(BaseCommand):
    help = "从 chinese-calendar 导入官方放假安排（法定节假日与调休上班日）到工作日历，可重复执行，不覆盖管理员修改的日期。"

    def add_arguments(self, parser) -> None:
        first, last = chinese_calendar_years()
        parser.add_argument(
            "--from", dest="from_year", type=int, default=first, help=f"起始年份（默认 {first}）"
        )
        parser.add_argument("--to", dest="to_year", type=int, default=last, help=f"结束年份（默认 {last}）")

    def handle(self, *args, from_year: int, to_year: int, **options) -> None:
        started = time.perf_counter()
        try:
            result = seed_calendar(from_year, to_year)
        except ServiceError as refused:
            raise CommandError(refused.message) from refused
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"工作日历 {from_year}–{to_year} 年导入完成：新增 {result.created}，更新 {result.updated}，"
                f"未变 {result.unchanged}，保留人工修改 {result.kept_manual}，用时 {elapsed:.2f} 秒"
            )
        )
