"""`sifa apply-deemed-acceptance`: 行政许可法 §32 — periodic job, safe with several workers."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from sifa.workflow.management.commands._dated import add_date_option, as_of
from sifa.workflow.services import apply_deemed_acceptance


class Command(BaseCommand):
    help = "将收到申请材料后五个工作日内未告知补正的申请视为受理（行政许可法第三十二条），受理日期为收到材料之日。"

    def add_arguments(self, parser) -> None:
        add_date_option(parser)

    def handle(self, *args, date: str | None, **options) -> None:
        today = as_of(date)
        numbers = apply_deemed_acceptance(today)
        self.stdout.write(self.style.SUCCESS(f"视为受理 {len(numbers)} 件（{today.isoformat()}）"))
        for number in numbers:
            self.stdout.write(f"  {number}")
