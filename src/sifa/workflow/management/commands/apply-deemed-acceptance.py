"""`sifa apply-deemed-acceptance`: 行政许可法 §32 — periodic job, safe with several workers."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sifa.workflow.services import apply_deemed_acceptance


class Command(BaseCommand):
    help = "将收到申请材料后五个工作日内未告知补正的申请视为受理（行政许可法第三十二条），受理日期为收到材料之日。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", help="按指定日期计算（YYYY-MM-DD，默认今天）")

    def handle(self, *args, date: str | None, **options) -> None:
        try:
            today = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as bad:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{date}") from bad
        numbers = apply_deemed_acceptance(today)
        self.stdout.write(self.style.SUCCESS(f"视为受理 {len(numbers)} 件（{today.isoformat()}）"))
        for number in numbers:
            self.stdout.write(f"  {number}")
