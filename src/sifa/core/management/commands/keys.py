"""`sifa keys list|rotate|export-public`: inspect and rotate the signing keys (docs/keys.md).

Only public material is ever printed; private keys stay in their 0600 files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sifa.core.errors import ServiceError
from sifa.core.signing import ALGORITHMS, KeyRing, default_keyring


class Command(BaseCommand):
    help = "签名密钥：list 列出，rotate 轮换（新建启用密钥，旧密钥转为仅验签），export-public 导出公钥"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--key-dir",
            type=Path,
            help="密钥目录（默认：SIFA_SIGNING_KEY_DIR，开发环境为 SIFA_VAR_DIR/keys/signing）",
        )
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="列出全部密钥及其状态和有效期")
        listing.add_argument("--json", action="store_true", help="以 JSON 输出（与 /api/v1/keys/ 相同）")
        rotate = actions.add_parser("rotate", help="生成新的启用密钥，并将当前密钥转为 retired")
        rotate.add_argument(
            "--algorithm",
            choices=sorted(ALGORITHMS.names()),
            help="新密钥的算法（默认 SIFA_SIGNING_ALGORITHM）",
        )
        export = actions.add_parser("export-public", help="导出公钥 PEM（可直接用于 openssl）")
        export.add_argument("--key-id", help="只导出这一个密钥（默认导出全部）")
        export.add_argument("--json", action="store_true", help="以 JSON 输出（与 /api/v1/keys/ 相同）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ring = self._keyring(options["key_dir"])
            getattr(self, "_" + options["action"].replace("-", "_"))(ring, options)
        except ServiceError as error:
            raise CommandError(f"[{error.code}] {error.message}") from None

    def _keyring(self, key_dir: Path | None) -> KeyRing:
        if key_dir is None:
            return default_keyring()
        return KeyRing(key_dir)

    def _list(self, ring: KeyRing, options: dict[str, Any]) -> None:
        keys = ring.keys()
        if options["json"]:
            self.stdout.write(json.dumps([k.as_dict() for k in keys], ensure_ascii=False, indent=2))
            return
        if not keys:
            self.stdout.write("（没有密钥。运行 `sifa keys rotate` 生成第一个密钥。）")
        for info in keys:
            until = info.valid_until.isoformat() if info.valid_until else "—"
            self.stdout.write(
                f"{info.key_id:<28} {info.algorithm:<13} {info.status:<8} {info.valid_from.isoformat()} → {until}"
            )

    def _rotate(self, ring: KeyRing, options: dict[str, Any]) -> None:
        info = ring.rotate(options["algorithm"])
        self.stdout.write(
            self.style.SUCCESS(f"新的启用密钥：{info.key_id}（{info.algorithm}）；旧密钥仍可验签")
        )

    def _export_public(self, ring: KeyRing, options: dict[str, Any]) -> None:
        keys = [k for k in ring.keys() if options["key_id"] in (None, k.key_id)]
        if options["key_id"] and not keys:
            raise CommandError(f"[signing.unknown_key] 未知的签名密钥标识：{options['key_id']}")
        if options["json"]:
            self.stdout.write(json.dumps([k.as_dict() for k in keys], ensure_ascii=False, indent=2))
            return
        for info in keys:
            self.stdout.write(f"# {info.key_id} {info.algorithm} {info.status}")
            self.stdout.write(info.public_key_pem, ending="")
