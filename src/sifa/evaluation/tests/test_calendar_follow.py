"""What follows a recount of a rectification's 整改期限 after a change of the working calendar: the
limits given when it opened are counted (not a later setting), the supervisors and the named rater
awaiting the callback are told, and an escalation made under the old calendar is withdrawn when the
new date has not passed (audited, the level above told, shown in the workbench history)."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.audit.models import AuditEvent
from sifa.evaluation import services
from sifa.evaluation.models import Rectification
from sifa.evaluation.services.escalation import escalate_overdue
from sifa.evaluation.tests.conftest import client, lawyer_case
from sifa.notifications.models import Notification
from sifa.testing.calendar_change import correct_a_day, counted
from sifa.testing.clock import travel
from sifa.workbench.views.rectification import history

pytestmark = pytest.mark.django_db
RATED = dt.date(2026, 11, 2)
OLD_DUE, NEW_DUE = dt.date(2026, 11, 23), dt.date(2026, 11, 24)


def opened(orgs, applicant) -> Rectification:
    with travel(RATED):
        case = lawyer_case(orgs, applicant)
        rating = services.rate(applicant, subject="application", number=case.number, level="非常不满意")
    return rating.rectification


def test_the_limits_given_at_opening_are_counted_and_the_supervisors_and_rater_are_told(
    orgs, people, settings
):
    rectification = opened(orgs, people["applicant"])
    assert (rectification.rectify_days, rectification.callback_days, rectification.due_date) == (
        15,
        1,
        OLD_DUE,
    )
    settings.EVALUATION_RECTIFY_DAYS = 30  # a later setting does not move the running rectification

    with travel(dt.date(2026, 11, 3)):
        correct_a_day()

    rectification.refresh_from_db()
    assert rectification.due_date == NEW_DUE == counted(RATED, 15)
    assert (rectification.due_before, rectification.due_moved_at is not None) == (OLD_DUE, True)
    moved = AuditEvent.objects.get(action="evaluation.rectification.due_date_moved")
    assert moved.detail["rectify_days"] == 15
    staff = Notification.objects.get(recipient=people["hz_supervisor"], event="evaluation.due_moved_staff")
    assert "因法定节假日调整" in staff.body and "2026年11月24日" in staff.body
    rater = Notification.objects.get(recipient=people["applicant"], event="evaluation.due_moved")
    assert "2026年11月23日调整为2026年11月24日" in rater.body and "回访您" in rater.body
    steps = {step["label"]: step["note"] for step in history(rectification)}
    assert steps["期限调整"] == "因法定节假日调整，整改期限由2026年11月23日调整为2026年11月24日。"


def test_an_escalation_is_withdrawn_when_the_new_date_has_not_passed(orgs, people):
    rectification = opened(orgs, people["applicant"])
    with travel(NEW_DUE):
        assert escalate_overdue() == [rectification.pk]
        correct_a_day()
        rectification.refresh_from_db()
        assert (rectification.escalated_at, rectification.escalated_to) == (None, None)
        assert rectification.escalation_withdrawn_at is not None
        listed = client(people["zj_supervisor"]).get("/api/v1/rectifications/", {"status": "escalated"})
        assert listed.json()["results"] == []
        assert escalate_overdue() == []
    trail = AuditEvent.objects.get(action="evaluation.rectification.escalation_withdrawn")
    assert trail.detail["reason"] == "期限因工作日历调整而顺延" and trail.detail["to"] == orgs["zj"].name
    assert AuditEvent.objects.filter(action="evaluation.rectification.escalate").count() == 1
    told = Notification.objects.get(
        recipient=people["zj_supervisor"], event="evaluation.escalation_withdrawn"
    )
    assert "顺延至2026年11月24日" in told.body
    steps = {step["label"]: step["note"] for step in history(rectification)}
    assert steps["撤销逾期升级"] == "期限因工作日历调整而顺延"


def test_one_message_per_person_lists_every_moved_rectification(orgs, people):
    first, second = opened(orgs, people["applicant"]), opened(orgs, people["applicant"])
    Notification.objects.all().delete()

    with travel(dt.date(2026, 11, 3)):
        correct_a_day()

    staff = Notification.objects.filter(recipient=people["hz_supervisor"], event="evaluation.due_moved_staff")
    assert staff.count() == 1
    listed = staff.get()
    assert listed.title == "2件差评整改期限已调整" and listed.link == "/workbench/rectifications/"
    for rectification in (first, second):
        assert f"{rectification.rating.number}：2026年11月23日 → 2026年11月24日" in listed.body
    rater = Notification.objects.get(recipient=people["applicant"], event="evaluation.due_moved")
    assert rater.title == "您的2件评价的整改期限已调整" and rater.body.count("法定节假日调整") == 3
