"""`sifa remind-judicial-confirmation [--date YYYY-MM-DD]`: the 人民调解法 §33 reminders due today, after
the 暂定 last days are computed again (a holiday notice entered since makes them official)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from sifa.mediation.services import refresh_dates, send_due_reminders


class Command(BaseCommand):
    help = (
        "Remind parties of a mediation agreement before the 30 days to apply for judicial confirmation end."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as of this date (YYYY-MM-DD); default today.")

    def handle(self, *args, **options):
        today = None
        if options.get("date"):
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError as bad:
                raise CommandError("--date 应为 YYYY-MM-DD 格式的日期") from bad
        moved = refresh_dates(today)
        sent = send_due_reminders(today)
        if options["verbosity"]:
            if moved:
                self.stdout.write(f"{len(moved)} 个申请司法确认的截止日期已按工作日历重新计算")
            self.stdout.write(f"已发送 {len(sent)} 条司法确认提醒")
