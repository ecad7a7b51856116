"""`sifa export-catalogue <file.json>`: the whole catalogue (every version, drafts too) as JSON."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sifa.catalogue import opendata


class Command(BaseCommand):
    help = "导出政务服务事项目录（全部事项、全部版本及实施清单）为JSON文件，可用 sifa import-catalogue 导入空数据库。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="输出文件路径（.json）")

    def handle(self, *args, **options) -> None:
        data = opendata.export_catalogue(published_only=False)
        try:
            Path(options["file"]).write_bytes(opendata.dumps(data))
        except OSError as exc:
            raise CommandError(f"无法写入文件 {options['file']}：{exc.strerror}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"已导出 {len(data['items'])} 个事项、{len(data['implementations'])} 条实施清单到 {options['file']}"
            )
        )
