"""`sifa build-open-data`: build the open-data files of the current catalogue ahead of the first download."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from sifa.catalogue import opendata_files


class Command(BaseCommand):
    help = (
        "生成当前事项目录的开放数据文件（整体JSON及其gzip压缩版、CSV压缩包、事项文件、按省份拆分的实施清单文件和索引）；"
        "目录未变化时不做任何事。调度器每2分钟运行一次。"
    )

    def handle(self, *args, **options) -> None:
        mark = opendata_files.fingerprint()
        if (opendata_files.root() / mark.key / "manifest.json").exists():
            if options["verbosity"] > 1:
                self.stdout.write(f"开放数据文件已是最新（{mark.key}）")
            return
        started = time.monotonic()
        directory = opendata_files.build(mark)
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(f"已生成开放数据文件 {directory}（{time.monotonic() - started:.1f} 秒）")
            )
