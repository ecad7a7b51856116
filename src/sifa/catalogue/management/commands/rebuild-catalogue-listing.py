"""`sifa rebuild-catalogue-listing`: rebuild the public list's read model from the items."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from sifa.catalogue.services.listing import rebuild_all


class Command(BaseCommand):
    help = "重建事项目录公开列表的预生成条目（读模型）；事项的发布、变更命令会自动维护，通常无需执行。"

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        count = rebuild_all()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(f"事项目录列表条目已重建：{count} 个事项；用时 {elapsed:.2f} 秒")
        )
