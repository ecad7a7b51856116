"""``sifa audit verify | tail [-n N] | anchor``: check, read and anchor the audit chain."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from sifa.audit.chain import AnchorFileError, default_anchor_path, read_anchors, verify_chain, write_anchor
from sifa.audit.labels import action_label
from sifa.audit.models import AuditEvent


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            f"无法识别的时间：{text!r}（请用 ISO 8601，如 2026-12-05T14:30:00+08:00）"
        ) from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "审计链：verify 核验完整性，tail 查看最近的事件，anchor 把链头写入锚点文件。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,tail,anchor}")
        verify = sub.add_parser(
            "verify", help="逐条核验审计链（哈希、链接、序号连续、锚点）；断裂时退出码为 1。"
        )
        verify.add_argument(
            "--anchors",
            type=Path,
            default=None,
            help="锚点文件（默认 SIFA_VAR_DIR/audit-anchors/anchors.jsonl）",
        )
        verify.add_argument("--batch-size", type=int, default=2000, help="每批读取的条数")
        verify.add_argument(
            "--until",
            default=None,
            help="只核对该时刻或之前写下的锚点（ISO 8601，不带时区时为北京时间）：恢复到某一时刻后核验时用，"
            "之后的锚点记录的是恢复有意丢弃的事件",
        )
        tail = sub.add_parser("tail", help="显示最近的审计事件。")
        tail.add_argument("-n", type=int, default=20, dest="count", help="条数（默认 20）")
        anchor = sub.add_parser("anchor", help="把当前链头（序号、哈希、时间）追加到锚点文件。")
        anchor.add_argument("--anchors", type=Path, default=None, help="锚点文件（默认同 verify）")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['subcommand']}")(options)

    def _verify(self, options: dict[str, Any]) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size 必须是正整数")
        try:
            anchors = read_anchors(options["anchors"] or default_anchor_path())
        except AnchorFileError as exc:
            raise CommandError(str(exc)) from exc
        if options["until"]:
            until = _moment(options["until"])
            anchors = [anchor for anchor in anchors if datetime.fromisoformat(anchor.anchored_at) <= until]
        result = verify_chain(batch_size=options["batch_size"], anchors=anchors)
        if result.ok:
            self.stdout.write(result.message)
            return
        self.stderr.write(result.message)
        raise SystemExit(1)

    def _tail(self, options: dict[str, Any]) -> None:
        if options["count"] < 1:
            raise CommandError("-n 必须是正整数")
        events = list(AuditEvent.objects.select_related("organisation").order_by("-seq")[: options["count"]])
        for event in reversed(events):
            when = timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S")
            target = ":".join(part for part in (event.object_type, event.object_id) if part) or "-"
            self.stdout.write(
                f"{event.seq}\t{when}\t{event.actor_username or '-'}\t{action_label(event.action)}（{event.action}）"
                f"\t{target}\t{event.get_result_display()}\t{event.ip_address or '-'}\t{event.hash[:16]}"
            )

    def _anchor(self, options: dict[str, Any]) -> None:
        path = options["anchors"] or default_anchor_path()
        anchor = write_anchor(path)
        self.stdout.write(f"已锚定第 {anchor.seq} 条（{anchor.hash}）于 {anchor.anchored_at} → {path}")
