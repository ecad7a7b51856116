"""`sifa load-demo`: demo citizens, a law firm, an agent with a mandate and staff at every level."""

from django.core.management.base import BaseCommand

from sifa.accounts.management.commands import _demo


class Command(BaseCommand):
    help = "创建演示账户（可重复运行）。需要先导入行政区划和机构树；仅限开发环境。"

    def handle(self, *args, **options) -> None:
        _demo.ensure_allowed()
        created = _demo.load()
        self.stdout.write(
            "演示数据已就绪：新建工作人员 {staff} 个、群众 {citizens} 个、企业 {companies} 个、委托 {mandates} 个。"
            "运行 `sifa demo-accounts` 查看登录信息。".format(**created)
        )
