"""`sifa import-catalogue <file.json>`: restore an export into a database with an empty catalogue."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sifa.catalogue.services import import_catalogue
from sifa.core.errors import ServiceError


class Command(BaseCommand):
    help = (
        "从 sifa export-catalogue 导出的JSON文件导入事项目录；目标数据库的事项目录必须为空，机构树须已建立。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="导入文件路径（.json）")

    def handle(self, *args, **options) -> None:
        try:
            text = Path(options["file"]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取文件 {options['file']}：{exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"文件不是有效的JSON：第{exc.lineno}行第{exc.colno}列") from None
        try:
            counts = import_catalogue(data)
        except ServiceError as exc:
            raise CommandError(f"{exc.message}（{exc.code}）") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入 {counts['items']} 个事项、{counts['versions']} 个版本、{counts['implementations']} 条实施清单"
            )
        )
