"""`sifa build-organisations`: generate the five-level organisation tree from the imported regions."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from sifa.organisations.models import Region
from sifa.organisations.services import build_organisations


class Command(BaseCommand):
    help = "根据行政区划生成司法部、司法厅（局）、司法局、司法所及县级公共法律服务中心、法律援助中心，可重复执行。"

    def handle(self, *args, **options) -> None:
        if not Region.objects.exists():
            raise CommandError("尚未导入行政区划，请先运行 sifa import-regions")
        started = time.perf_counter()
        result = build_organisations()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"机构树生成完成：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}，"
                f"共 {result.total} 个，用时 {elapsed:.2f} 秒"
            )
        )
