"""`sifa escalate-rectifications [--date YYYY-MM-DD]`: rectifications of a 差评 still open past their
due date go to the level above (docs/evaluation.md, "Time limits and escalation")."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from sifa.evaluation.services import escalate_overdue


class Command(BaseCommand):
    help = "Escalate rectifications of a bad rating still open past their due date to the level above."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as of this date (YYYY-MM-DD); default today.")

    def handle(self, *args, **options):
        today = None
        if options.get("date"):
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError as bad:
                raise CommandError("--date 应为 YYYY-MM-DD 格式的日期") from bad
        done = escalate_overdue(today)
        if options["verbosity"]:
            self.stdout.write(f"已升级督办 {len(done)} 件逾期未反馈的差评整改")
