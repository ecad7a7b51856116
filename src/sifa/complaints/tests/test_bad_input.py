"""Bad input and floods on the complaints API: a clear 4xx with a stable code and a Chinese
message every time (or a rate limit), never a 500, and nothing half-stored."""

from __future__ import annotations

import json

import pytest

from sifa.complaints.models import Complaint
from sifa.complaints.services import complaints as commands
from sifa.complaints.tests.conftest import body, client

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"


def codes(response) -> set[str]:
    data = response.json()
    return {data["code"], *(e["code"] for e in data.get("errors", []))}


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"text": ""}, "complaints.text_length"),
        ({"text": "太短了"}, "complaints.text_length"),
        ({"text": "投" * 3001}, "complaints.text_length"),
        ({"text": "窗口人员态度\u202e很差请核查处理谢谢"}, "complaints.unreadable"),
        ({"kind": "praise"}, "complaints.bad_kind"),
        ({"subject_kind": "weather"}, "complaints.bad_subject"),
        ({"organisation": None}, "complaints.organisation_required"),
        ({"organisation": 999999}, "complaints.unknown_organisation"),
        ({"subject_kind": "case", "organisation": None}, "complaints.case_required"),
        ({"phone": "12345"}, "complaints.bad_phone"),
        ({"wants_sms": True}, "complaints.sms_needs_phone"),
        ({"name": "张三"}, "complaints.anonymous_named"),
        ({"unknown": "x"}, "field.unknown"),
    ],
)
def test_bad_input_is_a_400_naming_the_problem(cat, people, overrides, code):
    response = client().post(URL, body(cat["orgs"], anonymous=True, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert code in codes(response)
    assert response.json()["message"]
    assert not Complaint.objects.exists()


def test_an_empty_complaint_lists_every_missing_field(cat, people):
    response = client().post(URL, {}, format="json")
    assert response.status_code == 400 and len(response.json()["errors"]) >= 3
    assert client().post(URL, ["x"], format="json").status_code == 400


def test_a_named_complaint_without_an_account_needs_name_and_phone(cat, people):
    response = client().post(URL, body(cat["orgs"]), format="json")
    assert response.status_code == 400 and "complaints.contact_required" in codes(response)


def test_a_lone_surrogate_is_refused_not_a_500(cat, people):
    raw = json.dumps(body(cat["orgs"], anonymous=True, text="窗口问题\ud800请尽快处理谢谢谢谢"))
    response = client().post(URL, raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "request.invalid_text"


@pytest.mark.parametrize("control", ["\u202e", "\u200b", "\ufeff"])
def test_a_name_with_an_invisible_character_is_refused(cat, people, control):
    sent = body(cat["orgs"], name=f"张{control}三", phone="13900000009")
    response = client().post(URL, sent, format="json")
    assert response.status_code == 400
    assert codes(response) & {"complaints.unreadable", "name.invisible_character"}
    assert not Complaint.objects.exists()


def test_staff_accounts_complain_as_persons(cat, people):
    response = client(people["county"]).post(URL, body(cat["orgs"]), format="json")
    assert response.status_code == 403 and response.json()["code"] == "complaints.staff_account"


def test_a_flood_from_one_address_is_rate_limited(cat, people):
    statuses = [
        client()
        .post(
            URL, body(cat["orgs"], anonymous=True, text=f"第{i}次投诉：窗口态度问题请核查。"), format="json"
        )
        .status_code
        for i in range(7)
    ]
    assert statuses[:5] == [201] * 5 and statuses[5:] == [429, 429]
    assert Complaint.objects.count() == 5


def test_a_signed_in_complainant_has_a_cap_on_open_complaints(cat, people):
    for i in range(commands.MAX_OPEN_PER_COMPLAINANT):
        text = f"第{i}次投诉：窗口态度问题请核查。"
        assert (
            client(people["citizen"]).post(URL, body(cat["orgs"], text=text), format="json").status_code
            == 201
        )
    response = client(people["citizen"]).post(
        URL, body(cat["orgs"], text="再一次投诉窗口态度问题。"), format="json"
    )
    assert response.status_code == 429 and response.json()["code"] == "complaints.too_many_open"


def test_guessing_tracking_codes_is_rate_limited(cat, people):
    number = client().post(URL, body(cat["orgs"], anonymous=True), format="json").json()["number"]
    answers = [
        client().get(f"{URL}track/{number}/", {"code": f"GUESS{i:03d}"}).status_code for i in range(31)
    ]
    assert set(answers[:30]) == {404} and answers[30] == 429


def test_a_retry_with_the_same_key_gets_the_same_number_and_code(cat, people):
    api = client()
    first = api.post(URL, body(cat["orgs"], anonymous=True), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(URL, body(cat["orgs"], anonymous=True), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["number"] == again.json()["number"]
    assert first.json()["tracking_code"] == again.json()["tracking_code"]
    other = api.post(
        URL, body(cat["orgs"], anonymous=True, kind="report"), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency.key_reused"
    assert Complaint.objects.count() == 1


def test_bad_supervision_input(cat, people):
    number = client().post(URL, body(cat["orgs"], anonymous=True), format="json").json()["number"]
    url = f"{URL}{number}/commands/supervise/"
    past = client(people["city"]).post(
        url, {"instruction": "请尽快办理", "deadline": "2020-01-01"}, format="json"
    )
    assert past.status_code == 400 and past.json()["code"] == "complaints.bad_deadline"
    empty = client(people["city"]).post(url, {}, format="json")
    assert empty.status_code == 400 and {"complaints.instruction_length", "complaints.bad_deadline"} <= codes(
        empty
    )
    garbage = client(people["city"]).post(url, {"deadline": "tomorrow"}, format="json")
    assert garbage.status_code == 400
