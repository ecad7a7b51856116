"""POST /api/v1/ratings/: who may rate what, once; bad input; the staff list and the public
statistics; the consultation's ratings flowing in."""

from __future__ import annotations

import pytest

from sifa.applications.models import ApplicationStatus
from sifa.audit.models import AuditEvent
from sifa.consultation.models import Ticket, TicketStatus
from sifa.evaluation.api import RATING_RATE
from sifa.evaluation.models import Rating, Rectification, SubjectKind
from sifa.evaluation.tests.conftest import client, lawyer_case

pytestmark = pytest.mark.django_db
URL = "/api/v1/ratings/"


def _codes(answer) -> set[str]:
    body = answer.json()
    return {body["code"], *(e["code"] for e in body.get("errors", []))}


def _rate(user, number, level="满意", **extra):
    body = {"subject": "application", "number": number, "level": level, "channel": "web", **extra}
    return client(user).post(URL, body, format="json")


def test_the_applicant_rates_a_delivered_case_once(orgs, people):
    case = lawyer_case(orgs, people["applicant"])
    answer = _rate(people["applicant"], case.number, "非常满意", comment="办理很快")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["level"] == "very_satisfied" and body["gbt39046_code"] == 1 and body["provincial_code"] == 5
    assert body["organisation"] == "杭州市司法局" and body["item_code"] == "000100001001"
    assert body["rectification"] is None  # a good rating opens nothing
    assert AuditEvent.objects.filter(action="evaluation.rating.create").count() == 1

    again = _rate(people["applicant"], case.number, "非常不满意")
    assert again.status_code == 409 and again.json()["code"] == "evaluation.already_rated"
    assert Rating.objects.count() == 1 and Rectification.objects.count() == 0


def test_a_refused_case_can_be_rated_an_open_one_not(orgs, people):
    refused = lawyer_case(orgs, people["applicant"], status=ApplicationStatus.NOT_ACCEPTED)
    assert _rate(people["applicant"], refused.number, "dissatisfied").status_code == 201
    pending = lawyer_case(orgs, people["applicant"], status=ApplicationStatus.IN_REVIEW)
    answer = _rate(people["applicant"], pending.number)
    assert answer.status_code == 409 and answer.json()["code"] == "evaluation.not_finished"


def test_someone_elses_case_does_not_exist_for_the_caller(orgs, people):
    case = lawyer_case(orgs, people["applicant"])
    answer = _rate(people["other"], case.number)
    assert answer.status_code == 404 and answer.json()["code"] == "evaluation.not_found"
    assert _rate(people["hz_supervisor"], case.number).status_code == 404
    assert client().post(
        URL, {"subject": "application", "number": case.number, "level": "满意"}
    ).status_code in (
        401,
        403,
    )
    assert Rating.objects.count() == 0


@pytest.mark.parametrize("level", ["6", "0", 6, "极好", "", None, "VERY_SATISFIED"])
def test_an_out_of_range_level_is_400(orgs, people, level):
    case = lawyer_case(orgs, people["applicant"])
    answer = _rate(people["applicant"], case.number, level)
    assert answer.status_code == 400
    assert "evaluation.bad_level" in _codes(answer), answer.json()
    assert Rating.objects.count() == 0


def test_bad_subject_channel_and_comment_are_400_with_a_message(orgs, people):
    case = lawyer_case(orgs, people["applicant"])
    for extra, code in (
        ({"subject": "licence"}, "evaluation.bad_subject"),
        ({"channel": "fax"}, "evaluation.bad_channel"),
        ({"comment": "差" * 501}, "evaluation.comment_length"),
        ({"comment": "bad\u202etext"}, "evaluation.unreadable"),
        ({"unexpected": 1}, "field.unknown"),
    ):
        answer = _rate(people["applicant"], case.number, **extra)
        assert answer.status_code == 400, (extra, answer.content)
        assert code in _codes(answer) and answer.json()["message"]


def test_a_flood_of_ratings_is_rate_limited(orgs, people):
    limit = int(RATING_RATE.split("/")[0])
    statuses = [_rate(people["applicant"], f"NOSUCH{i}").status_code for i in range(limit + 1)]
    assert statuses[:limit] == [404] * limit
    assert statuses[-1] == 429


def test_staff_see_ratings_in_scope_and_only_supervisors_the_staff_member(orgs, people):
    case = lawyer_case(orgs, people["applicant"])
    rating_id = _rate(people["applicant"], case.number, "不满意").json()["id"]
    Rating.objects.filter(pk=rating_id).update(staff_member=people["hz_clerk"])  # as a window case would

    rows = client(people["hz_supervisor"]).get(URL, {"period": case.created_at.strftime("%Y-%m")}).json()
    assert [r["id"] for r in rows["results"]] == [rating_id]
    assert rows["results"][0]["staff_member"] == (people["hz_clerk"].display_name or "hz-clerk")
    assert client(people["zj_supervisor"]).get(URL).json()["results"][0]["staff_member"]

    clerk_view = client(people["hz_clerk"]).get(URL).json()["results"]
    assert [r["id"] for r in clerk_view] == [rating_id] and clerk_view[0]["staff_member"] == ""
    for outsider in ("nb_supervisor", "bj_supervisor"):
        assert client(people[outsider]).get(URL).json()["results"] == []
    assert client(people["other"]).get(URL).json()["results"] == []
    mine = client(people["applicant"]).get(URL).json()["results"]
    assert [r["id"] for r in mine] == [rating_id]

    assert _codes(client(people["hz_supervisor"]).get(URL, {"period": "2026-13"})) >= {
        "evaluation.bad_period"
    }
    assert client(people["hz_supervisor"]).get(URL, {"organisation": "x"}).status_code == 400
    assert client(people["hz_supervisor"]).get(URL, {"period": "2019-01"}).json()["results"] == []


