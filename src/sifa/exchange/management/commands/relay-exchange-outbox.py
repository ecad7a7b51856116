"""``sifa relay-exchange-outbox``: one pass of the outbox relay (the scheduler, every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sifa.exchange.services.outbox import relay_once
from sifa.exchange.transport import default_transport


class Command(BaseCommand):
    help = "发送数据交换发件箱中到期的消息、到时提醒、24 小时后转人工（定时任务每分钟一次；同 `sifa exchange relay`）。"

    def handle(self, *args: Any, **options: Any) -> None:
        done = relay_once(default_transport(), max_batches=None)
        if options["verbosity"] > 0:
            self.stdout.write(f"已确认 {done.confirmed} 条，待重试 {done.retried} 条，转人工 {done.dead} 条")
