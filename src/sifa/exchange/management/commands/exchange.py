"""``sifa exchange load-partners | add-key | chain | verify-log | anchor | export | relay``: the exchange gateway."""

from __future__ import annotations

import datetime as dt
import signal
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sifa.audit.chain import AnchorFileError, read_anchors
from sifa.core.errors import ServiceError
from sifa.exchange.chain import default_anchor_path, verify_log, write_anchor
from sifa.exchange.models import Partner
from sifa.exchange.services import archive, outbox, partners
from sifa.exchange.services.log import chain_pending
from sifa.exchange.transport import default_transport


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期应为 YYYY-MM-DD：{value}") from None


def _time(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"时间应为 ISO 8601（含时区）：{value}") from None
    if parsed.tzinfo is None:
        raise CommandError(f"时间缺少时区：{value}")
    return parsed


class Command(BaseCommand):
    help = (
        "数据交换：load-partners 载入演示伙伴，add-key 登记伙伴公钥，chain 把待入链消息入链，"
        "verify-log 核验消息日志（断裂时退出码为 1），anchor 把链头写入锚点文件，export 导出签名归档，"
        "relay 发送发件箱中到期的消息（--loop 持续运行）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="subcommand",
            required=True,
            metavar="{load-partners,add-key,chain,verify-log,anchor,export,relay}",
        )
        load = sub.add_parser(
            "load-partners", help="载入演示交换伙伴（公安、法院、检察院）、密钥和服务（仅开发环境）。"
        )
        load.add_argument(
            "--key-dir", type=Path, default=None, help="演示伙伴私钥目录（默认 SIFA_VAR_DIR/keys/partners）"
        )
        key = sub.add_parser("add-key", help="登记伙伴的公钥（轮换：新增一把，旧的保留到失效时间）。")
        key.add_argument("--partner", required=True, help="伙伴的统一社会信用代码")
        key.add_argument("--pem", type=Path, required=True, help="公钥文件（PUBLIC KEY PEM）")
        key.add_argument("--key-id", required=True, help="密钥标识，如 sm2-2026-12-1a2b3c4d")
        key.add_argument("--valid-from", required=True, help="生效时间（ISO 8601，含时区）")
        key.add_argument("--valid-until", default=None, help="失效时间（可不填）")
        sub.add_parser("chain", help="把已提交、尚未入链的消息立即入链。")
        verify = sub.add_parser(
            "verify-log", help="逐条核验消息日志的哈希链；断裂时退出码为 1 并指出第一条。"
        )
        verify.add_argument("--batch-size", type=int, default=2000, help="每批读取的条数")
        verify.add_argument(
            "--anchors",
            type=Path,
            default=None,
            help="锚点文件（默认 SIFA_VAR_DIR/exchange-anchors/anchors.jsonl）",
        )
        anchor = sub.add_parser(
            "anchor", help="先把待入链消息入链，再把链头（序号和哈希）追加到锚点文件；删除最新记录可被发现。"
        )
        anchor.add_argument(
            "--anchors",
            type=Path,
            default=None,
            help="锚点文件（默认 SIFA_VAR_DIR/exchange-anchors/anchors.jsonl）",
        )
        export = sub.add_parser("export", help="导出某日以来的签名归档（消息、签名、哈希链、签名公钥）。")
        export.add_argument("--since", required=True, help="起始日期 YYYY-MM-DD")
        export.add_argument("--out", type=Path, required=True, help="归档文件（ZIP）")
        relay = sub.add_parser(
            "relay", help="发送发件箱中到期的消息：签名待签名的消息、重试、24 小时后转人工、提醒。"
        )
        relay.add_argument("--loop", action="store_true", help="持续运行，直到收到 SIGTERM/SIGINT")
        relay.add_argument("--interval", type=float, default=1.0, help="--loop 时两轮之间的秒数（默认 1）")
        relay.add_argument("--batch", type=int, default=outbox.BATCH_SIZE, help="每批领取的条数")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, "_" + options["subcommand"].replace("-", "_"))
        try:
            handler(options)
        except ServiceError as error:
            raise CommandError(f"{error.message}（{error.code}）") from None

    def _load_partners(self, options: dict[str, Any]) -> None:
        loaded = partners.load_demo_partners(options["key_dir"])
        for partner in loaded.values():
            self.stdout.write(f"{partner.get_kind_display()}\t{partner.name}\t{partner.uscc}（演示数据）")

    def _add_key(self, options: dict[str, Any]) -> None:
        partner = Partner.objects.filter(uscc=options["partner"].strip().upper()).first()
        if partner is None:
            raise CommandError(f"未登记的伙伴：{options['partner']}")
        try:
            pem = options["pem"].read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            raise CommandError(f"无法读取公钥文件 {options['pem']}") from None
        key = partners.add_key(
            partner,
            pem,
            key_id=options["key_id"],
            valid_from=_time(options["valid_from"]),
            valid_until=_time(options["valid_until"]) if options["valid_until"] else None,
        )
        self.stdout.write(f"已登记 {partner.name} 的公钥 {key.key_id}")

    def _chain(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"已入链 {chain_pending()} 条")

    def _verify_log(self, options: dict[str, Any]) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size 必须是正整数")
        try:
            anchors = read_anchors(options["anchors"] or default_anchor_path())
        except AnchorFileError as error:
            raise CommandError(str(error)) from None
        result = verify_log(batch_size=options["batch_size"], anchors=anchors)
        if result.ok:
            self.stdout.write(result.message)
            return
        self.stderr.write(result.message)
        raise SystemExit(1)

    def _anchor(self, options: dict[str, Any]) -> None:
        chain_pending()
        path = options["anchors"] or default_anchor_path()
        anchor = write_anchor(path)
        self.stdout.write(
            f"已锚定第 {anchor.seq} 条（{anchor.hash[:4]}…{anchor.hash[-4:]}）于 {anchor.anchored_at} → {path}"
        )

    def _export(self, options: dict[str, Any]) -> None:
        done = archive.export(_date(options["since"]), options["out"])
        self.stdout.write(
            f"已导出 {done.count} 条消息（第 {done.first_seq or '-'} 至 {done.last_seq or '-'} 条）→ {done.path}，"
            f"归档由 {done.key_id} 签名"
        )

    def _relay(self, options: dict[str, Any]) -> None:
        if options["batch"] < 1 or options["interval"] <= 0:
            raise CommandError("--batch 和 --interval 必须是正数")
        transport = default_transport()
        stop: list[int] = []
        if options["loop"]:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda signum, frame: stop.append(signum))
        while True:
            done = outbox.relay_once(transport, limit=options["batch"], max_batches=None)
            if options["verbosity"] > 0 and (
                not options["loop"] or done.confirmed or done.dead or done.retried
            ):
                self.stdout.write(
                    f"已确认 {done.confirmed} 条，待重试 {done.retried} 条，转人工 {done.dead} 条，"
                    f"补签 {done.signed} 条，提醒 {done.alerts} 次"
                )
            if not options["loop"] or stop:
                return
            time.sleep(options["interval"])
