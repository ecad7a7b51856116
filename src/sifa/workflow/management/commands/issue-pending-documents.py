"""`sifa issue-pending-documents`: issue the notices, decision letters and e-licences whose task failed
or was lost (run by `sifa scheduler`; safe with several workers: each row is locked while issued)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from sifa.workflow.models import CaseDocumentStatus
from sifa.workflow.services import due_for_retry, issue_owed


class Command(BaseCommand):
    help = "补发出具失败或遗漏的受理通知书、决定书和电子证照（可多进程并行执行）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--limit", type=int, default=100, help="本次最多处理的条数（默认 100）")

    def handle(self, *args, limit: int, **options) -> None:
        issued = failed = 0
        for pk in list(due_for_retry().values_list("pk", flat=True)[: max(limit, 1)]):
            row = issue_owed(pk)
            if row is not None and row.status == CaseDocumentStatus.ISSUED:
                issued += 1
            elif row is not None:
                failed += 1
                self.stderr.write(f"办件文书 {pk}（{row.get_kind_display()}）仍未出具：{row.last_error}")
        self.stdout.write(self.style.SUCCESS(f"已出具 {issued} 份；仍失败 {failed} 份"))
