"""``sifa security detect``: derive security events and raise incidents (every minute under
``sifa scheduler``); ``sifa security weekly-report``: the 安全周报 of the last complete week (hourly
under the scheduler, each report written once) — docs/security.md, "Monitoring and response"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sifa.security.services import detect, weekly_reports


class Command(BaseCommand):
    help = (
        "安全监测：detect 从审计记录、交换拒收记录和审计链核验中提取安全事件，按规则生成安全事件单；"
        "weekly-report 生成上一完整周（周一至周日）的安全周报。"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", metavar="{detect,weekly-report}")
        sub.required = True
        sub.add_parser("detect", help="提取安全事件并应用检测规则（定时任务每分钟一次）。")
        report = sub.add_parser(
            "weekly-report", help="生成安全周报（定时任务每小时检查一次，每周每个管辖范围一份）。"
        )
        report.add_argument("--week", help="该周中的任一日期 YYYY-MM-DD（默认：上一完整周）。")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "weekly-report":
            return self._weekly(options)
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

    def _weekly(self, options: dict[str, Any]) -> None:
        monday = None
        if options.get("week"):
            try:
                monday = dt.date.fromisoformat(options["week"])
            except ValueError:
                raise CommandError("--week 应为日期 YYYY-MM-DD") from None
        written = weekly_reports(monday=monday)
        self.stdout.write(f"安全周报：新生成 {len(written)} 份")
        for report in written:
            self.stdout.write(
                f"  {report.scope_path} {report.week_start:%Y-%m-%d}—{report.week_end:%Y-%m-%d}"
            )
