"""``sifa chain-access-log``: chain the personal-data access-log rows still waiting (the scheduler,
every minute; the same as ``sifa audit chain-access``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sifa.audit.services.access import chain_pending


class Command(BaseCommand):
    help = "把已提交、尚未入链的个人数据查看记录入链（定时任务每分钟一次；同 `sifa audit chain-access`）。"

    def handle(self, *args: Any, **options: Any) -> None:
        chained = chain_pending()
        if options["verbosity"] > 0:
            self.stdout.write(f"已入链 {chained} 条")
