"""`sifa refresh-workitems`: refresh the clocks (as `refresh-deadlines` does), then copy due dates and
warning levels onto open work items so worklists stay plain indexed SQL."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from sifa.deadlines.services import recompute_open_clocks
from sifa.workflow.management.commands._dated import add_date_option, as_of
from sifa.workflow.services import refresh_all


class Command(BaseCommand):
    help = "重新计算未办结时限的截止日期与预警等级，并同步到待办事项（可多进程并行执行）。"

    def add_arguments(self, parser) -> None:
        add_date_option(parser)

    def handle(self, *args, date: str | None, **options) -> None:
        clocks = recompute_open_clocks(as_of(date))
        items = refresh_all()
        self.stdout.write(
            self.style.SUCCESS(
                f"时限 {clocks.examined} 条已检查、{clocks.changed} 条更新；待办事项 {items} 条更新"
            )
        )
