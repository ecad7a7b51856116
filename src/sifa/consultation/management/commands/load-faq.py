"""`sifa load-faq`: the starter national knowledge base (常见问题, ``consultation/data/faq.json``).

Run by ``sifa run`` after ``load-laws`` (every answer cites articles of the library's built-in
sample) and ``load-catalogue`` (the related items); re-runnable: each entry is found again by its
stable key, and rewritten only when the file changed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from sifa.consultation.services import load_starter_faq


class Command(BaseCommand):
    help = "导入内置的全国常见问题（12348 法律咨询知识库）；可重复运行。"

    def handle(self, *args, **options) -> None:
        result = load_starter_faq()
        if options["verbosity"]:
            self.stdout.write(
                f"常见问题：新增 {len(result.created)} 条，更新 {len(result.updated)} 条，"
                f"未变 {len(result.unchanged)} 条"
            )
