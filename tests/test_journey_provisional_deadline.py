"""Clocks that never go blank, end to end (issue 9, "Must show").

December 2026, no official 2027 data: a 律师执业许可 case accepted on 2026-12-07 — the city's review
stage runs 20 working days (律师法 §6), the legal limit 30 — gets due dates on the provisional 2027
calendar, marked 暂定 in the worklist, on the case page, on /track/, in my space and in the APIs.
The ministry's calendar administrator then enters the State Council's 2027 notice, which makes
Saturday 2027-01-02 a working day: the preview lists the case, publishing moves both due dates one
working day earlier, the applicant and the reviewer are told, and 暂定 is gone everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.tests.conftest import _media, cat, loaded, world  # noqa: F401  (fixtures)
from sifa.applications.tests.test_apply import _draft, _ready
from sifa.deadlines import db_calendar
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.deadlines.services import seed_calendar
from sifa.notifications.models import Notification
from sifa.organisations.models import Role
from sifa.testing.notices import NOTICE_2027_FORM
from sifa.workbench.tests import world as W
from sifa.workflow.models import WorkItem, WorkItemStatus

pytestmark = [pytest.mark.django_db]
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
RECEIVED = dt.date(2026, 12, 7)
NOTICE = NOTICE_2027_FORM


@pytest.fixture
def december():
    seed_calendar(2025, 2026)  # official data ends with 2026, as in chinese-calendar 1.11
    db_calendar.forget()
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, tzinfo=SHANGHAI), tick=False):
        yield
    db_calendar.forget()


def _clock(application: Application, purpose: str) -> ClockState:
    return ClockState.objects.get(subject_id=str(application.pk), purpose=purpose, stopped_on__isnull=True)


def _web(user) -> Client:
    client = Client()
    W.verified_login(client, user)
    return client


def _pages(number: str, code: str, reviewer: Client, citizen: Client) -> dict[str, str]:
    return {
        "worklist": reviewer.get("/workbench/").content.decode(),
        "case": reviewer.get(f"/workbench/cases/{number}/").content.decode(),
        "track": Client().post("/track/", {"number": number, "code": code}).content.decode(),
        "my space": citizen.get(f"/me/applications/{number}/").content.decode(),
    }


def _api(number: str, code: str, reviewer_api: APIClient, citizen_api: APIClient) -> dict[str, list[dict]]:
    case = reviewer_api.get(f"/api/v1/cases/{number}/").json()
    return {
        "tracking": [APIClient().get(f"/api/v1/track/{number}/", {"code": code}).json()["deadline"]],
        "application": [citizen_api.get(f"/api/v1/applications/{number}/").json()["deadline"]],
        "case clocks": [c for c in case["clocks"] if c["stopped_on"] is None],
        "case work items": [i for i in case["work_items"] if i["status"] == "open" and i["due_on"]],
        "worklist": reviewer_api.get("/api/v1/workitems/").json()["results"],
    }


def test_a_provisional_2027_due_date_is_marked_then_moved_by_the_official_notice(
    world,  # noqa: F811
    december,
    django_capture_on_commit_callbacks,
):
    orgs = world["orgs"]
    reviewer = W.staff("hz-reviewer", (orgs["hz"], Role.REVIEWER))
    calendar_admin = W.staff("moj-calendar", (orgs["ministry"], Role.CALENDAR_ADMIN))
    reviewer_api = APIClient()
    reviewer_api.force_authenticate(reviewer)
    citizen_web = Client()
    citizen_web.force_login(world["citizen"])

    # A citizen applies; the city accepts on 2026-12-07.
    draft = _draft(world)
    _ready(world, draft)
    with django_capture_on_commit_callbacks(execute=True):
        submitted = world["api"].post(
            f"/api/v1/applications/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY="p-1"
        )
    assert submitted.status_code == 201, submitted.json()
    number, code = submitted.json()["number"], submitted.json()["query_code"]
    application = Application.objects.get(number=number)
    assert application.status == ApplicationStatus.PENDING_ACCEPTANCE
    with django_capture_on_commit_callbacks(execute=True):
        accepted = world["clerk_api"].post(f"/api/v1/cases/{number}/commands/accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.json()

    # 18 working days left in December; 1/1 is 元旦; on the provisional 2027 calendar the 19th
    # and 20th working days are Monday 1/4 and Tuesday 1/5 (no 调休 is assumed).
    stage = ClockState.objects.get(
        subject_id=str(application.pk), purpose=ClockPurpose.STAGE, stopped_on__isnull=True
    )
    legal = _clock(application, ClockPurpose.LEGAL)
    assert (stage.started_on, stage.limit_value, stage.due_on, stage.provisional) == (
        RECEIVED,
        20,
        dt.date(2027, 1, 5),
        True,
    )
    assert (legal.due_on, legal.provisional) == (dt.date(2027, 1, 19), True)
    review = WorkItem.objects.get(application=application, status=WorkItemStatus.OPEN, clock=stage)
    assert review.due_on == dt.date(2027, 1, 5)
    accepted_message = Notification.objects.get(recipient=world["citizen"], event="application.accepted")
    assert "2027-01-19（暂定）" in accepted_message.body

    pages = _pages(number, code, _web(reviewer), citizen_web)
    assert '2027-01-05 <span class="wb-tag wb-tag--provisional">暂定</span>' in pages["worklist"]
    assert '2027-01-05 <span class="wb-tag wb-tag--provisional">暂定</span>' in pages["case"]
    assert '2027-01-19 <span class="wb-tag wb-tag--provisional">暂定</span>' in pages["case"]
    for name in ("track", "my space"):
        assert "2027年1月19日前（暂定）" in re.sub(r"<[^>]+>", "", pages[name]), name
    for name, html in pages.items():
        assert "未设定" not in html and "日历数据缺失" not in html and "：前" not in html, name

    answers = _api(number, code, reviewer_api, world["api"])
    for name, deadlines in answers.items():
        assert deadlines, name
        for deadline in deadlines:
            assert deadline["due_on"] is not None and deadline["provisional"] is True, (name, deadline)
    assert answers["tracking"][0]["due_on"] == "2027-01-19"

    # The ministry's calendar administrator enters the State Council's notice.
    admin = _web(calendar_admin)
    assert "2027年放假安排尚未录入" in admin.get("/workbench/").content.decode()
    saved = admin.post("/workbench/calendar/notices/new/", NOTICE)
    assert saved.status_code == 302, saved.content.decode()
    preview = admin.get(saved["Location"]).content.decode()
    assert number in preview
    assert "环节时限：" in preview and "法定办结时限" in preview
    assert "2027-01-04" in preview and "2027-01-18" in preview
    assert stage.due_on == ClockState.objects.get(pk=stage.pk).due_on  # the preview changed nothing

    with django_capture_on_commit_callbacks(execute=True):
        published = admin.post(saved["Location"] + "publish/", {"confirmed": "1"})
    assert published.status_code == 302

    stage.refresh_from_db()
    legal.refresh_from_db()
    review.refresh_from_db()
    assert (stage.due_on, stage.provisional) == (dt.date(2027, 1, 4), False)
    assert (legal.due_on, legal.provisional) == (dt.date(2027, 1, 18), False)
    assert review.due_on == dt.date(2027, 1, 4)

    told = Notification.objects.get(recipient=world["citizen"], event="deadline.moved")
    assert "由2027-01-19调整为2027-01-18" in told.body and "国办发明电〔2026〕12号" in told.body
    staff_told = Notification.objects.get(recipient=reviewer, event="deadline.moved_staff")
    assert f"{number} " in staff_told.body and "2027-01-05 → 2027-01-04" in staff_told.body

    pages = _pages(number, code, _web(reviewer), citizen_web)
    assert "2027-01-04" in pages["worklist"] and "2027-01-18" in pages["case"]
    for name in ("track", "my space"):
        assert "2027年1月18日前，剩余" in re.sub(r"<[^>]+>", "", pages[name]), name
    for name, html in pages.items():
        assert "暂定" not in html, name
    for name, deadlines in _api(number, code, reviewer_api, world["api"]).items():
        for deadline in deadlines:
            assert deadline["provisional"] is False, (name, deadline)
    assert "工作日历提醒" not in admin.get("/workbench/").content.decode()


def test_clocks_stored_empty_before_the_provisional_calendar_are_filled_by_the_refresh(
    world,  # noqa: F811
    december,
    django_capture_on_commit_callbacks,
):
    """Cases accepted while 2027 had no data kept an empty due date (未设定, 日历数据缺失):
    ``sifa refresh-workitems`` fills clocks and work items in, marked 暂定."""
    draft = _draft(world)
    _ready(world, draft)
    with django_capture_on_commit_callbacks(execute=True):
        number = (
            world["api"]
            .post(f"/api/v1/applications/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY="p-2")
            .json()["number"]
        )
    with django_capture_on_commit_callbacks(execute=True):
        accepted = world["clerk_api"].post(f"/api/v1/cases/{number}/commands/accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.json()
    application = Application.objects.get(number=number)
    ClockState.objects.filter(subject_id=str(application.pk)).update(
        due_on=None, working_days_left=None, provisional=False
    )
    WorkItem.objects.filter(application=application).update(due_on=None)
    reviewer = W.staff("hz-reviewer", (world["orgs"]["hz"], Role.REVIEWER))
    assert "日历数据缺失，暂无法计算" in _web(reviewer).get("/workbench/").content.decode()

    call_command("refresh-workitems")

    legal = _clock(application, ClockPurpose.LEGAL)
    assert (legal.due_on, legal.provisional) == (dt.date(2027, 1, 19), True)
    review = WorkItem.objects.get(application=application, status=WorkItemStatus.OPEN, clock__purpose="stage")
    assert review.due_on == dt.date(2027, 1, 5)
    html = _web(reviewer).get("/workbench/").content.decode()
    assert '2027-01-05 <span class="wb-tag wb-tag--provisional">暂定</span>' in html
