"""`sifa load-licence-types`: write the licence types defined by 司法部 (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sifa.core.errors import ServiceError
from sifa.licences.services import load_licence_types


class Command(BaseCommand):
    help = "载入（或更新）电子证照类型：类型代码 = 司法部统一社会信用代码 + 3位顺序号。可重复运行。"

    def handle(self, *args, **options) -> None:
        try:
            created, updated = load_licence_types()
        except ServiceError as error:
            raise CommandError(f"[{error.code}] {error.message}") from None
        self.stdout.write(self.style.SUCCESS(f"证照类型：新增 {created} 个，更新 {updated} 个"))
