"""The API: the inbox (signed envelope in, signed answer out, refusals 4xx with the reason code and
logged), the registry and the message log for staff in scope."""

from __future__ import annotations

import json

import pytest

from sifa.exchange.envelope import Envelope
from sifa.exchange.models import ExchangeMessage, MessageStatus, Rejection
from sifa.organisations.models import Role
from sifa.testing import staff

from .conftest import CASE, client, notice, notice_body

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/exchange/inbox/"


def post(envelope: Envelope | dict):
    data = envelope.as_wire() if isinstance(envelope, Envelope) else envelope
    return client().post(INBOX, data, format="json")


def test_the_inbox_answers_a_signed_notice_with_a_signed_answer(world):
    envelope = notice(world)
    response = post(envelope)
    assert response.status_code == 200, response.content
    answer = Envelope.from_wire(response.json())
    header = json.loads(answer.header_bytes)
    request_id = json.loads(envelope.header_bytes)["message_id"]
    assert header["kind"] == "response" and header["correlation_id"] == request_id
    assert (
        header["sender"] == world["orgs"]["hz"].uscc and header["receiver"] == world["partners"]["court"].uscc
    )
    assert world["ring"].verify(header["key_id"], answer.header_bytes, answer.signature)
    inbound = ExchangeMessage.objects.get(message_id=request_id)
    assert inbound.status == MessageStatus.ANSWERED
    assert ExchangeMessage.objects.filter(correlation_id=request_id, direction="out").count() == 1

    again = post(envelope)  # a retry after a lost answer: the same answer, byte for byte
    assert again.status_code == 200 and again.json() == response.json()
    assert ExchangeMessage.objects.filter(correlation_id=request_id).count() == 1


def test_refusals_are_4xx_with_the_reason_code_and_logged(world):
    envelope = notice(world)
    wire = envelope.as_wire()
    wire["body"] = notice_body(charge="改过的案由")
    before = Rejection.objects.count()
    response = post(wire)
    assert response.status_code == 400 and response.json()["code"] == "exchange.digest_mismatch"
    assert response.json()["message"]

    wire = envelope.as_wire()
    wire["header"]["purpose"] = "别的用途"
    response = post(wire)
    assert response.status_code == 403 and response.json()["code"] == "exchange.bad_signature"

    assert post(envelope).status_code == 200
    replay = notice(
        world, message_id=json.loads(envelope.header_bytes)["message_id"], body=notice_body(charge="x")
    )
    response = post(replay)
    assert response.status_code == 409 and response.json()["code"] == "exchange.replay"

    response = post({"header": {}, "body": {}, "signature": "AAAA"})
    assert response.status_code == 400 and response.json()["code"] == "exchange.malformed"
    response = client().post(INBOX, {"header": "x"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "exchange.malformed"
    assert Rejection.objects.count() == before + 5
    assert Rejection.objects.order_by("-id").first().code == "exchange.malformed"


def test_the_registry_is_for_exchange_operators_and_the_administrators_who_register_keys(world):
    url = "/api/v1/exchange/partners/"
    assert client().get(url).status_code == 401
    assert client(world["people"]["citizen"]).get(url).status_code == 403
    refused = client(world["people"]["bj"]).get(url)  # a window clerk
    assert refused.status_code == 403 and refused.json()["code"] == "exchange.registry_forbidden"
    supervisor = staff("hz-supervisor-registry", world["orgs"]["hz"], Role.SUPERVISOR)
    assert client(supervisor).get(url).status_code == 403
    assert (
        client(staff("zj-secadmin-registry", world["orgs"]["zj"], Role.SECURITY_ADMIN)).get(url).status_code
        == 200
    )
    # The registry is not scoped: a Beijing operator reads the same partners.
    response = client(staff("bj-exchange", world["orgs"]["bj"], Role.EXCHANGE_OPERATOR)).get(url)
    assert response.status_code == 200
    body = response.json()
    names = {p["name"] for p in body["partners"]}
    assert names == {"杭州市公安局", "杭州市中级人民法院", "杭州市人民检察院"}
    police = next(p for p in body["partners"] if p["kind"] == "police")
    assert police["is_demo"] and police["keys"][0]["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert {s["code"] for s in police["services"]} == {
        "identity.verify",
        "criminal-record.check",
        "legal-aid.assignment",  # Sifa's reply to a 通知辩护 (法律援助法 §36)
    }
    notify = next(s for s in body["services"] if s["code"] == "legal-aid.notify")
    assert notify["legal_basis"] and len(notify["allowed_callers"]) == 3
    assert "endpoint" not in json.dumps(body)


def test_the_message_log_is_scoped_to_the_jurisdiction(world):
    post(notice(world))
    url = "/api/v1/exchange/messages/"
    mine = client(world["people"]["hz"]).get(url, {"case": CASE}).json()
    assert mine["count"] == 2
    row = mine["results"][0]
    assert row["case_number"] == CASE and "body" not in json.dumps(row).replace("body_digest", "")
    assert client(world["people"]["hz"]).get(url, {"status": "answered"}).json()["count"] == 1
    assert client(world["people"]["bj"]).get(url).json()["count"] == 0  # another province
    assert client(world["people"]["xh"]).get(url).json()["count"] == 0  # the level below
    assert client(world["people"]["citizen"]).get(url).status_code == 403
    bad = client(world["people"]["hz"]).get(url, {"status": "lost"})
    assert bad.status_code == 400 and bad.json()["code"] == "exchange.bad_status"
