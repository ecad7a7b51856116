"""``sifa anchor-logs``: verify the audit chain and anchor every log's head (the scheduler's job).

1. the audit chain: ``sifa audit anchor --verify`` — verified from the head the previous run
   verified, then anchored; the outcome is kept for ``/readyz``;
2. the personal-data access log: ``sifa audit anchor-access`` (chains the waiting rows first);
3. the exchange message log: ``sifa exchange anchor`` (chains the waiting rows first).

Each step runs even if one before failed; the command fails (exit 1) if any did.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

logger = logging.getLogger("sifa.scheduler")

STEPS: list[tuple[str, ...]] = [
    ("audit", "anchor", "--verify"),
    ("audit", "anchor-access"),
    ("exchange", "anchor"),
]


class Command(BaseCommand):
    help = (
        "核验审计链并锚定审计链、个人数据查看记录链和交换消息日志的链头（定时任务每小时一次，停止时再一次）。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        failed = []
        quiet = options["verbosity"] < 1
        for step in STEPS:
            try:
                call_command(*step, stdout=io.StringIO() if quiet else self.stdout, stderr=self.stderr)
            except (Exception, SystemExit):
                logger.exception("anchoring step %s failed", " ".join(step))
                failed.append(" ".join(step))
        if failed:
            raise CommandError("锚定未全部完成：" + "；".join(failed))
