"""律师执业许可 end to end through the public API, with the real applications and workflow apps:

a citizen applies → the automatic pre-review finds two problems → one correction notice lists both →
corrected → pre-review passes and the process starts by itself → the city accepts and reviews →
hands over → the province decides → delivered. Every step is on the public timeline, the city
stage deadline is 20 working days on the official calendar, and a suspension of N working days
moves it by exactly N.
"""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.tests.conftest import (
    BAD_CHECK_DIGIT_ID,
    _media,  # noqa: F401  (autouse: uploads in the test's own folder)
    lawyer_form,
)
from sifa.applications.tests.test_apply import _draft, _ready, _upload
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.organisations.models import Role
from sifa.testing import api_client, staff
from sifa.testing.cases import issue_pending_documents
from sifa.testing.clock import travel, working_days_after
from sifa.workflow.models import WorkItem, WorkItemStatus

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]
API = "/api/v1/applications"
_travel, _working_days_after = travel, working_days_after


def _staff(django_user_model, username, organisation, role):
    return api_client(staff(username, organisation, role))


def _command(client, number, name, **body):
    if name == "deliver":  # 送达 waits for the decision's documents, which the worker has issued by now
        issue_pending_documents(number)
    response = client.post(f"/api/v1/cases/{number}/commands/{name}/", body, format="json")
    assert response.status_code == 200, (name, response.json())
    return response.json()


def _stage_due(application: Application) -> dt.date:
    clock = ClockState.objects.get(
        subject_id=str(application.pk),
        purpose=ClockPurpose.STAGE,
        stage__startswith="1.",
        stopped_on__isnull=True,
    )
    return clock.due_on


def _apply_correct_and_pass(world, capture) -> tuple[str, str]:
    draft = _draft(world, id_number=BAD_CHECK_DIGIT_ID)
    _ready(world, draft, expired_first=True)
    with capture(execute=True):
        response = world["api"].post(f"{API}/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY="journey-1")
    assert response.status_code == 201, response.json()
    number, code = response.json()["number"], response.json()["query_code"]
    findings = world["clerk_api"].get(f"{API}/{number}/").json()["findings"]
    assert sorted(f["code"] for f in findings) == ["id_number.check_digit", "material.expired"]
    with capture(execute=True):
        notice = world["clerk_api"].post(f"{API}/{number}/correction-notice/", {}, format="json")
    assert notice.status_code == 201 and len(notice.json()["items"]) == 2
    expired = next(m for m in world["api"].get(f"{API}/{number}/").json()["materials"] if m["valid_until"])
    assert _upload(world["api"], number, expired["material"]).status_code == 201
    with capture(execute=True):
        corrected = world["api"].post(
            f"{API}/{number}/correction/", {"form_data": lawyer_form()}, format="json"
        )
    assert corrected.status_code == 200, corrected.json()
    return number, code


def test_lawyer_licence_from_application_to_delivery(
    world,
    calendar,
    django_user_model,
    django_capture_on_commit_callbacks,
):
    orgs = world["orgs"]
    city_reviewer = _staff(django_user_model, "hz-reviewer", orgs["hz"], Role.REVIEWER)
    province_decider = _staff(django_user_model, "zj-decider", orgs["zj"], Role.DECISION_MAKER)
    province_clerk = _staff(django_user_model, "zj-clerk", orgs["zj"], Role.WINDOW_CLERK)
    accepted_on = dt.date(2026, 9, 1)

    with _travel(dt.date(2026, 8, 31)):
        number, code = _apply_correct_and_pass(world, django_capture_on_commit_callbacks)
    application = Application.objects.get(number=number)
    assert application.status == ApplicationStatus.PENDING_ACCEPTANCE
    # The process started by itself: the city's window has the acceptance work item.
    [accept_item] = WorkItem.objects.filter(application=application, status=WorkItemStatus.OPEN)
    assert (accept_item.organisation, accept_item.role) == (orgs["hz"], Role.WINDOW_CLERK)

    with _travel(accepted_on):
        _command(world["clerk_api"], number, "accept")
        # 律师法 §6: the city reviews within 20 working days, on the official calendar.
        assert _stage_due(application) == _working_days_after(accepted_on, 20)
    with _travel(dt.date(2026, 9, 3)):
        _command(city_reviewer, number, "suspend", kind="expert_review", reason="组织专家评审")
    before = _working_days_after(accepted_on, 20)
    with _travel(_working_days_after(dt.date(2026, 9, 2), 4)):  # 3 working days not counted
        _command(city_reviewer, number, "resume")
    assert _stage_due(application) == _working_days_after(before, 3)
    with _travel(dt.date(2026, 9, 15)):
        _command(city_reviewer, number, "review", outcome="approve", opinion="符合条件，报省厅")
    with _travel(dt.date(2026, 9, 17)):
        body = _command(province_decider, number, "decide", decision="approve", opinion="准予许可")
        assert body["status"] == ApplicationStatus.APPROVED
    with _travel(dt.date(2026, 9, 18)):
        body = _command(province_clerk, number, "deliver", method="electronic")
    assert body["status"] == ApplicationStatus.DELIVERED

    track = APIClient().get(f"/api/v1/track/{number}/", {"code": code})
    assert track.status_code == 200
    events = [e["event"] for e in track.json()["timeline"]]
    for expected in [
        "submitted",
        "correction_requested",
        "corrected",
        "pre_review_passed",
        "accepted",
        "suspended",
        "resumed",
        "reviewed",
        "handed_over",
        "decided",
        "delivered",
    ]:
        assert expected in events, (expected, events)
    text = str(track.json())
    assert "hz-reviewer" not in text and "zj-decider" not in text
