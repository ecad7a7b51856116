"""`sifa refresh-workitems`: refresh the clocks (as `refresh-deadlines` does), then copy due dates and
warning levels onto open work items so worklists stay plain indexed SQL."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sifa.deadlines.tasks import recompute_open_clocks
from sifa.workflow.services import refresh_all


class Command(BaseCommand):
    help = "重新计算未办结时限的截止日期与预警等级，并同步到待办事项（可多进程并行执行）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", help="按指定日期计算（YYYY-MM-DD，默认今天）")

    def handle(self, *args, date: str | None, **options) -> None:
        try:
            today = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as bad:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{date}") from bad
        clocks = recompute_open_clocks(today)
        items = refresh_all()
        self.stdout.write(
            self.style.SUCCESS(
                f"时限 {clocks.examined} 条已检查、{clocks.changed} 条更新；待办事项 {items} 条更新"
            )
        )
