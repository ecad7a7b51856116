"""`sifa escalate-complaints [--date YYYY-MM-DD]`: complaints not replied to by their due date are
shown to the level above (docs/complaints.md, "Time limit, 督办 and overdue")."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from sifa.complaints.services import escalate_overdue


class Command(BaseCommand):
    help = "Mark complaints not replied to by their due date overdue and tell the level above."

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
            self.stdout.write(f"已提示上级督办 {len(done)} 件逾期未答复的投诉举报")
