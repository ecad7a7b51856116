"""``sifa partner-sim --as police|court|procuratorate --port N``: a partner system as a separate
process (docs/exchange.md, "Partner simulators"); ``… send lawyer-status|legal-aid-notify`` makes
it send a signed message to Sifa's inbox instead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sifa.core.errors import ServiceError
from sifa.exchange.demo import KINDS
from sifa.exchange.services.partners import NOTICE_GROUNDS
from sifa.exchange.simulator import client
from sifa.exchange.simulator.protocol import SifaKeys
from sifa.exchange.simulator.server import Simulator, load_partner_signer, parse_latency, serve
from sifa.exchange.simulator.store import Store


class Command(BaseCommand):
    help = (
        "交换伙伴模拟器（公安、法院、检察院）：以独立进程接收并答复签名消息；"
        "send 子命令向司法行政平台发送律师执业状态查询或通知辩护。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="kind", required=True, choices=KINDS, help="模拟的伙伴")
        parser.add_argument("--port", type=int, default=None, help="监听端口（接收消息时必填）")
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
        parser.add_argument("--db", type=Path, default=None, help="模拟器自己的 SQLite 文件")
        parser.add_argument("--key-dir", type=Path, default=None, help="演示伙伴私钥目录")
        parser.add_argument(
            "--sifa",
            default=None,
            help="司法行政平台地址（默认 http://127.0.0.1:PORT），其公钥取自 /api/v1/keys/",
        )
        parser.add_argument("--sifa-keys", default=None, help="司法行政平台公钥：URL 或同格式的 JSON 文件")
        parser.add_argument(
            "--latency-ms", default=None, help="答复延迟毫秒数 MIN-MAX（默认 SIFA_PARTNER_SIM_LATENCY_MS）"
        )
        parser.add_argument(
            "--unsigned-bench",
            action="store_true",
            help="仅供基准测试 W9（需要 SIFA_DEBUG）：另开 /bench/unsigned/，同样答复但不验签、不签名，作为对照",
        )
        sub = parser.add_subparsers(dest="action", metavar="send")
        send = sub.add_parser("send", help="向司法行政平台发送签名消息")
        send.add_argument("what", choices=sorted(client.SERVICES), help="lawyer-status 或 legal-aid-notify")
        send.add_argument("--receiver", required=True, help="接收机构（司法行政机关）的统一社会信用代码")
        send.add_argument("--licence", default="", help="律师执业证号（lawyer-status）")
        send.add_argument("--case", default="(2026)浙0106刑初123号", help="案号（legal-aid-notify）")
        send.add_argument("--name", default="王某某", help="犯罪嫌疑人、被告人姓名（legal-aid-notify）")
        send.add_argument("--id-number", default="330106198505051230", help="其公民身份号码")
        send.add_argument("--organ", default="", help="办案机关（默认本伙伴）")
        send.add_argument("--charge", default="盗窃罪", help="涉嫌罪名")
        send.add_argument(
            "--ground",
            choices=sorted(NOTICE_GROUNDS),
            default="",
            help="通知情形（法律援助法第二十五条、第二十八条）："
            + "、".join(f"{k}={v[0]}" for k, v in NOTICE_GROUNDS.items()),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        sifa = (options["sifa"] or f"http://127.0.0.1:{settings.PORT}").rstrip("/")
        try:
            latency = parse_latency(options["latency_ms"] or settings.PARTNER_SIM_LATENCY_MS)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if options["unsigned_bench"] and not settings.DEBUG:
            raise CommandError("--unsigned-bench 仅用于开发环境的基准测试（需要 SIFA_DEBUG）")
        key_dir = options["key_dir"] or Path(settings.VAR_DIR) / "keys" / "partners"
        try:
            signer = load_partner_signer(key_dir, kind)
        except (OSError, ServiceError) as error:
            raise CommandError(f"无法读取 {kind} 的演示密钥：{error}") from None
        sim = Simulator(
            kind=kind,
            signer=signer,
            store=Store(options["db"] or Path(settings.VAR_DIR) / "partner-sim" / f"{kind}.sqlite3"),
            keys=SifaKeys(options["sifa_keys"] or f"{sifa}/api/v1/keys/"),
            latency=latency,
            skew_seconds=settings.EXCHANGE_CLOCK_SKEW_SECONDS,
            unsigned_bench=options["unsigned_bench"],
        )
        if options["action"] == "send":
            self._send(sim, f"{sifa}/api/v1/exchange/inbox/", options)
            return
        if options["port"] is None:
            raise CommandError("接收消息需要 --port")

        def ready(url: str) -> None:
            self.stdout.write(
                f"partner-sim {kind}: {sim.partner.name} {url}exchange/ （健康检查 {url}healthz）"
            )
            self.stdout.flush()

        serve(sim, options["host"], options["port"], ready=ready)

    def _send(self, sim: Simulator, inbox: str, options: dict[str, Any]) -> None:
        if options["what"] == "lawyer-status":
            if not options["licence"]:
                raise CommandError("lawyer-status 需要 --licence")
            body: dict[str, Any] = {"licence_number": options["licence"]}
            issue = ""
        else:
            issue = options["case"]
            body = {
                "case_number": options["case"],
                "suspect": {"name": options["name"], "id_number": options["id_number"]},
                "court_or_organ": options["organ"] or sim.partner.name,
                "notified_at": sim_today(),
                "charge": options["charge"],
            }
            if options["ground"]:
                body["ground"] = options["ground"]
        try:
            result = client.send(sim, inbox, options["what"], body, receiver=options["receiver"], issue=issue)
        except ServiceError as error:
            raise CommandError(f"{error.message}（{error.code}）") from None
        except OSError as error:
            raise CommandError(f"无法连接司法行政平台 {inbox}：{error}") from None
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        if result["status"] != 200:
            raise CommandError(f"司法行政平台拒收（HTTP {result['status']}）")


def sim_today() -> str:
    """Today in Beijing (the platform's ``TIME_ZONE``), as the organ dates its notice."""
    from django.utils import timezone

    return timezone.localdate().isoformat()