def test_public_statistics_count_levels_without_personal_data(orgs, people):
    levels = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    for level in levels:
        case = lawyer_case(orgs, people["applicant"])
        assert _rate(people["applicant"], case.number, level, comment="窗口人员王某态度").status_code == 201
    period = Rating.objects.first().created_at.strftime("%Y-%m")
    stats = client().get("/api/v1/public/ratings/", {"organisation": orgs["zj"].pk, "period": period}).json()
    assert stats["total"] == 5 and stats["satisfied"] == 3 and stats["bad"] == 2
    assert (
        stats["satisfaction_rate"] == 0.6 and stats["rectified"] == 0 and stats["rectification_rate"] == 0.0
    )
    assert [row["count"] for row in stats["levels"]] == [1, 1, 1, 1, 1]
    text = str(stats)
    assert "王某" not in text and "T2" not in text and "number" not in text

    elsewhere = client().get("/api/v1/public/ratings/", {"organisation": orgs["bj"].pk}).json()
    assert elsewhere["total"] == 0 and elsewhere["satisfaction_rate"] is None
    assert client().get("/api/v1/public/ratings/", {"period": "26-1"}).status_code == 400


def test_public_statistics_per_item(orgs, people):
    """Per organisation and item (issue 12: 按机构和事项): ``?item=`` counts that item's ratings
    only and names it; a malformed code is 400, one nobody rated counts zero."""
    for level in ("满意", "非常不满意"):
        case = lawyer_case(orgs, people["applicant"])
        assert _rate(people["applicant"], case.number, level).status_code == 201
    code = Rating.objects.first().item_code
    public = client()
    one = public.get("/api/v1/public/ratings/", {"organisation": orgs["hz"].pk, "item": code}).json()
    assert one["item"] == code and one["total"] == 2 and one["bad"] == 1 and one["satisfaction_rate"] == 0.5
    assert public.get("/api/v1/public/ratings/", {"item": "000100009999"}).json()["total"] == 0
    assert "item" not in public.get("/api/v1/public/ratings/", {"organisation": orgs["hz"].pk}).json()
    bad = public.get("/api/v1/public/ratings/", {"item": "0001-0000"})
    assert bad.status_code == 400 and _codes(bad) == {"evaluation.bad_item"}
    # The staff list narrows by organisation (a subtree) and month the same way.
    period = Rating.objects.first().created_at.strftime("%Y-%m")
    province = client(people["zj_supervisor"])
    assert len(province.get(URL, {"organisation": orgs["hz"].pk, "period": period}).json()["results"]) == 2
    assert province.get(URL, {"organisation": orgs["nb"].pk, "period": period}).json()["results"] == []


# --- the consultation's ratings flow in ------------------------------------------------------------


def _answered_ticket(people, asker=None, channel="web", **extra):
    from sifa.consultation import services as consultation

    created = consultation.create_ticket(
        asker if channel == "web" else people["operator"],
        channel=channel,
        category="mediation",
        region="330106001000",
        title="邻居漏水纠纷如何调解",
        question="楼上邻居漏水导致我家受损，协商不成，如何申请人民调解？",
        **extra,
    )
    consultation.answer(
        people["town"], created.ticket.number, text="可以向北山街道人民调解委员会申请调解，不收费。"
    )
    return created.ticket


def test_a_rated_consultation_makes_a_rating(orgs, people):
    ticket = _answered_ticket(people, asker=people["applicant"])
    answer = client(people["applicant"]).post(
        f"/api/v1/consultations/{ticket.number}/rating/",
        {"satisfaction": "very_dissatisfied", "comment": "答复太简单"},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    rating = Rating.objects.get(number=ticket.number)
    assert rating.subject_kind == SubjectKind.CONSULTATION and rating.rater == people["applicant"]
    assert rating.level == "very_dissatisfied" and rating.comment == "答复太简单"
    assert rating.organisation == orgs["xh_town"] and rating.staff_member == people["town"]
    assert rating.rectification.organisation == orgs["xh_town"]
    again = _rate(people["applicant"], ticket.number, subject="consultation")
    assert again.status_code == 409 and again.json()["code"] == "evaluation.already_rated"


def test_a_consultation_rated_here_closes_the_ticket(orgs, people):
    ticket = _answered_ticket(people, asker=people["applicant"])
    answer = _rate(people["applicant"], ticket.number, "满意", subject="consultation", channel="app")
    assert answer.status_code == 201, answer.content
    assert answer.json()["channel"] == "app"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.satisfaction == "satisfied"
    assert Rating.objects.filter(number=ticket.number).count() == 1
    assert _rate(people["applicant"], ticket.number, subject="call").status_code == 404  # not a call
    assert _rate(people["other"], ticket.number, subject="consultation").status_code == 404


def test_a_hotline_callers_rating_recorded_by_the_operator_is_a_named_call_rating(orgs, people):
    ticket = _answered_ticket(people, channel="hotline", phone="13812345678", name="陈先生")
    from sifa.consultation import services as consultation

    consultation.rate(people["operator"], ticket.number, satisfaction="dissatisfied", channel="hotline")
    rating = Rating.objects.get(number=ticket.number)
    assert rating.subject_kind == SubjectKind.CALL and rating.channel == "hotline"
    assert rating.rater is None and rating.rater_named  # the caller left a number: called back
    assert rating.rectification.callback_due is not None
    assert Ticket.objects.get(number=ticket.number).status == TicketStatus.CLOSED
