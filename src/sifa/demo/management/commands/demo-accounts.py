"""`sifa demo-accounts [--json]`: the demo logins (username/phone, password, roles, TOTP secret), the
licences the demo cases issued to the holders and the mandates between demo accounts (listing in
``sifa.demo.listing``).

It lives in the top-layer demo app because it reads licences, which the accounts app may not import."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections

from sifa.accounts.management.commands import _demo
from sifa.demo.listing import listing

NO_DATABASE = (
    "尚未建立数据库{where}：请先运行 `make run`（迁移数据库并加载演示数据），"
    "再另开一个终端运行 `.venv/bin/sifa demo-accounts`"
)


def require_database() -> None:
    """A clear Chinese message instead of a traceback when there is no database yet (and no empty
    SQLite file left behind by asking)."""
    from sifa.accounts.models import User

    connection = connections["default"]
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor == "sqlite" and name != ":memory:" and "mode=memory" not in name:
        if not Path(name).exists():
            raise CommandError(NO_DATABASE.format(where=f"（{name} 不存在）"))
    try:
        tables = connection.introspection.table_names()
    except DatabaseError as error:
        raise CommandError(NO_DATABASE.format(where=f"（无法连接：{error}）")) from None
    if User._meta.db_table not in tables:
        raise CommandError(NO_DATABASE.format(where="（数据库中还没有平台的数据表）"))


class Command(BaseCommand):
    help = "列出演示账户的登录信息和持有的电子证照（仅限开发环境）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(self, *args, **options) -> None:
        _demo.ensure_allowed()
        require_database()
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
                f"{row['organisation_code'] or '-'} {row['organisation_name']}\tTOTP: {secret}"
            )
            for licence in row["licences"]:
                self.stdout.write(f"\t持有 {licence['name']} {licence['number']}：{licence['identifier']}")
            for mandate in row["mandates"]:
                direction = "委托" if mandate["role"] == "principal" else "受托于"
                items = "、".join(mandate["items"])
                self.stdout.write(f"\t{direction} {mandate['other']}：{items}（至 {mandate['valid_until']}）")
