"""`sifa load-demo-cases`: after `sifa load-demo`, run the demo lawyer's and law firm's applications
through the real workflow to delivered, so the demo holders have real e-licences, grant the law
firm its client's mandate, put the demo 司法所's 人民调解员名册 in place and record the demo 12348
consultations (open, answered, escalated) through the consultation services, the 好差评 and
投诉举报 of the demo (a 差评 with its rectification, an escalated one, a complaint under 督办 and an
anonymous report) through the evaluation and complaint services, publish the demo 政务公开
notices through the disclosure services, file, handle and score the demo inspector's mock
application (模拟办件), and draw the demo random check (随机抽查) of 杭州市司法局's cases closed in
the last finished month that has any, with one finding (idempotent). First of all, last month's
walk-in cases at 杭州市司法局 (``sifa.demo.history``), run through the same services under a
controlled clock, so a fresh demo has a finished month to draw."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from sifa.demo.cases import load_cases
from sifa.demo.consultations import ensure_consultations
from sifa.demo.disclosure import ensure_notices
from sifa.demo.history import load_history
from sifa.demo.inspections import load_check, load_mock
from sifa.demo.lawyers import ensure_senior_lawyer
from sifa.demo.mandates import load_mandates
from sifa.demo.mediation import ensure_roster
from sifa.demo.supervision import ensure_supervision
from sifa.licences.models import Licence


class Command(BaseCommand):
    help = "用真实的办理流程为演示律师和律师事务所办结执业许可并颁发电子证照（可重复运行）。"

    def handle(self, *args, **options) -> None:
        # Before today's cases: the seals issued for last month's moments serve today's too.
        history = load_history()
        if history.skipped:
            self.stdout.write(f"上月演示办件：未补办（{history.skipped}，早于 {history.month} 的办理日期）")
        for application in history.cases:
            self.stdout.write(
                f"上月演示办件：{application.number} {application.status_label}"
                f"（{timezone.localtime(application.closed_at):%Y-%m-%d} 办结）"
                if application.closed_at
                else f"上月演示办件：{application.number} {application.status_label}"
            )
        cases = load_cases()
        for key, application in cases.items():
            licence = Licence.objects.filter(application=application).first()
            issued = f"{licence.name} {licence.identifier}" if licence else "（无电子证照）"
            self.stdout.write(f"{key}: 办件 {application.number} {application.status_label}，{issued}")
        senior = ensure_senior_lawyer()
        self.stdout.write(
            f"律师执业证（导入，{senior.issue_date} 颁发）：{senior.holder_name} 执业证号 {senior.number}"
            "（通知辩护中可能被判处无期徒刑、死刑的案件可指派，法律援助法第二十六条）"
        )
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
        shown = ensure_supervision(cases)
        for rectification in (shown.case_rectification, shown.escalated_rectification):
            escalated = (
                f"，已逾期升级至{rectification.escalated_to.name}" if rectification.escalated_to else ""
            )
            self.stdout.write(
                f"差评整改：{rectification.rating.number}（{rectification.organisation.name}，"
                f"整改期限 {rectification.due_date}{escalated}）"
            )
        self.stdout.write(
            f"投诉：{shown.complaint.number}（{shown.complaint.handler.name}，{shown.complaint.get_status_display()}，上级督办）"
        )
        code = f"，查询码 {shown.report_code}" if shown.report_code else ""
        self.stdout.write(
            f"匿名举报：{shown.report.number}（{shown.report.handler.name}，{shown.report.get_status_display()}{code}）"
        )
        for notice in ensure_notices():
            self.stdout.write(
                f"政务公开：{notice.organisation.name}《{notice.title}》（{notice.get_status_display()}）"
            )
        mock = load_mock()
        self.stdout.write(
            f"模拟办件：{mock.application.number} {mock.application.status_label}，督查评分 {mock.score_total} 分"
        )
        check = load_check()
        if check is None:
            self.stdout.write(
                "随机抽查：已结束的月份中尚无杭州市司法局的办结件（上月演示办件未补办时，本月办结的演示办件在下月可抽查，届时再运行本命令）"
            )
        else:
            self.stdout.write(
                f"随机抽查：{check.organisation.name} {check.period} 办结件，抽取{check.cases.count()}件"
                f"（候选{check.candidate_count}件，随机种子 {check.seed}），已记录检查结论"
                f"{check.cases.filter(checked_at__isnull=False).count()}件"
            )
        self.stdout.write(
            self.style.SUCCESS("演示办件已就绪：`sifa demo-accounts --json` 列出持证人及证照标识")
        )
