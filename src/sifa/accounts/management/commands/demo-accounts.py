"""`sifa demo-accounts [--json]`: the demo logins (username/phone, password, roles, TOTP secret)."""

import json

from django.core.management.base import BaseCommand

from sifa.accounts.management.commands import _demo


class Command(BaseCommand):
    help = "列出演示账户的登录信息（仅限开发环境）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(self, *args, **options) -> None:
        _demo.ensure_allowed()
        rows = _demo.listing()
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            self.stdout.write("尚无演示账户，请先运行 `sifa load-demo`。")
            return
        for row in rows:
            roles = "、".join(row["roles"]) or "-"
            secret = row["totp_secret"] or "-"
            self.stdout.write(
                f"{row['username']}\t{row['password']}\t{row['kind']}\t{roles}\t"
                f"{row['organisation_code']} {row['organisation_name']}\tTOTP: {secret}"
            )
