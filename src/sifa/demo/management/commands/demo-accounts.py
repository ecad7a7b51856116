"""`sifa demo-accounts [--json]`: the demo logins (username/phone, password, roles, TOTP secret), the
licences the demo cases issued to the holders and the mandates between demo accounts (listing in
``sifa.demo.listing``).

It lives in the top-layer demo app because it reads licences, which the accounts app may not import."""

import json

from django.core.management.base import BaseCommand

from sifa.accounts.management.commands import _demo
from sifa.demo.listing import listing


class Command(BaseCommand):
    help = "列出演示账户的登录信息和持有的电子证照（仅限开发环境）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(self, *args, **options) -> None:
        _demo.ensure_allowed()
        rows = listing()
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
            for licence in row["licences"]:
                self.stdout.write(f"\t持有 {licence['name']} {licence['number']}：{licence['identifier']}")
            for mandate in row["mandates"]:
                direction = "委托" if mandate["role"] == "principal" else "受托于"
                items = "、".join(mandate["items"])
                self.stdout.write(f"\t{direction} {mandate['other']}：{items}（至 {mandate['valid_until']}）")
