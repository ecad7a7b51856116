"""`sifa deliver-notifications`: send every due notification delivery (periodic job).

Safe to run from several workers at once on PostgreSQL (rows are claimed with SKIP LOCKED) and
from cron next to the task worker: a delivery is claimed by exactly one process before it is sent.
It also catches deliveries whose enqueue after commit was lost and those whose worker died.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sifa.notifications.services import BATCH_SIZE, deliver_due


class Command(BaseCommand):
    help = "发送所有到期的消息投递（站内消息、电子邮件、短信），失败的按退避策略重试；可多进程并行执行。"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help=f"每批领取条数（默认 {BATCH_SIZE}）"
        )
        parser.add_argument(
            "--max-batches", type=int, default=None, help="最多处理的批数（默认处理到没有到期投递为止）"
        )

    def handle(self, *args, batch_size: int, max_batches: int | None, **options) -> None:
        if batch_size < 1:
            raise CommandError("每批领取条数必须大于 0")
        if max_batches is not None and max_batches < 1:
            raise CommandError("最多处理的批数必须大于 0")
        result = deliver_due(limit=batch_size, max_batches=max_batches)
        self.stdout.write(
            self.style.SUCCESS(
                f"消息投递完成：发送成功 {result.sent}，失败待重试 {result.failed}，"
                f"停止重试 {result.dead}，收回中断的投递 {result.recovered}"
            )
        )
