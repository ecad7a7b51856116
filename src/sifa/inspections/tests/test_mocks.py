"""Must show (issue 12, point 4): a mock application (模拟办件) is handled end to end by staff who
cannot tell, and changes no indicator and no public statistic; the inspector scores it once it
has ended."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sifa.applications import services as applications
from sifa.applications.models import Application, ApplicationStatus
from sifa.core.errors import ServiceError
from sifa.evaluation import selectors as evaluation_selectors
from sifa.evaluation import services as evaluation
from sifa.indicators.models import Contribution, MonthlyFigures, PendingDelta
from sifa.inspections import selectors
from sifa.inspections.models import MockApplication
from sifa.inspections.tests.conftest import TEST_NAME, client, mock_body
from sifa.licences.models import Licence
from sifa.notifications.models import Notification
from sifa.testing.clock import travel
from sifa.workflow.models import CaseDocument, CaseDocumentStatus, WorkItem, WorkItemStatus
from sifa.workflow.services import issue_owed, run_command, start_case

pytestmark = pytest.mark.django_db


def file(world, **kwargs):
    inspector = world["users"]["demo-inspector"]
    response = client(inspector).post(
        "/api/v1/inspections/mock-applications/", mock_body(world["orgs"], **kwargs), format="json"
    )
    return response


def _staff(world, item: WorkItem):
    from sifa.organisations.models import Membership

    members = Membership.objects.filter(user__is_demo=True, role=item.role).select_related(
        "user", "organisation"
    )
    for m in members:
        if item.kind in ("accept", "accept_decide", "deliver"):
            if m.organisation.path.startswith(
                item.organisation.path
            ) and item.application.scope_path.startswith(m.organisation.path):
                return m.user
        elif m.organisation_id == item.organisation_id:
            return m.user
    raise AssertionError(f"no demo staff for {item.kind}")


def handle(world, application: Application) -> list[str]:
    """Drive the case as staff would (accept → review → decide → deliver); return the case pages'
    and worklist's HTML seen on the way."""
    from django.test import Client

    from sifa.testing import verified_login

    pages = []
    for _ in range(20):
        application.refresh_from_db()
        for row in CaseDocument.objects.filter(application=application).exclude(
            status=CaseDocumentStatus.ISSUED
        ):
            issue_owed(row.pk)
        status = application.status
        if status == ApplicationStatus.SUBMITTED:
            assert applications.run_pre_review(application.pk) == []
            continue
        if status == ApplicationStatus.DELIVERED:
            return pages
        if status == ApplicationStatus.PENDING_ACCEPTANCE:
            start_case(application)
        item = (
            WorkItem.objects.filter(application=application, status=WorkItemStatus.OPEN)
            .select_related("organisation", "application")
            .order_by("id")
            .first()
        )
        user = _staff(world, item)
        browser = Client()
        verified_login(browser, user)
        for url in (f"/workbench/cases/{application.number}/", "/workbench/"):
            page = browser.get(url)
            assert page.status_code == 200, url
            pages.append(page.content.decode())
        assert application.number in pages[-2]
        if item.kind in ("accept", "accept_decide"):
            run_command(
                user,
                application.number,
                "accept",
                {"decision": "approve"} if item.kind == "accept_decide" else {},
            )
        elif item.kind == "review":
            run_command(
                user,
                application.number,
                "review",
                {"outcome": "approve", "opinion": "材料齐全，符合条件", "task": item.task_name},
            )
        elif item.kind == "decide":
            run_command(user, application.number, "decide", {"decision": "approve", "opinion": "准予许可"})
        elif item.kind == "deliver":
            run_command(user, application.number, "deliver", {"method": "electronic"})
    raise AssertionError("the mock application did not end")


def counted(world) -> tuple:
    """Everything the indicators and the public statistics hold or say for this month: the roll-up
    rows, deltas and contributions, and the public statistics of 杭州, 浙江 and the platform, read
    as the public reads them (once the month is over)."""
    month = timezone.localdate().replace(day=1)
    after = (month + dt.timedelta(days=32)).replace(day=5)
    rows = (
        sorted(tuple(r.values()) for r in MonthlyFigures.objects.values()),
        sorted(tuple(r.values()) for r in PendingDelta.objects.values()),
        sorted(tuple(r.values()) for r in Contribution.objects.values()),
    )
    with travel(after):
        public = []
        for organisation in (world["orgs"]["hz"].pk, world["orgs"]["zj"].pk, ""):
            answer = client().get(
                "/api/v1/public/statistics/", {"organisation": organisation, "period": f"{month:%Y-%m}"}
            )
            assert answer.status_code == 200, answer.content
            public.append(answer.json()["figures"])
        ratings = client().get("/api/v1/public/ratings/", {"organisation": world["orgs"]["hz"].pk}).json()
    return rows, public, ratings


