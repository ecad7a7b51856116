"""`sifa rebuild-indicators [--month YYYY-MM]`: recompute the monthly roll-ups from the facts.

Idempotent: it gives what the incremental maintenance gives (tested). Use it after loading or
generating cases in bulk (`sifa generate-cases`), or to check the roll-ups. With ``--month`` only
that month's rows are rewritten.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sifa.indicators.metrics import parse_month
from sifa.indicators.services import rebuild


class Command(BaseCommand):
    help = "按办件、评价、整改和投诉的事实重建绩效月度汇总（可只重建一个月）。"

    def add_arguments(self, parser):
        parser.add_argument("--month", default="", help="只重建该月（YYYY-MM）；默认全部月份")

    def handle(self, *args, **options):
        month = None
        if options["month"]:
            month = parse_month(options["month"])
            if month is None:
                raise CommandError("--month 应为 YYYY-MM 格式，如 2026-11")
        result = rebuild(month)
        if options["verbosity"]:
            self.stdout.write(f"已重建：事实 {result['facts']} 项，汇总行 {result['rows']} 行")
