"""``sifa chain-exchange-log``: chain the message-log rows still waiting (the scheduler, every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sifa.exchange.services.log import chain_pending


class Command(BaseCommand):
    help = "把已提交、尚未入链的交换消息入链（定时任务每分钟一次；同 `sifa exchange chain`）。"

    def handle(self, *args: Any, **options: Any) -> None:
        chained = chain_pending()
        if options["verbosity"] > 0:
            self.stdout.write(f"已入链 {chained} 条")