def test_a_mock_application_is_handled_end_to_end_unnoticed_and_counts_nowhere(world):
    before = evaluation_selectors.public_statistics(organisation=world["orgs"]["hz"].pk)
    indicators_before = counted(world)
    filed = file(world)
    assert filed.status_code == 201, filed.content
    body = filed.json()
    assert body["ended"] is False and body["applicant_name"] == TEST_NAME
    application = Application.objects.get(number=body["number"])
    assert application.is_mock and application.channel == "online"
    assert application.applicant.kind == "person"  # the test identity's own citizen account

    # Staff see an ordinary case: not one page or list they open while handling says 模拟.
    staff_view = selectors.ended_mocks_for_staff(world["users"]["demo-city"])
    assert not staff_view.exists()
    pages = handle(world, application)
    assert pages and all("模拟" not in page and "is_mock" not in page for page in pages)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DELIVERED and application.closed_at is not None

    # No licence for a fictitious applicant: nothing in the register, the directory, verification.
    assert not Licence.objects.filter(application=application).exists()
    assert not Licence.objects.filter(holder=application.applicant).exists()
    # No staff notification reveals it either.
    assert not Notification.objects.filter(title__contains="模拟").exists()

    # Not rateable, and the public statistics did not move.
    with pytest.raises(ServiceError) as refused:
        evaluation.rate(
            application.applicant, subject="application", number=application.number, level="非常满意"
        )
    assert refused.value.code == "evaluation.mock_application"
    assert evaluation_selectors.public_statistics(organisation=world["orgs"]["hz"].pk) == before
    # Nor did any indicator: no roll-up row, delta or contribution, no public figure of any level.
    assert counted(world) == indicators_before

    # Ended: the organisation may now know it was a mock, and its score once scored.
    mock = MockApplication.objects.get(application=application)
    inspector = client(world["users"]["demo-inspector"])
    url = f"/api/v1/inspections/mock-applications/{mock.public_id}/score/"
    bad = inspector.post(url, {"scores": {"once_only_notice": 30}}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "validation_error"
    scores = {
        "once_only_notice": 25,
        "time_limit": 25,
        "documents": 18,
        "no_extra_materials": 15,
        "attitude": 12,
    }
    scored = inspector.post(
        url, {"scores": scores, "findings": "文书编号规范，服务用语可改进"}, format="json"
    )
    assert scored.status_code == 200, scored.content
    assert scored.json()["score_total"] == 95
    again = inspector.post(url, {"scores": scores}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "inspections.already_scored"
    seen = list(selectors.ended_mocks_for_staff(world["users"]["demo-city"]))
    assert [m.application.number for m in seen] == [application.number] and seen[0].score_total == 95


def test_only_inspectors_file_and_see_mock_applications(world):
    body = mock_body(world["orgs"])
    clerk = client(world["users"]["demo-city"])
    refused = clerk.post("/api/v1/inspections/mock-applications/", body, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "inspections.not_inspector"
    assert clerk.get("/api/v1/inspections/mock-applications/").status_code == 403
    # 上城区's inspector? No: the city inspector cannot reach 北京, the province's sees 杭州's.
    body["organisation"] = world["orgs"]["bj"].pk if "bj" in world["orgs"] else 999999
    outside = client(world["users"]["demo-city-inspector"]).post(
        "/api/v1/inspections/mock-applications/", body, format="json"
    )
    assert outside.status_code == 404


def test_filing_is_idempotent_and_a_real_persons_identity_is_refused(world):
    inspector = client(world["users"]["demo-inspector"])
    body = mock_body(world["orgs"])
    first = inspector.post(
        "/api/v1/inspections/mock-applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    again = inspector.post(
        "/api/v1/inspections/mock-applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["number"] == again.json()["number"]
    assert MockApplication.objects.count() == 1

    from sifa.accounts.management.commands import _demo

    real = mock_body(world["orgs"], id_no=_demo._id_number(_demo.CITIZEN))
    refused = inspector.post("/api/v1/inspections/mock-applications/", real, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "inspections.real_person"


def test_a_mock_with_missing_materials_is_refused_whole(world):
    refused = file(world, materials=[])
    assert refused.status_code == 400, refused.content
    assert not Application.objects.filter(is_mock=True).exists()
