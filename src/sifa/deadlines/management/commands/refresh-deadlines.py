"""`sifa refresh-deadlines`: recompute due dates and warning levels of open clocks (periodic job).

It also watches the calendar: from 1 October, while next year's official 放假安排 is not entered, it
logs a warning on ``sifa.deadlines`` (the monitoring log) at every run.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sifa.deadlines.selectors import calendar_outlook
from sifa.deadlines.services import BATCH_SIZE, recompute_open_clocks

logger = logging.getLogger("sifa.deadlines")


class Command(BaseCommand):
    help = "按当日重新计算所有未办结时限的截止日期与预警等级（黄色：剩余 2 个工作日以内；红色：超期），可多进程并行执行。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", help="按指定日期计算（YYYY-MM-DD，默认今天）")
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help=f"每批处理条数（默认 {BATCH_SIZE}）"
        )

    def handle(self, *args, date: str | None, batch_size: int, **options) -> None:
        try:
            today = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as bad:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{date}") from bad
        if batch_size < 1:
            raise CommandError("每批处理条数必须大于 0")
        result = recompute_open_clocks(today, batch_size=batch_size)
        message = f"时限预警已刷新（{today.isoformat()}）：检查 {result.examined}，更新 {result.changed}"
        if result.moved:
            message += f"，{result.moved} 条因工作日历调整改变了截止日期（已通知）"
        if result.missing_calendar:
            message += f"，{result.missing_calendar} 条因工作日历缺失无法计算（已告警）"
        self.stdout.write(self.style.SUCCESS(message))
        outlook = calendar_outlook(today)
        if outlook.alert:
            logger.warning(
                "calendar.%s_not_official year=%s status=%s: %s",
                "this_year" if outlook.year == today.year else "next_year",
                outlook.year,
                outlook.status,
                outlook.message,
            )
            self.stdout.write(self.style.WARNING(outlook.message))
