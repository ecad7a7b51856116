"""`sifa load-catalogue`: load the shipped items, publish them through the quality gate, generate entries."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from sifa.catalogue.services import generate_entries, load_items
from sifa.core.errors import ServiceError


class Command(BaseCommand):
    help = "载入政务服务事项目录（真实司法行政事项），经质量检查发布第1版，并为各实施机构生成实施清单；可重复执行。"

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        try:
            result = load_items()
        except ServiceError as exc:
            details = "；".join(e["message"] for e in exc.errors)
            raise CommandError(f"{exc.message}{'：' + details if details else ''}") from None
        generate_entries(result)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"事项目录载入完成：发布 {len(result.published)} 个，未变 {len(result.unchanged)} 个，"
                f"更新内容来源 {len(result.sources_updated)} 个，更新事项信息 {len(result.items_updated)} 个；"
                f"新增实施清单 {result.entries_created} 条；新增群众常用说法 {result.synonyms_seeded} 个；"
                f"跳过机构 {len(result.skipped_organisations)} 个（统一社会信用代码无效或层级不符）；用时 {elapsed:.2f} 秒"
            )
        )
