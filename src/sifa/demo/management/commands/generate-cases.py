"""`sifa generate-cases --cases N [--seed S] [--months M] [--end YYYY-MM] [--batch B]`: bench cases
(办件) over the real organisation tree and catalogue, deterministic for a seed; `--purge` removes
them. The writer is ``sifa.demo.services.generator`` (docs/demo.md, "Bench cases")."""

from __future__ import annotations

import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sifa.core.errors import ServiceError
from sifa.demo.services import generator


def _whole(value: str) -> int:
    try:
        return int(value.replace("_", "").replace(",", ""))
    except ValueError:
        raise CommandError(f"应为整数：{value}") from None


class Progress:
    """A one-line progress bar on stderr (rewritten in place on a terminal)."""

    WIDTH = 30

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and now - self.last < (0.5 if self.tty else 10.0):
            return
        self.last = now
        elapsed = now - self.started
        rate = done / elapsed if elapsed else 0.0
        left = (total - done) / rate if rate else 0.0
        filled = int(self.WIDTH * done / total)
        line = (
            f"生成办件 [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{total:,} "
            f"({done / total:.0%}) {rate:,.0f} 件/秒，已用 {elapsed:.0f} 秒，预计还需 {left:.0f} 秒"
        )
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        if self.tty and done >= total:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "生成压测用办件（确定性：同一随机种子生成相同数据），或用 --purge 清除已生成的办件。仅限开发和压测环境。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=_whole, help="生成的办件数量（如 1000000）")
        parser.add_argument("--seed", type=_whole, default=1, help="随机种子（默认 1）")
        parser.add_argument("--months", type=_whole, default=12, help="办件分布的月数（默认 12）")
        parser.add_argument("--end", default=None, help="最后一个月 YYYY-MM（默认上个月，北京时间）")
        parser.add_argument("--batch", type=_whole, default=5000, help="每批写入的办件数（默认 5000）")
        parser.add_argument("--purge", action="store_true", help="清除所有生成的办件及其评价、整改")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度")

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not settings.TESTING:
            raise CommandError("生成的办件只用于开发和压测，请在开发环境（SIFA_DEBUG=1）中运行")
        try:
            if options["purge"]:
                if options["cases"] is not None:
                    raise CommandError("--purge 不能与 --cases 同时使用")
                removed = generator.purge()
                self.stdout.write(self.style.SUCCESS(f"已清除生成的办件 {removed:,} 件"))
                return
            if options["cases"] is None:
                raise CommandError("请用 --cases 指定生成的办件数量，或用 --purge 清除已生成的办件")
            progress = None if options["no_progress"] else Progress()
            summary = generator.generate(
                cases=options["cases"],
                seed=options["seed"],
                months=options["months"],
                end=options["end"],
                batch=options["batch"],
                progress=progress,
            )
        except ServiceError as refused:
            raise CommandError(refused.message) from None
        figures = summary.as_dict()
        statuses = "，".join(f"{key} {value:,}" for key, value in figures["statuses"].items())
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成办件 {summary.cases:,} 件（{figures['period'][0]} 至 {figures['period'][1]}），"
                f"用时 {summary.seconds:.1f} 秒（{summary.cases / max(summary.seconds, 1e-9):,.0f} 件/秒）"
            )
        )
        self.stdout.write(f"状态：{statuses}")
        self.stdout.write(
            f"办理进程 {summary.timeline:,} 条，材料 {summary.materials:,} 份，一次性告知书 {summary.notices:,} 份，"
            f"办理时限 {summary.clocks:,} 条，"
            f"评价 {summary.ratings:,} 条，整改 {summary.rectifications:,} 件"
        )
