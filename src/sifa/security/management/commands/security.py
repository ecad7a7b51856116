"""``sifa security detect``: derive security events and raise incidents (every minute under
``sifa scheduler``; docs/security.md, "Monitoring and response")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sifa.security.services import detect


class Command(BaseCommand):
    help = "安全监测：detect 从审计记录、交换拒收记录和审计链核验中提取安全事件，按规则生成安全事件单。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", metavar="{detect}")
        sub.required = True
        sub.add_parser("detect", help="提取安全事件并应用检测规则（定时任务每分钟一次）。")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] != "detect":  # pragma: no cover - argparse refuses others
            raise CommandError("未知的子命令")
        result = detect()
        self.stdout.write(
            f"安全监测：新事件 {result.events} 条，新事件单 {len(result.opened)} 个，"
            f"并入已有事件单的事件 {result.attached} 条；{result.chain_message}"
        )
        for incident in result.opened:
            self.stdout.write(
                f"  [{incident.get_severity_display()}] {incident.title}（{incident.public_id}）"
            )
