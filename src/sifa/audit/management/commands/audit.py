"""``sifa audit verify | tail [-n N] | anchor | purge --before DATE``: check, read, anchor and
purge the audit chain; ``verify-access | anchor-access | chain-access``: the same for the
personal-data access log's chain."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from sifa.audit.chain import (
    AnchorFileError,
    default_access_anchor_path,
    default_anchor_path,
    read_anchors,
    verify_access_log,
    verify_and_anchor,
    verify_chain,
    write_access_anchor,
    write_anchor,
)
from sifa.audit.labels import action_label
from sifa.audit.models import AuditEvent
from sifa.audit.services.access import chain_pending
from sifa.audit.services.retention import purge_before
from sifa.core.errors import ServiceError


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
        sub = parser.add_subparsers(
            dest="subcommand",
            required=True,
            metavar="{verify,tail,anchor,purge,verify-access,anchor-access,chain-access}",
        )
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
        anchor.add_argument(
            "--verify",
            action="store_true",
            help="先核验（自上次核验过的链头起），完整才锚定，结果供 /readyz 显示（定时任务用）",
        )
        purge = sub.add_parser(
            "purge",
            help="清除某日之前保存期满（至少 180 天）的审计事件：先在链中记录清除事件，核验从其记载的哈希起。",
        )
        purge.add_argument(
            "--before", required=True, help="清除此日期（YYYY-MM-DD，本地时间 0 时）之前的事件"
        )
        verify_access = sub.add_parser(
            "verify-access",
            help="逐条核验个人数据查看记录的哈希链（先把待入链的记录入链）；断裂时退出码为 1。",
        )
        verify_access.add_argument(
            "--anchors",
            type=Path,
            default=None,
            help="锚点文件（默认 SIFA_VAR_DIR/access-anchors/anchors.jsonl）",
        )
        verify_access.add_argument("--batch-size", type=int, default=2000, help="每批读取的条数")
        anchor_access = sub.add_parser(
            "anchor-access", help="先把待入链的个人数据查看记录入链，再把链头追加到其锚点文件。"
        )
        anchor_access.add_argument(
            "--anchors", type=Path, default=None, help="锚点文件（默认同 verify-access）"
        )
        sub.add_parser("chain-access", help="把已提交、尚未入链的个人数据查看记录立即入链。")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["subcommand"].replace("-", "_"))(options)
        except ServiceError as error:
            raise CommandError(f"{error.message}（{error.code}）") from None

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
        if options["verify"]:
            try:
                status = verify_and_anchor(path)
            except AnchorFileError as exc:
                raise CommandError(str(exc)) from exc
            if not status["ok"]:
                self.stderr.write(f"{status['message']}；未锚定")
                raise SystemExit(1)
            self.stdout.write(
                f"已核验并锚定第 {status['seq']} 条（{status['hash']}）于 {status['anchored_at']} → {path}"
            )
            return
        anchor = write_anchor(path)
        self.stdout.write(f"已锚定第 {anchor.seq} 条（{anchor.hash}）于 {anchor.anchored_at} → {path}")

    def _purge(self, options: dict[str, Any]) -> None:
        try:
            day = dt.date.fromisoformat(options["before"])
        except ValueError:
            raise CommandError("--before 须为 YYYY-MM-DD") from None
        cutoff = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        deleted = purge_before(cutoff)
        self.stdout.write(f"已清除 {day} 之前的审计事件 {deleted} 条")

    def _chain_access(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"已入链 {chain_pending()} 条")

    def _verify_access(self, options: dict[str, Any]) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size 必须是正整数")
        try:
            anchors = read_anchors(options["anchors"] or default_access_anchor_path())
        except AnchorFileError as exc:
            raise CommandError(str(exc)) from exc
        chain_pending()
        result = verify_access_log(batch_size=options["batch_size"], anchors=anchors)
        if result.ok:
            self.stdout.write(result.message)
            return
        self.stderr.write(result.message)
        raise SystemExit(1)

    def _anchor_access(self, options: dict[str, Any]) -> None:
        chain_pending()
        path = options["anchors"] or default_access_anchor_path()
        anchor = write_access_anchor(path)
        self.stdout.write(
            f"已锚定个人数据查看记录第 {anchor.seq} 条（{anchor.hash}）于 {anchor.anchored_at} → {path}"
        )
