"""``sifa privacy purge [--dry-run]``: apply the retention table (daily under ``sifa scheduler``;
docs/privacy.md)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sifa.core.errors import ServiceError
from sifa.privacy import retention
from sifa.privacy.services import purge


class Command(BaseCommand):
    help = "个人信息保护：purge 按保存期限表清除或去标识化到期数据（定时任务每天一次）；--dry-run 只统计。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", metavar="{purge}")
        sub.required = True
        run = sub.add_parser("purge", help="按保存期限表清除到期数据，每次记入审计链（只记数量）。")
        run.add_argument("--dry-run", action="store_true", help="只统计将清除的数量，不修改数据。")
        run.add_argument("--json", action="store_true", help="以 JSON 输出各规则的数量。")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] != "purge":  # pragma: no cover - argparse refuses others
            raise CommandError("未知的子命令")
        try:
            result = purge(dry_run=options["dry_run"])
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        verb = "将清除" if result["dry_run"] else "已清除"
        for code, count in result["counts"].items():
            rule = next((r for r in retention.RULES if code == r.code or code.startswith(r.code + ".")), None)
            period = f"，保存 {rule.period_days} 天" if rule and rule.period_days else ""
            self.stdout.write(f"{code}：{verb} {count} 条{period}")
