"""``sifa lift-login-limits USERNAME``: lift an account's login back-off and lockouts (audited)."""

from django.core.management.base import BaseCommand, CommandError

from sifa.accounts.models import User
from sifa.accounts.services import backoff


class Command(BaseCommand):
    help = "解除账户的登录限制（跨地址退避与各地址锁定），记入审计日志"

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help="账户用户名（公民账户的用户名见 sifa demo-accounts 或管理后台）")

    def handle(self, *args, username: str, **options) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"未找到账户 {username}")
        backoff.lift(user, by=None)
        self.stdout.write(f"已解除 {username} 的登录限制")
