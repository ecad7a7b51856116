"""The handler seam: an accepted request runs its service's handler in the answer's transaction;
a refusal on the merits is a signed ``refused`` answer and leaves none of the handler's writes."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from sifa.core.errors import ServiceError
from sifa.exchange.envelope import Envelope
from sifa.exchange.handlers import ACCEPTED, handlers
from sifa.exchange.models import Rejection

from .conftest import client, notice

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/exchange/inbox/"


def answer_of(envelope: Envelope) -> dict:
    response = client().post(INBOX, envelope.as_wire(), format="json")
    assert response.status_code == 200, response.content
    return response.json()["body"]


def test_the_handler_answers_once_even_for_a_duplicate(world):
    calls = []

    def handler(opened, organisation):
        calls.append((opened.header["message_id"], organisation.uscc))
        return {"status": "assigned", "case": len(calls)}

    with handlers.override("legal-aid.notify", handler):
        envelope = notice(world)
        assert answer_of(envelope) == {"status": "assigned", "case": 1}
        assert answer_of(envelope) == {"status": "assigned", "case": 1}  # the first answer again
    assert calls == [(json.loads(envelope.header_bytes)["message_id"], world["orgs"]["hz"].uscc)]


def test_a_refusal_on_the_merits_is_a_signed_answer_and_rolls_back_the_handler(world):
    def handler(opened, organisation):
        Rejection.objects.create(code="test.marker", reason="处理器写入", received_at=timezone.now())
        raise ServiceError("legal_aid.no_centre", "该司法行政机关未设法律援助机构")

    with handlers.override("legal-aid.notify", handler):
        body = answer_of(notice(world))
    assert body == {
        "status": "refused",
        "code": "legal_aid.no_centre",
        "message": "该司法行政机关未设法律援助机构",
    }
    assert not Rejection.objects.filter(code="test.marker").exists()


def test_a_service_without_a_handler_is_acknowledged(world, monkeypatch):
    # Every service Sifa offers has its handler now (legal-aid.notify: workflow; lawyer.status:
    # licences); take one away to see the default.
    assert "legal-aid.notify" in handlers.names()
    monkeypatch.delitem(handlers._adapters, "legal-aid.notify")
    assert answer_of(notice(world)) == ACCEPTED
