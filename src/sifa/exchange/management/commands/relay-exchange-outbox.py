"""``sifa relay-exchange-outbox``: one pass of the outbox relay (the scheduler, every minute)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand

from sifa.core.errors import ServiceError
from sifa.exchange.services.outbox import raise_alerts, relay_once
from sifa.exchange.transport import default_transport

logger = logging.getLogger("sifa.exchange")


class Command(BaseCommand):
    help = "发送数据交换发件箱中到期的消息、到时提醒、24 小时后转人工（定时任务每分钟一次；同 `sifa exchange relay`）。"

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            transport = default_transport()
        except ServiceError as error:
            # No transport installed: the messages stay queued (and their alerts still run).
            logger.warning("exchange relay: %s", error.message)
            transport = None
        if transport is None:
            raise_alerts()
            return
        done = relay_once(transport, max_batches=None)
        if options["verbosity"] > 0:
            self.stdout.write(f"已确认 {done.confirmed} 条，待重试 {done.retried} 条，转人工 {done.dead} 条")
