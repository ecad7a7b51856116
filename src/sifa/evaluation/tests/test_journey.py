"""Must show (issue 12, 好差评): a delivered 律师执业许可 case is rated 非常不满意 with a comment; a
rectification opens at 杭州市司法局 with its deadline on the working-day calendar; the rater is called
back and told the outcome; an overdue rectification shows at the province."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from sifa.audit.models import AuditEvent
from sifa.evaluation.models import Rectification, RectificationStatus
from sifa.evaluation.tests.conftest import client, lawyer_case
from sifa.notifications.models import Notification
from sifa.testing.clock import travel, working_days_after

pytestmark = pytest.mark.django_db
RATED_ON = dt.date(2026, 9, 29)
"""A Tuesday before the National Day holiday: the 15 working days jump over it."""


def test_a_very_dissatisfied_lawyer_licence_case_is_rectified_and_an_overdue_one_escalates(orgs, people):
    applicant = people["applicant"]
    with travel(RATED_ON):
        case = lawyer_case(orgs, applicant)
        rated = client(applicant).post(
            "/api/v1/ratings/",
            {
                "subject": "application",
                "number": case.number,
                "level": "非常不满意",
                "channel": "web",
                "comment": "补正通知一次没说清楚，多跑了两趟",
            },
            format="json",
        )
    assert rated.status_code == 201, rated.content
    assert rated.json()["gbt39046_code"] == 5 and rated.json()["provincial_code"] == 1

    rectification = Rectification.objects.get(pk=rated.json()["rectification"])
    assert rectification.organisation == orgs["hz"] and rectification.organisation.name == "杭州市司法局"
    assert rectification.status == RectificationStatus.OPEN
    assert rectification.due_date == working_days_after(RATED_ON, 15) == dt.date(2026, 10, 26)
    assert rectification.callback_due == working_days_after(RATED_ON, 1) == dt.date(2026, 9, 30)
    assert not rectification.due_provisional
    assert Notification.objects.filter(
        event="evaluation.bad_rating", recipient=people["hz_supervisor"]
    ).exists()

    url = f"/api/v1/rectifications/{rectification.pk}/commands/"
    clerk = client(people["hz_clerk"])
    listed = clerk.get("/api/v1/rectifications/", {"status": "open"}).json()["results"]
    assert [r["id"] for r in listed] == [rectification.pk] and listed[0]["due_date"] == "2026-10-26"

    with travel(dt.date(2026, 9, 30)):
        early = clerk.post(f"{url}report/", {"text": "已整改"}, format="json")
        assert early.status_code == 409 and early.json()["code"] == "evaluation.callback_first"
        called = clerk.post(
            f"{url}callback/", {"text": "已电话联系申请人，致歉并说明补正要求"}, format="json"
        )
        assert called.status_code == 200, called.content
        assert called.json()["callback_note"].startswith("已电话联系")
        outcome = "已在办事指南中逐项写明补正材料要求，并对窗口人员进行培训；一次性告知补正内容。"
        reported = clerk.post(f"{url}report/", {"text": outcome}, format="json")
        assert reported.status_code == 200 and reported.json()["status"] == "reported"

    told = Notification.objects.get(event="evaluation.reported", recipient=applicant)
    assert outcome in told.body and "杭州市司法局" in told.body
    assert client(people["hz_clerk"]).post(f"{url}close/", {}, format="json").json()["status"] == "closed"
    actions = set(
        AuditEvent.objects.filter(object_type="evaluation.Rectification").values_list("action", flat=True)
    )
    assert {"evaluation.rectification.open", "evaluation.rectification.callback"} <= actions
    assert {"evaluation.rectification.report", "evaluation.rectification.close"} <= actions

    # A second 差评 nobody works on: overdue after its 15 working days, it goes to 浙江省司法厅.
    with travel(RATED_ON):
        other = lawyer_case(orgs, people["other"])
        client(people["other"]).post(
            "/api/v1/ratings/",
            {"subject": "application", "number": other.number, "level": "不满意"},
            format="json",
        )
    late = Rectification.objects.get(rating__number=other.number)
    call_command("escalate-rectifications", "--date", late.due_date.isoformat(), verbosity=0)
    late.refresh_from_db()
    assert late.escalated_at is None  # due today: not overdue yet
    call_command(
        "escalate-rectifications", "--date", (late.due_date + dt.timedelta(days=1)).isoformat(), verbosity=0
    )
    late.refresh_from_db()
    assert late.escalated_to == orgs["zj"]
    province = client(people["zj_supervisor"]).get("/api/v1/rectifications/", {"status": "escalated"}).json()
    assert [(r["id"], r["escalated_to"]) for r in province["results"]] == [(late.pk, "浙江省司法厅")]
    assert Notification.objects.filter(
        event="evaluation.escalated", recipient=people["zj_supervisor"]
    ).exists()
    assert client(people["nb_supervisor"]).get("/api/v1/rectifications/").json()["results"] == []

    stats = (
        client().get("/api/v1/public/ratings/", {"organisation": orgs["hz"].pk, "period": "2026-09"}).json()
    )
    assert stats["bad"] == 2 and stats["rectified"] == 1 and stats["rectification_rate"] == 0.5
