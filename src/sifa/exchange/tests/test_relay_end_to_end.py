"""The outbox, the relay and the HTTP transport against a real partner simulator process: a
message queued in the caller's transaction is sent by ``sifa exchange relay`` and acknowledged
(已确认), logged on both sides; with the partner down it is retried under the same id and, once
the partner is back, delivered once. The partner's side applies the gateway's duplicate rule to a
copy that Sifa signed again for a retry."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from sifa.exchange.envelope import EnvelopeError, is_duplicate
from sifa.exchange.models import Direction, ExchangeMessage, OutboxItem, OutboxStatus
from sifa.exchange.services import envelopes, outbox
from sifa.exchange.simulator.protocol import SifaKeys, open_from_sifa
from sifa.exchange.simulator.store import Store
from sifa.exchange.transport import use_transport
from sifa.testing import id_number

from .test_http_transport import SimProcess, stub

APPLICANT = {"name": "王五", "id_number": id_number("33010619850505123")}


@pytest.fixture(scope="module")
def sifa_keys(_world, tmp_path_factory) -> Path:
    keys = tmp_path_factory.mktemp("sifa-keys") / "sifa-keys.json"
    _world["ring"].signer()
    keys.write_text(json.dumps(_world["ring"].public_keys()), encoding="utf-8")
    return keys


@pytest.fixture(scope="module")
def police(_world, sifa_keys, tmp_path_factory) -> Iterator[SimProcess]:
    sim = SimProcess("police", tmp_path_factory.mktemp("partner-sim"), _world["key_dir"], sifa_keys)
    sim.start()
    yield sim
    if sim.process is not None and sim.process.poll() is None:
        sim.stop()


@pytest.fixture
def wired(world, police) -> Iterator[None]:
    use_transport(None)  # the real transport: transport.DEFAULT_TRANSPORT, the HttpTransport
    with override_settings(EXCHANGE_ENDPOINTS=[f"{world['partners']['police'].uscc}={police.endpoint}"]):
        yield


def queue(world: dict[str, Any]) -> OutboxItem:
    with transaction.atomic():  # the caller's transaction (a licensing command, later)
        return outbox.send(
            organisation=world["orgs"]["hz"],
            partner=world["partners"]["police"],
            service=("identity.verify", "1"),
            body=APPLICANT,
            purpose="核验申请人身份（律师执业许可）",
            official="hz-window",
            issue="浙司许〔2026〕002号",
        )


def relay() -> str:
    from io import StringIO

    out = StringIO()
    call_command("exchange", "relay", stdout=out)
    return out.getvalue()


def answers_to(item: OutboxItem) -> list[ExchangeMessage]:
    return list(ExchangeMessage.objects.filter(direction=Direction.INBOUND, correlation_id=item.message_id))


def test_a_queued_message_is_relayed_over_http_and_acknowledged_on_both_sides(world, police, wired):
    item = queue(world)
    assert "已确认 1 条" in relay()
    item.refresh_from_db()
    assert item.status == OutboxStatus.CONFIRMED and item.attempts == 1
    (answer,) = answers_to(item)
    assert item.answer_id == answer.pk and answer.kind == "response"
    assert answer.sender == world["partners"]["police"].uscc
    assert police.copies(str(item.message_id)) == 1  # the partner logged it too


def test_a_partner_down_is_retried_and_delivered_once_when_it_is_back(world, police, wired):
    police.kill()
    try:
        item = queue(world)
        assert "待重试 1 条" in relay()
        item.refresh_from_db()
        assert item.status == OutboxStatus.PENDING and item.attempts == 1
        assert item.last_error.startswith("投递不确定")
        assert item.next_attempt_at > timezone.now()  # backing off
        assert "已确认 0 条" in relay()  # not due yet
    finally:
        police.start()
    # The back-off passes on Sifa's side only (the partner keeps real time: within the clock window).
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1), tick=True):
        assert "已确认 1 条" in relay()
    item.refresh_from_db()
    assert item.status == OutboxStatus.CONFIRMED and item.attempts == 2
    assert len(answers_to(item)) == 1
    assert police.copies(str(item.message_id)) == 1


def test_a_partner_refusal_is_a_dead_letter_at_once(world, police, wired):
    bad = dict(
        APPLICANT, id_number=APPLICANT["id_number"][:17] + ("0" if APPLICANT["id_number"][17] != "0" else "1")
    )
    with transaction.atomic():
        item = outbox.send(
            organisation=world["orgs"]["hz"],
            partner=world["partners"]["police"],
            service=("identity.verify", "1"),
            body=bad,
            purpose="核验申请人身份（律师执业许可）",
            official="hz-window",
        )
    assert "转人工 1 条" in relay()
    item.refresh_from_db()
    assert item.status == OutboxStatus.DEAD and "partner.id_number_invalid" in item.last_error


def test_a_bad_answer_is_retried_then_a_dead_letter_after_24_hours(world, wired):
    def garbled(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "9")
        handler.end_headers()
        handler.wfile.write(b"not json!")

    server, url = stub(garbled)
    try:
        with override_settings(EXCHANGE_ENDPOINTS=[f"{world['partners']['police'].uscc}={url}"]):
            item = queue(world)
            assert "待重试 1 条" in relay()
            item.refresh_from_db()
            assert item.status == OutboxStatus.PENDING and "exchange.bad_answer" in item.last_error
            with time_machine.travel(item.queued_at + outbox.GIVE_UP_AFTER, tick=False):
                assert "转人工 1 条" in relay()
    finally:
        server.shutdown()
    item.refresh_from_db()
    assert item.status == OutboxStatus.DEAD


def test_the_partner_s_side_treats_a_re_signed_copy_as_a_duplicate(world, sifa_keys, tmp_path):
    """What the simulator does with Sifa's retry after the clock window: the same message id and
    content with a fresh timestamp gets the first answer; another body under the id is a replay."""
    police = world["partners"]["police"]
    store = Store(tmp_path / "police.sqlite3")
    keys = SifaKeys(str(sifa_keys))
    keys.refresh()
    fields = {
        "kind": "request",
        "issue": "",
        "purpose": "核验申请人身份",
        "service": {"code": "identity.verify", "version": "1"},
        "sender": world["orgs"]["hz"].uscc,
        "receiver": police.uscc,
        "user_id": {"official": "hz-window", "organisation": world["orgs"]["hz"].name},
    }
    first = envelopes.seal(dict(fields), APPLICANT)
    header = json.loads(first.header_bytes)
    assert open_from_sifa(first, keys=keys, own_uscc=police.uscc, store=store).first_answer is None
    store.keep(
        header["sender"],
        header["message_id"],
        first.header_bytes.decode(),
        first.signature,
        "identity.verify",
        "ANSWER",
        "t",
    )
    later = (
        (timezone.now() + dt.timedelta(seconds=200)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
    again = envelopes.seal(dict(fields, message_id=header["message_id"], timestamp=later), APPLICANT)
    assert again.header_bytes != first.header_bytes
    assert is_duplicate(first.header_bytes.decode(), first.signature, again.header_bytes, again.signature)
    assert open_from_sifa(again, keys=keys, own_uscc=police.uscc, store=store).first_answer == "ANSWER"
    changed = envelopes.seal(dict(fields, message_id=header["message_id"]), dict(APPLICANT, name="李四"))
    with pytest.raises(EnvelopeError) as refused:
        open_from_sifa(changed, keys=keys, own_uscc=police.uscc, store=store)
    assert refused.value.code == "exchange.replay"
    assert store.copies(header["sender"], header["message_id"]) == 1
