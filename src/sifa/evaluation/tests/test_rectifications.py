"""The rectification's commands: who may run them, in what order; appeal and set-aside by the level
above (audited, never deleted); scope (another city's or province's supervisor gets 404)."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.audit.models import AuditEvent
from sifa.evaluation import services
from sifa.evaluation.models import Rating, Rectification, RectificationStatus
from sifa.evaluation.tests.conftest import client, lawyer_case
from sifa.organisations.models import Role
from sifa.testing import staff

pytestmark = pytest.mark.django_db


def _bad_rating(orgs, people, level="非常不满意") -> Rectification:
    case = lawyer_case(orgs, people["applicant"])
    rating = services.rate(people["applicant"], subject="application", number=case.number, level=level)
    return rating.rectification


def _post(user, rectification, command, **body):
    return client(user).post(
        f"/api/v1/rectifications/{rectification.pk}/commands/{command}/", body, format="json"
    )


def test_only_a_bad_rating_opens_a_rectification(orgs, people):
    for level in ("非常满意", "满意", "基本满意"):
        case = lawyer_case(orgs, people["applicant"])
        services.rate(people["applicant"], subject="application", number=case.number, level=level)
    assert Rectification.objects.count() == 0
    assert _bad_rating(orgs, people, "不满意").organisation == orgs["hz"]


def test_another_citys_or_provinces_supervisor_gets_404(orgs, people):
    rectification = _bad_rating(orgs, people)
    for outsider in ("nb_supervisor", "bj_supervisor", "applicant", "other"):
        answer = _post(people[outsider], rectification, "callback", text="已联系评价人")
        assert answer.status_code == 404, outsider
        assert answer.json()["code"] == "evaluation.rectification_not_found"
        assert client(people[outsider]).get("/api/v1/rectifications/").json()["results"] == []
    assert _post(people["hz_clerk"], rectification, "callback", text="已联系评价人").status_code == 200
    assert client(None).get("/api/v1/rectifications/").status_code in (401, 403)


def test_commands_keep_their_order(orgs, people):
    rectification = _bad_rating(orgs, people)
    clerk = people["hz_clerk"]
    assert _post(clerk, rectification, "close").json()["code"] == "evaluation.not_reported"
    assert _post(clerk, rectification, "callback", text="").status_code == 400
    assert _post(clerk, rectification, "callback", text="已联系").status_code == 200
    again = _post(clerk, rectification, "callback", text="再次联系")
    assert again.status_code == 409 and again.json()["code"] == "evaluation.already_called_back"
    assert _post(clerk, rectification, "report", text="已整改完毕").status_code == 200
    assert _post(clerk, rectification, "report", text="再反馈").json()["code"] == "evaluation.not_open"
    assert _post(clerk, rectification, "close").json()["status"] == "closed"
    assert _post(clerk, rectification, "dance").status_code == 404
    assert _post(clerk, rectification, "close", unknown="x").status_code == 400


def test_an_anonymous_rater_is_not_called_back(orgs, people):
    rectification = _bad_rating(orgs, people)
    Rating.objects.filter(pk=rectification.rating_id).update(rater_named=False)
    answer = _post(people["hz_clerk"], rectification, "callback", text="已联系")
    assert answer.status_code == 409 and answer.json()["code"] == "evaluation.anonymous_rater"
    assert _post(people["hz_clerk"], rectification, "report", text="已整改").status_code == 200


def test_a_malicious_rating_is_appealed_and_set_aside_by_the_level_above(orgs, people):
    rectification = _bad_rating(orgs, people)
    clerk_appeal = _post(people["hz_clerk"], rectification, "appeal", text="评价人在窗口无理取闹，有录像为证")
    assert clerk_appeal.status_code == 403 and clerk_appeal.json()["code"] == "evaluation.not_allowed"
    assert _post(people["hz_supervisor"], rectification, "appeal", text="太短").status_code == 400
    appealed = _post(
        people["hz_supervisor"], rectification, "appeal", text="评价人在窗口辱骂工作人员，有录像为证"
    )
    assert appealed.json()["status"] == "appealed"

    own = _post(people["hz_supervisor"], rectification, "set_aside", text="恶意差评")
    assert own.status_code == 403  # the level above decides, not the organisation itself
    decided = _post(people["zj_supervisor"], rectification, "set_aside", text="经核实录像，属恶意差评")
    assert decided.status_code == 200 and decided.json()["status"] == "set_aside"
    assert decided.json()["decided_by"] == "浙江省司法厅"

    rating = Rating.objects.get(pk=rectification.rating_id)  # never deleted, flagged
    assert rating.set_aside
    audit = AuditEvent.objects.get(action="evaluation.rectification.set_aside")
    assert audit.object_id == str(rectification.pk)
    stats = client().get("/api/v1/public/ratings/", {"organisation": orgs["hz"].pk}).json()
    assert stats["total"] == 0 and stats["bad"] == 0  # set aside: not counted
    listed = client(people["hz_supervisor"]).get("/api/v1/ratings/").json()["results"]
    assert listed[0]["set_aside"] is True


def test_a_dismissed_appeal_goes_back_to_rectification(orgs, people):
    rectification = _bad_rating(orgs, people)
    _post(people["hz_supervisor"], rectification, "appeal", text="评价人在窗口辱骂工作人员，有录像为证")
    bad = _post(people["zj_supervisor"], rectification, "set_aside", text="x", decision="keep")
    assert bad.status_code == 400
    answer = _post(
        people["zj_supervisor"], rectification, "set_aside", text="录像不能证明恶意", decision="dismiss"
    )
    assert answer.status_code == 200 and answer.json()["status"] == "open"
    assert not Rating.objects.get(pk=rectification.rating_id).set_aside
    assert _post(people["hz_supervisor"], rectification, "appeal", text="再次申诉再次申诉再次申诉").json()[
        "code"
    ] == ("evaluation.already_appealed")


def test_escalation_runs_once_and_skips_what_is_done(orgs, people):
    waiting = _bad_rating(orgs, people)
    done = _bad_rating(orgs, people)
    Rating.objects.filter(pk=done.rating_id).update(rater_named=False)
    _post(people["hz_clerk"], done, "report", text="已整改")
    later = waiting.due_date + dt.timedelta(days=1)
    assert services.escalate_overdue(waiting.due_date) == []
    assert services.escalate_overdue(later) == [waiting.pk]
    assert services.escalate_overdue(later) == []
    waiting.refresh_from_db()
    assert waiting.escalated_to == orgs["zj"] and waiting.status == RectificationStatus.OPEN


def test_the_staff_notifications_link_to_the_workbench_page(orgs, people):
    from sifa.notifications.models import Notification

    rectification = _bad_rating(orgs, people)
    told = Notification.objects.get(recipient=people["hz_supervisor"], event="evaluation.bad_rating")
    assert told.link == f"/workbench/rectifications/{rectification.pk}/"
    services.escalate_overdue(rectification.due_date + dt.timedelta(days=1))
    escalated = Notification.objects.get(recipient=people["zj_supervisor"], event="evaluation.escalated")
    assert escalated.link == f"/workbench/rectifications/{rectification.pk}/"
    clerk = people["hz_clerk"]
    _post(clerk, rectification, "callback", text="已联系")
    _post(clerk, rectification, "report", text="已整改完毕")
    reported = Notification.objects.get(recipient=people["applicant"], event="evaluation.reported")
    assert reported.link == f"/me/applications/{rectification.rating.number}/"


def test_no_appeal_where_no_level_above_could_decide_it(orgs, people):
    """An appeal is decided by the level above; at the top there is none, and an appeal there would
    leave the rectification 申诉中 for ever: refused, and not offered in the workbench."""
    from sifa.organisations.scope import actor_for
    from sifa.workbench.views.rectification import allowed

    rectification = _bad_rating(orgs, people)
    Rectification.objects.filter(pk=rectification.pk).update(
        organisation=orgs["ministry"], scope_path=orgs["ministry"].path
    )
    top = staff("ministry-supervisor", orgs["ministry"], Role.SUPERVISOR)
    rectification.refresh_from_db()
    assert "appeal" not in allowed(actor_for(top), rectification)
    refused = _post(top, rectification, "appeal", text="评价人在窗口辱骂工作人员，有录像为证")
    assert refused.status_code == 409 and refused.json()["code"] == "evaluation.no_level_above"
    assert "没有上级机构" in refused.json()["message"]
    rectification.refresh_from_db()
    assert rectification.status == "open" and rectification.appealed_at is None
