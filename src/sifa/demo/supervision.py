"""Demo 好差评 and 投诉举报, made through the real evaluation and complaint services.

* 陈明 rates his delivered 律师执业许可 case 非常不满意 with a comment: a rectification opens at
  杭州市司法局 with its due date on the working-day calendar; ``demo-city-supervisor`` is told, and
  the city's staff (``demo-city``) call him back and report.
* A window visit at 杭州市司法局 rated 不满意 on a paper 评价卡 a month ago, entered now by
  ``demo-city`` (the city's window) through 离线补录 (``evaluation.enter_card``): the rating
  carries the card's date, so its rectification fell due long ago; nobody reported in time, so the
  scheduler's escalation sends it to 浙江省司法厅, where ``demo-province`` (a supervisor) finds it
  under 逾期升级. Nothing is back-dated: the audit events are written at load time, the card's
  date is in their detail.
* A named complaint by 陈明 about 杭州市司法局's window, accepted by ``demo-city-supervisor`` and
  put under 督办 by ``demo-province`` (report required); an anonymous report (举报) about a staff
  member's conduct at 西湖区司法局, routed to 杭州市司法局 (the county has no supervisor) and
  accepted — the loader prints its tracking code.

Idempotent: the rating is made once per case, the card entered once (found by its number), the
complaints have fixed idempotency keys and each step runs only from the state before it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from sifa.accounts.management.commands import _demo
from sifa.accounts.models import User
from sifa.applications.models import Application
from sifa.complaints import services as complaints
from sifa.complaints.models import Complaint, Status
from sifa.evaluation import services as evaluation
from sifa.evaluation.models import EntrySource, Rating, Rectification, SubjectKind

CASE_COMMENT = "同一份材料要求补正了两次，窗口说法和网上办事指南不一致，多跑了一趟。"
VISIT_COMMENT = "窗口只开了一个，排队一个多小时，工作人员态度冷淡。（演示）"
VISIT_DAYS_AGO = 30
VISIT_CARD = "DEMO-HZ-0001"
COMPLAINT_KEY = "demo-complaint-named"
REPORT_KEY = "demo-complaint-anonymous"
COMPLAINT_TEXT = (
    "2026年我到杭州市司法局窗口办理律师执业许可，工作人员让我回去补打一份已经在网上提交过的证明，"
    "前后跑了两次。希望规范一次性告知，不要让群众重复提交材料。"
)
REPORT_TEXT = (
    "西湖区司法局窗口有工作人员在办理业务时向办事群众推荐收费的代办中介，说找中介可以快一点。"
    "请核查是否存在违规推荐中介的行为。"
)


@dataclass(frozen=True)
class Supervision:
    case_rectification: Rectification
    escalated_rectification: Rectification
    complaint: Complaint
    report: Complaint
    report_code: str


def _case_rating(citizen: User, case: Application) -> Rectification:
    rating = Rating.objects.filter(
        subject_kind=SubjectKind.APPLICATION, number=case.number, rater=citizen
    ).first()
    if rating is None:
        rating = evaluation.rate(
            citizen,
            subject="application",
            number=case.number,
            level="very_dissatisfied",
            comment=CASE_COMMENT,
            channel="web",
        )
    return rating.rectification


def _overdue_visit(city_window: User) -> Rectification:
    rating = Rating.objects.filter(entry_source=EntrySource.PAPER, card_number=VISIT_CARD).first()
    if rating is None:
        rating = evaluation.enter_card(
            city_window,
            collected_on=timezone.localdate() - dt.timedelta(days=VISIT_DAYS_AGO),
            source=EntrySource.PAPER,
            card_number=VISIT_CARD,
            level="dissatisfied",
            comment=VISIT_COMMENT,
        )
    evaluation.escalate_overdue()
    return Rectification.objects.get(rating=rating)


def _complaint(citizen: User, city, city_supervisor: User, province_supervisor: User) -> Complaint:
    complaint = complaints.submit(
        citizen,
        kind="complaint",
        subject_kind="service",
        organisation=city.pk,
        text=COMPLAINT_TEXT,
        wants_sms=False,
        idempotency_key=COMPLAINT_KEY,
    ).complaint
    if complaint.status == Status.SUBMITTED:
        complaint = complaints.accept(city_supervisor, complaint.number)
    if not complaint.supervisions.exists():
        complaints.supervise(
            province_supervisor,
            complaint.number,
            instruction="请核实窗口是否要求重复提交材料，整改一次性告知，并于期限前报告办理情况。",
            deadline=timezone.localdate() + dt.timedelta(days=10),
            requires_report=True,
        )
    complaint.refresh_from_db()
    return complaint


def _report(county, city_supervisor: User) -> tuple[Complaint, str]:
    done = complaints.submit(
        None,
        kind="report",
        subject_kind="conduct",
        organisation=county.pk,
        text=REPORT_TEXT,
        anonymous=True,
        idempotency_key=REPORT_KEY,
    )
    report = done.complaint
    if report.status == Status.SUBMITTED:
        report = complaints.accept(city_supervisor, report.number)
    return report, done.tracking_code


def ensure_supervision(cases: dict[str, Application]) -> Supervision:
    """The demo's 差评, escalated rectification, complaint under 督办 and anonymous report."""
    _demo.ensure_allowed()
    tree = _demo.find_tree()
    citizen = _demo._person(_demo.CITIZEN)
    city_window = User.objects.get(username="demo-city")
    city_supervisor = User.objects.get(username="demo-city-supervisor")
    province_supervisor = User.objects.get(username="demo-province")
    complaint = _complaint(citizen, tree.city, city_supervisor, province_supervisor)
    report, code = _report(tree.county, city_supervisor)
    return Supervision(
        case_rectification=_case_rating(citizen, cases["lawyer"]),
        escalated_rectification=_overdue_visit(city_window),
        complaint=complaint,
        report=report,
        report_code=code,
    )
