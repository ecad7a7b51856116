"""Bad input, floods and attacks on the ticket API: a clear 4xx with a stable code and a Chinese
message every time, never a 500, and nothing acknowledged is lost."""

from __future__ import annotations

import json

import pytest

from sifa.consultation.models import Ticket
from sifa.consultation.tests.conftest import client
from sifa.organisations.models import Role
from sifa.testing import staff

pytestmark = pytest.mark.django_db
URL = "/api/v1/consultations/"


def web(**overrides):
    return {
        "channel": "web",
        "category": "labour",
        "region": "330106001000",
        "title": "公司拖欠工资怎么办",
        "question": "公司已经三个月没有发工资了，我应该向哪里投诉或者申请仲裁？",
        **overrides,
    }


def codes(response) -> set[str]:
    body = response.json()
    return {body["code"], *(e["code"] for e in body.get("errors", []))}


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"title": ""}, "consultation.title_length"),
        ({"title": "短"}, "consultation.title_length"),
        ({"question": "太短了"}, "consultation.question_length"),
        ({"question": "问" * 10_000}, "consultation.question_length"),
        ({"category": "gossip"}, "consultation.bad_category"),
        ({"channel": "fax"}, "consultation.bad_channel"),
        ({"region": "99"}, "consultation.bad_region"),
        ({"region": "999999"}, "consultation.unknown_region"),
        ({"region": ""}, "consultation.region_required"),
        ({"title": "我的身份证330106199001011234"}, "consultation.title_personal"),
        ({"title": "回电13812345678谢谢"}, "consultation.title_personal"),
        ({"title": "abc\u202edef 工资"}, "consultation.unreadable"),
        ({"phone": "12345"}, "consultation.bad_phone"),
        ({"wants_sms": True}, "consultation.sms_needs_phone"),
        ({"organisation": 1}, "consultation.route_by_staff"),
        ({"recording_ref": "R1"}, "consultation.hotline_only"),
        ({"unknown": "x"}, "field.unknown"),
    ],
)
def test_bad_input_is_a_400_naming_the_problem(cat, people, overrides, code):
    response = client().post(URL, web(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert code in codes(response)
    assert response.json()["message"]
    assert not Ticket.objects.exists()


def test_a_lone_surrogate_is_refused_not_a_500(cat, people):
    raw = json.dumps(web(question="工资问题\ud800请尽快回复谢谢谢谢"))  # ASCII-escaped: \ud800 stays
    response = client().post(URL, raw, content_type="application/json")
    # Refused at the door since issue 14, before the service's own check (kept for other callers).
    assert response.status_code == 400 and codes(response) == {"request.invalid_text"}


def test_a_body_that_is_not_an_object_and_an_empty_body(cat, people):
    assert client().post(URL, ["x"], format="json").status_code == 400
    empty = client().post(URL, {}, format="json")
    assert empty.status_code == 400 and len(empty.json()["errors"]) >= 4


def test_every_problem_is_listed_at_once(cat, people):
    response = client().post(URL, web(title="", question="短", category="x"), format="json")
    assert {
        "consultation.title_length",
        "consultation.question_length",
        "consultation.bad_category",
    } <= codes(response)


def test_anonymous_floods_are_rate_limited(cat, people):
    answers = [
        client().post(URL, web(title=f"拖欠工资问题第{i}次"), format="json").status_code for i in range(11)
    ]
    assert answers[:10] == [201] * 10
    assert answers[10] == 429
    assert Ticket.objects.count() == 10  # every acknowledged one is kept


def test_a_signed_in_asker_with_too_many_open_tickets_is_refused(cat, people):
    citizen = client(people["citizen"])
    for i in range(10):
        assert citizen.post(URL, web(title=f"拖欠工资问题第{i}次"), format="json").status_code == 201
    refused = citizen.post(URL, web(title="又一个问题"), format="json")
    assert refused.status_code == 429 and refused.json()["code"] == "consultation.too_many_open"


def test_a_reused_idempotency_key_with_other_content_is_422(cat, people):
    first = client().post(URL, web(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    other = client().post(URL, web(title="另一个问题标题"), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency.key_reused"
    too_long = client().post(URL, web(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 201)
    assert too_long.status_code == 400 and too_long.json()["code"] == "idempotency.bad_key"


def test_who_may_record_hotline_and_hall_consultations(cat, people):
    hotline = web(channel="hotline", phone="13812345678")
    assert client().post(URL, hotline, format="json").json()["code"] == "consultation.staff_only"
    assert client(people["citizen"]).post(URL, hotline, format="json").status_code == 403
    clerk = client(people["clerk"])
    assert clerk.post(URL, hotline, format="json").json()["code"] == "consultation.not_recorder"
    hall = clerk.post(URL, web(channel="hall", phone="0571-87654321"), format="json")
    assert hall.status_code == 201, hall.json()  # a landline is fine for a hall visitor (no SMS)
    staff_web = client(people["town"]).post(URL, web(), format="json")
    assert staff_web.status_code == 403 and staff_web.json()["code"] == "consultation.staff_channel"
    no_number = client(people["operator"]).post(URL, web(channel="hotline"), format="json")
    assert "consultation.phone_required" in codes(no_number)
    landline_sms = client(people["operator"]).post(
        URL, web(channel="hotline", phone="0571-87654321", wants_sms=True), format="json"
    )
    assert "consultation.sms_needs_mobile" in codes(landline_sms)


def test_call_times_must_make_sense(cat, people):
    operator = client(people["operator"])
    base = web(channel="hotline", phone="13812345678")
    backwards = operator.post(
        URL, {**base, "call_started_at": "2026-12-04T10:10:00+08:00", "call_ended_at": "2026-12-04T10:00:00+08:00"},
        format="json",
    )  # fmt: skip
    assert "consultation.call_order" in codes(backwards)
    future = operator.post(URL, {**base, "call_started_at": "2099-01-01T00:00:00+08:00"}, format="json")
    assert "consultation.future_time" in codes(future)


def test_an_operator_routes_only_inside_their_jurisdiction(cat, people):
    orgs = cat["orgs"]
    operator = client(people["operator"])
    base = web(channel="hotline", phone="13812345678")
    routed = operator.post(URL, {**base, "organisation": orgs["xh_aid"].pk}, format="json")
    assert routed.status_code == 201 and routed.json()["organisation"] == orgs["xh_aid"].name
    beijing = operator.post(URL, {**base, "organisation": orgs["dc_town"].pk}, format="json")
    assert "consultation.bad_organisation" in codes(beijing)
    forged = operator.post(URL, {**base, "organisation": 999_999}, format="json")
    assert "consultation.bad_organisation" in codes(forged)


def test_routing_by_hand_reaches_only_an_organisation_with_a_consultant(cat, people):
    """As for 转办: a call routed by hand to an organisation of the operator's jurisdiction without
    an active consultant of its own is refused with ``consultation.no_consultant`` and a Chinese
    message naming it, and nothing is recorded; once a consultant is there, it goes through."""
    orgs = cat["orgs"]
    operator = client(people["operator"])
    base = web(channel="hotline", phone="13812345678")
    nobody = operator.post(URL, {**base, "organisation": orgs["xh_centre"].pk}, format="json")
    assert nobody.status_code == 400 and "consultation.no_consultant" in codes(nobody)
    (found,) = [e for e in nobody.json()["errors"] if e["code"] == "consultation.no_consultant"]
    assert found["field"] == "organisation" and found["message"].startswith(orgs["xh_centre"].name)
    assert "暂无承办咨询的工作人员" in found["message"]
    assert not Ticket.objects.filter(organisation=orgs["xh_centre"]).exists()
    staff("centre-consultant", orgs["xh_centre"], Role.CONSULTANT)
    routed = operator.post(URL, {**base, "organisation": orgs["xh_centre"].pk}, format="json")
    assert routed.status_code == 201 and routed.json()["organisation"] == orgs["xh_centre"].name


def test_other_jurisdictions_and_forged_numbers_are_404(cat, people):
    number = client(people["citizen"]).post(URL, web(), format="json").json()["number"]
    beijing = client(people["beijing"])
    assert beijing.get(f"{URL}{number}/").status_code == 404
    answer = beijing.post(
        f"{URL}{number}/answer/", {"answer": "请向劳动争议仲裁委员会申请仲裁。"}, format="json"
    )
    assert answer.status_code == 404
    transfer = beijing.post(
        f"{URL}{number}/transfer/", {"organisation": 1, "reason": "不属本地"}, format="json"
    )
    assert transfer.status_code == 404
    assert (
        client(people["other_citizen"])
        .post(f"{URL}{number}/convert/", {"kind": "legal_aid"}, format="json")
        .status_code
        == 404
    )
    for forged in ("ZX000000000000000000", "../../etc", "x" * 200):
        assert client(people["town"]).get(f"{URL}{forged}/").status_code == 404
    assert client(people["town"]).get(f"{URL}ZX33010620261204000001%00/").status_code in (400, 404)
    # A window clerk of the same office is staff, but not a consultant: no queue, no ticket.
    assert client(people["clerk"]).get(f"{URL}{number}/").status_code == 404


def test_answers_need_a_consultant_and_resolvable_citations(cat, people):
    number = client(people["citizen"]).post(URL, web(), format="json").json()["number"]
    town = client(people["town"])
    unresolved = town.post(
        f"{URL}{number}/answer/",
        {"answer": "可以向劳动争议仲裁委员会申请仲裁。", "citations": ["劳动法第九百九十九条"]},
        format="json",
    )
    assert unresolved.status_code == 400 and unresolved.json()["code"] == "consultation.unresolved_citation"
    assert "劳动法第九百九十九条" in unresolved.json()["message"]
    short = town.post(f"{URL}{number}/answer/", {"answer": "去仲裁"}, format="json")
    assert short.status_code == 400 and "consultation.answer_length" in codes(short)
    supervisor_only = client(people["county"])  # consultant and supervisor of the county: may answer
    assert (
        supervisor_only.post(
            f"{URL}{number}/answer/", {"answer": "请向劳动争议仲裁委员会申请仲裁。"}, format="json"
        ).status_code
        == 200
    )
    again = town.post(f"{URL}{number}/answer/", {"answer": "请向劳动争议仲裁委员会申请仲裁。"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "consultation.already_answered"


def test_transfer_rules(cat, people):
    orgs = cat["orgs"]
    number = client(people["citizen"]).post(URL, web(), format="json").json()["number"]
    town = client(people["town"])
    same = town.post(
        f"{URL}{number}/transfer/", {"organisation": orgs["xh_town"].pk, "reason": "重复"}, format="json"
    )
    assert same.json()["code"] == "consultation.same_organisation"
    far = town.post(
        f"{URL}{number}/transfer/", {"organisation": orgs["dc"].pk, "reason": "外省"}, format="json"
    )
    assert far.json()["code"] == "consultation.other_province"
    moved = town.post(
        f"{URL}{number}/transfer/",
        {"organisation": orgs["xh_aid"].pk, "reason": "经济困难，属法律援助范围"},
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["organisation"] == orgs["xh_aid"].name
    # Moved away from the 司法所: its consultant no longer reaches it; the centre's does.
    assert town.get(f"{URL}{number}/").status_code == 404
    assert client(people["aid"]).get(f"{URL}{number}/").status_code == 200


def test_a_transfer_only_reaches_an_organisation_with_a_consultant(cat, people):
    """An organisation without an active consultant of its own would hold the ticket where no one
    answers it: refused with its own code and a Chinese message naming it, and nothing moves."""
    orgs = cat["orgs"]
    number = client(people["citizen"]).post(URL, web(), format="json").json()["number"]
    town = client(people["town"])
    nobody = town.post(
        f"{URL}{number}/transfer/",
        {"organisation": orgs["xh_centre"].pk, "reason": "属公共法律服务中心"},
        format="json",
    )
    assert nobody.status_code == 400
    problem = nobody.json()
    assert problem["code"] == "consultation.no_consultant"
    assert (
        problem["message"].startswith(orgs["xh_centre"].name)
        and "暂无承办咨询的工作人员" in problem["message"]
    )
    assert Ticket.objects.get(number=number).organisation == orgs["xh_town"]
    # A consultant who left (inactive) does not count either; one who is active does.
    leaver = staff("centre-consultant", orgs["xh_centre"], Role.CONSULTANT)
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])
    again = town.post(
        f"{URL}{number}/transfer/",
        {"organisation": orgs["xh_centre"].pk, "reason": "属公共法律服务中心"},
        format="json",
    )
    assert again.json()["code"] == "consultation.no_consultant"
    staff("centre-consultant-2", orgs["xh_centre"], Role.CONSULTANT)
    moved = town.post(
        f"{URL}{number}/transfer/",
        {"organisation": orgs["xh_centre"].pk, "reason": "属公共法律服务中心"},
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["organisation"] == orgs["xh_centre"].name


def test_tracking_code_guessing_is_rate_limited(cat, people):
    body = client().post(URL, web(), format="json").json()
    url = f"{URL}{body['number']}/"
    answers = [client().get(url, {"code": f"WRONG{i:03d}"}).status_code for i in range(31)]
    assert set(answers[:30]) == {404} and answers[30] == 429


def test_the_list_needs_a_login(cat, people):
    response = client().get(URL)
    assert response.status_code == 401 and response.json()["message"]
