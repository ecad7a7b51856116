"""The demo 督查: the mock application (模拟办件) filed by ``demo-inspector`` as the test identity
李测试 for 律师执业许可（专职律师执业）at 杭州市司法局, handled by the demo staff through the same
workflow commands as the other demo cases (:mod:`sifa.demo.cases`), then scored by the inspector;
and the random check (随机抽查) of 杭州市司法局's closed cases by ``demo-city-inspector``
(:func:`load_check`).

Idempotent: a second run finds the inspector's mock and takes it on from where it is, and finds
the check by its idempotency key.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone

from sifa.accounts.management.commands import _demo
from sifa.accounts.models import User
from sifa.applications.models import ApplicationStatus
from sifa.applications.services.draft_materials import applicable_materials
from sifa.catalogue.models import ImplementationEntry
from sifa.core.identifiers import id_number_check_digit
from sifa.demo.cases import LAWYER_FULL_TIME, MAX_STEPS, DemoCase, _issue_documents, _step, demo_pdf
from sifa.inspections import services as inspections
from sifa.inspections.models import MockApplication, RandomCheck, Result, Severity

TEST_NAME = "李测试"
TEST_ID_FIRST17 = "33010619900307123"
TEST_PHONE = "13911112222"
SCORES = {"once_only_notice": 25, "time_limit": 25, "documents": 18, "no_extra_materials": 15, "attitude": 12}


def test_id_number() -> str:
    return TEST_ID_FIRST17 + id_number_check_digit(TEST_ID_FIRST17)


def _inspector() -> User:
    user = User.objects.filter(username="demo-inspector", is_demo=True).first()
    if user is None:
        raise CommandError("尚无演示督查人员，请先运行 `sifa load-demo`")
    return user


def _file(inspector: User, city) -> MockApplication:
    entry = (
        ImplementationEntry.objects.select_related("version")
        .filter(item__basic_code=LAWYER_FULL_TIME, organisation=city)
        .order_by("-id")
        .first()
    )
    if entry is None:
        raise CommandError(
            f"目录中没有 {city.name} 的事项 {LAWYER_FULL_TIME}，请先运行 `sifa load-catalogue`"
        )
    materials = [
        inspections.Material(m.pk, "材料.pdf", demo_pdf(f"material {m.pk}"))
        for m in applicable_materials(entry.version, {})
    ]
    return inspections.file_mock(
        inspector,
        organisation=city.pk,
        item=LAWYER_FULL_TIME,
        applicant={"name": TEST_NAME, "id_number": test_id_number(), "phone": TEST_PHONE},
        form_data={
            "applicant_name": TEST_NAME,
            "id_number": test_id_number(),
            "phone": TEST_PHONE,
            "address": "杭州市西湖区北山街道2号",
            "law_firm": _demo.COMPANY["name"],
            "qualification_number": "A20191234568",
        },
        materials=materials,
        idempotency_key="demo-mock-application",
    ).mock


def load_mock() -> MockApplication:
    """The demo mock application, delivered and scored (safe to run again)."""
    _demo.ensure_allowed()
    city = _demo.find_tree().city
    inspector = _inspector()
    mock = MockApplication.objects.filter(inspector=inspector).select_related("application").first()
    if mock is None:
        mock = _file(inspector, city)
    application = mock.application
    case = DemoCase("mock", LAWYER_FULL_TIME, application.applicant, application.form_data, {})
    for _ in range(MAX_STEPS):
        application.refresh_from_db()
        if application.status != ApplicationStatus.SUBMITTED:
            _issue_documents(application)
        if not _step(application, case):
            break
    else:
        raise CommandError(f"演示模拟办件 {application.number} 未能在 {MAX_STEPS} 步内办结")
    mock.refresh_from_db()
    if mock.scored_at is None:
        mock = inspections.score_mock(
            inspector,
            mock.public_id,
            scores=SCORES,
            findings="文书编号、签章规范；电话咨询时答复较简略，建议改进服务用语",
        )
    return mock


# --- 随机抽查: a seeded check of 杭州市司法局's closed cases, one finding recorded --------------------

CHECK_KEY = "demo-random-check"
CHECK_SIZE = 3
LOOK_BACK_MONTHS = 12
FINDING = "不予受理决定书未载明申请人不服决定的救济途径和期限（演示）"
CASE_SCORES = {"legal_basis": 25, "materials": 20, "time_limit": 25, "documents": 12, "file": 10}


def _finished_months(today: dt.date, count: int) -> list[str]:
    """The months before this one, the most recent first (a check draws only a month that is over)."""
    months, day = [], today.replace(day=1)
    for _ in range(count):
        day = (day - dt.timedelta(days=1)).replace(day=1)
        months.append(f"{day:%Y-%m}")
    return months


def load_check() -> RandomCheck | None:
    """The demo random check: ``demo-city-inspector`` draws, with the seed ``demo-<month>``, from
    the cases of 杭州市司法局's subtree closed in the most recent finished month that has any (up to
    a year back) — on a fresh demo last month's, made by :func:`sifa.demo.history.load_history` —
    assigns them to itself and records one finding (存在问题, 一般) on a drawn 不予受理 case (the
    first drawn case when none was drawn), which the indicators count under 随机抽查. None while no
    finished month has a closed case (a month still running is not drawn, docs/inspections.md).
    Idempotent: the check is found by its idempotency key, and the finding is recorded once."""
    _demo.ensure_allowed()
    city = _demo.find_tree().city
    inspector = User.objects.filter(username="demo-city-inspector", is_demo=True).first()
    if inspector is None:
        raise CommandError("尚无演示督查人员，请先运行 `sifa load-demo`")
    check = RandomCheck.objects.filter(
        idempotency_owner=f"user:{inspector.pk}", idempotency_key__startswith=f"{CHECK_KEY}-"
    ).first()
    if check is None:
        period = next(
            (
                p
                for p in _finished_months(timezone.localdate(), LOOK_BACK_MONTHS)
                if inspections.candidates(city, p)
            ),
            None,
        )
        if period is None:
            return None
        check = inspections.draw(
            inspector,
            organisation=city.pk,
            period=period,
            size=CHECK_SIZE,
            seed=f"demo-{period}",
            idempotency_key=f"{CHECK_KEY}-{period}",
        ).check
    drawn = list(check.cases.select_related("application").order_by("position"))
    # The finding is about a 不予受理决定书: on a refused case when one was drawn, else the first.
    refused = [c for c in drawn if c.application.status == ApplicationStatus.NOT_ACCEPTED]
    first = (refused or drawn or [None])[0]
    if first is not None and not any(c.checked_at for c in drawn):
        inspections.record_finding(
            inspector,
            check.public_id,
            first.application.number,
            result=Result.ISSUES,
            severity=Severity.MINOR,
            findings=FINDING,
            scores=CASE_SCORES,
        )
    check.refresh_from_db()
    return check
