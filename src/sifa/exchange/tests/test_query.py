"""Synchronous queries (``services.query.ask``) against a real police simulator process: the answer
with its message id, the request and the answer in the log; a partner without an address (nothing
sent) and an unreachable one (sent, may have arrived) as ``QueryFailed``."""

from __future__ import annotations

import pytest
from django.test import override_settings

from sifa.exchange.models import Direction, ExchangeMessage
from sifa.exchange.services import query
from sifa.exchange.tests.test_http_transport import APPLICANT, allow, free_port, police  # noqa: F401 (fixtures)


def _ask(world, **overrides):
    fields = {
        "organisation": world["orgs"]["hz"],
        "partner": world["partners"]["police"],
        "service": ("identity.verify", "1"),
        "body": APPLICANT,
        "official": "hz-window",
        "issue": "草稿 0000aaaa",
        "timeout": 3,
        **overrides,
    }
    return query.ask(**fields)


@pytest.mark.usefixtures("police", "allow")
def test_an_answer_carries_the_partners_message_id_and_both_messages_are_logged(world):
    answer = _ask(world)
    assert answer.body["match"] is True and answer.service.code == "identity.verify"
    request = ExchangeMessage.objects.get(direction=Direction.OUTBOUND, message_id=answer.request_id)
    assert request.purpose == answer.service.purpose and request.case_number == "草稿 0000aaaa"
    logged = ExchangeMessage.objects.get(direction=Direction.INBOUND, message_id=answer.answer_id)
    assert str(logged.correlation_id) == answer.request_id and answer.answered_at == logged.sent_at
    assert APPLICANT["id_number"] not in str(request.body_masked)


def test_no_address_sends_nothing_and_an_unreachable_partner_may_have_received_it(world):
    with override_settings(EXCHANGE_ENDPOINTS=[]), pytest.raises(query.QueryFailed) as failed:
        _ask(world)
    assert failed.value.code == "exchange.no_endpoint" and not failed.value.sent
    uscc = world["partners"]["police"].uscc
    with (
        override_settings(EXCHANGE_ENDPOINTS=[f"{uscc}=http://127.0.0.1:{free_port()}/exchange/"]),
        pytest.raises(query.QueryFailed) as failed,
    ):
        _ask(world)
    assert failed.value.code == "exchange.partner_unreachable" and failed.value.sent
    assert ExchangeMessage.objects.filter(
        direction=Direction.OUTBOUND, message_id=failed.value.request_id
    ).exists()


def test_a_service_the_partner_does_not_offer_is_refused_before_sending(world):
    with pytest.raises(query.QueryFailed) as failed:
        _ask(world, service=("no-such.service", "1"))
    assert failed.value.code == "exchange.no_service" and not failed.value.sent
