"""`sifa load-demo-cases`: after `sifa load-demo`, run the demo lawyer's and law firm's applications
through the real workflow to delivered, so the demo holders have real e-licences, grant the law
firm its client's mandate, put the demo 司法所's 人民调解员名册 in place and record the demo 12348
consultations (open, answered, escalated) through the consultation services, and file, handle and
score the demo inspector's mock application (模拟办件) (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from sifa.demo.cases import load_cases
from sifa.demo.consultations import ensure_consultations
from sifa.demo.inspections import load_mock
from sifa.demo.mandates import load_mandates
from sifa.demo.mediation import ensure_roster
from sifa.licences.models import Licence


class Command(BaseCommand):
    help = "用真实的办理流程为演示律师和律师事务所办结执业许可并颁发电子证照（可重复运行）。"

    def handle(self, *args, **options) -> None:
        for key, application in load_cases().items():
            licence = Licence.objects.filter(application=application).first()
            issued = f"{licence.name} {licence.identifier}" if licence else "（无电子证照）"
            self.stdout.write(f"{key}: 办件 {application.number} {application.status_label}，{issued}")
        mandate = load_mandates()
        self.stdout.write(
            f"委托代办：{mandate.principal.display_name} 委托 {mandate.agent.display_name}（至 {mandate.valid_until}）"
        )
        mediators = ensure_roster()
        self.stdout.write(f"人民调解员名册：{'、'.join(m.name for m in mediators)}")
        for ticket in ensure_consultations():
            state = ticket.get_status_display() + ("，已逾期升级" if ticket.escalated_at else "")
            self.stdout.write(
                f"法律咨询：{ticket.number} {ticket.title}（{ticket.organisation.name}，{state}）"
            )
        mock = load_mock()
        self.stdout.write(
            f"模拟办件：{mock.application.number} {mock.application.status_label}，督查评分 {mock.score_total} 分"
        )
        self.stdout.write(
            self.style.SUCCESS("演示办件已就绪：`sifa demo-accounts --json` 列出持证人及证照标识")
        )
