"""`sifa roll-up-indicators`: fold the pending indicator deltas into the monthly roll-ups, then give
the leaf-months that went over ``SIFA_INDICATORS_HOT_LEAF_FACTS`` facts their row (ADR 0010).

Run by `sifa scheduler` every minute; safe with two schedulers (each claims its deltas with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL). Prints how many deltas it folded.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from sifa.indicators.services import fold_all


class Command(BaseCommand):
    help = "把待归并的绩效增量归并到各级机构的月度汇总，并为事实数超过阈值的末级机构月份建立汇总行（调度器每分钟运行一次）。"

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=20000, help="每个事务归并的增量条数上限")

    def handle(self, *args, **options):
        folded = fold_all(max(1, options["batch"]))
        if options["verbosity"]:
            self.stdout.write(f"归并绩效增量 {folded} 条")
