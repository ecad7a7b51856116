"""`sifa load-laws`: the built-in sample of the law library (the statutes the catalogue cites).

Run by ``sifa run`` with the other loaders; idempotent (unchanged files are skipped). The full
library is ``sifa import-laws`` (docs/laws.md).
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "导入法律法规库内置样本（事项目录引用的法规）；完整导入请用 sifa import-laws。"

    def handle(self, *args, **options) -> None:
        call_command(
            "import-laws",
            sample=True,
            verbosity=0 if options["verbosity"] < 2 else 1,
            stdout=self.stdout,
            stderr=self.stderr,
        )
