"""A complaint's 答复期限 moved by a corrected day of the working calendar, in the workbench: the
county's page shows the new date and the 答复期限调整 step with its reason; the city's page shows
its withdrawn overdue mark (撤销逾期提示, 期限因工作日历调整而顺延), linked from the message in its
inbox; the overdue list no longer holds it."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from sifa.catalogue.tests.conftest import cat, loaded  # noqa: F401  (fixtures)
from sifa.complaints.models import Complaint
from sifa.complaints.services.escalation import escalate_overdue
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.notifications.models import Notification
from sifa.organisations.models import Role
from sifa.testing.calendar_change import correct_a_day
from sifa.testing.clock import travel
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def official_2026(db):
    seed_calendar(2025, 2026)
    db_calendar.forget()
    yield
    db_calendar.forget()


def test_the_moved_date_and_the_withdrawn_overdue_mark_show_in_the_workbench(login, cat):  # noqa: F811
    orgs = cat["orgs"]
    county = W.staff("xh-supervisor", (orgs["xh"], Role.SUPERVISOR))
    city = W.staff("hz-supervisor", (orgs["hz"], Role.SUPERVISOR))
    body = {
        "kind": "complaint",
        "subject_kind": "service",
        "organisation": orgs["xh_town"].pk,
        "text": "窗口工作人员让我来回跑了三次，每次要求的材料都不一样，请核查。",
        "anonymous": True,
    }
    with travel(dt.date(2026, 11, 2)):
        response = APIClient().post("/api/v1/complaints/", body, format="json")
    assert response.status_code == 201, response.content
    complaint = Complaint.objects.get(number=response.json()["number"])
    url = f"/workbench/complaints/{complaint.number}/"
    with travel(dt.date(2026, 11, 24)):
        escalate_overdue()
        correct_a_day()
        page = login(county).get(url).content.decode()
        assert "2026-11-24" in page or "2026年11月24日" in page
        assert "答复期限调整" in page
        assert "因法定节假日调整，答复期限由2026年11月23日调整为2026年11月24日。" in page
        above = login(city)
        shown = above.get(url).content.decode()
        assert "撤销逾期提示" in shown and "期限因工作日历调整而顺延至2026年11月24日" in shown
        overdue = above.get("/workbench/complaints/", {"status": "overdue"}).content.decode()
        assert complaint.number not in overdue
    told = Notification.objects.get(recipient=city, event="complaints.overdue_withdrawn")
    assert "逾期提示已撤销" in told.body and told.link == url
