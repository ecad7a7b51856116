"""The outbox and its relay: written in the caller's transaction, retried with back-off under the
same message id, alerts at 15 min / 1 h / 6 h once each, a dead letter at 24 h, resend, and
signing unavailable → queued + alert → sent once a key is back. The partner is an in-process fake
that checks Sifa's signature, holds one copy per message id and answers with its signed receipt."""

from __future__ import annotations

import datetime as dt
import json
import random
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import timezone

from sifa.audit.models import AuditEvent
from sifa.core.signing import KeyRingError
from sifa.exchange.envelope import Envelope, EnvelopeError
from sifa.exchange.models import Direction, ExchangeMessage, OutboxItem, OutboxStatus
from sifa.exchange.services import envelopes, outbox
from sifa.exchange.transport import TransportError
from sifa.notifications.models import Notification
from sifa.organisations.models import Role
from sifa.testing import staff
from sifa.testing.login import verified_login

from .conftest import CASE, client, notice, notice_body, signer_of
from .test_envelope import refused

ENDPOINT = "https://court.example.test/exchange/inbox/"


class FakeCourt:
    """The court's side of the wire: verify Sifa's signature, keep the first copy of each message id
    (a re-signed copy of the same content is the same message), answer with a signed receipt.
    ``script`` decides each call: ``"ok"``, ``"down"`` (nothing arrives) or ``"lost"`` (it arrives,
    the answer is lost)."""

    def __init__(self, world: dict[str, Any], script: Callable[[int], str] | None = None) -> None:
        self.world, self.script = world, script or (lambda _n: "ok")
        self.calls: list[str] = []
        self.held: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, Envelope] = {}
        self.duplicates = 0
        self.received: list[Envelope] = []

    def send(self, endpoint: str, envelope: Envelope, *, timeout: float) -> Envelope:
        assert endpoint == ENDPOINT
        header = json.loads(envelope.header_bytes)
        self.calls.append(header["message_id"])
        self.received.append(envelope)
        # Every copy that leaves is in the message log already, with its signature (ADR 0009).
        assert ExchangeMessage.objects.filter(
            message_id=header["message_id"],
            header=envelope.header_bytes.decode(),
            signature=envelope.signature,
        ).exists()
        what = self.script(len(self.calls))
        if what == "down":
            raise TransportError("连接被重置")
        verifier = self.world["ring"].verifier(header["key_id"])
        assert verifier.verify(envelope.header_bytes, envelope.signature)
        message_id = header["message_id"]
        if message_id in self.held:
            self.duplicates += 1
            assert self.held[message_id]["body_digest"] == header["body_digest"]
        else:
            self.held[message_id] = header
            self.answers[message_id] = envelopes.seal(
                {
                    "kind": "response",
                    "correlation_id": message_id,
                    "issue": header["issue"],
                    "purpose": header["purpose"],
                    "service": header["service"],
                    "sender": header["receiver"],
                    "receiver": header["sender"],
                    "user_id": {"official": "立案庭", "organisation": "杭州市中级人民法院"},
                },
                {"status": "received"},
                signer=signer_of(self.world, "court"),
            )
        if what == "lost":
            raise TransportError("确认丢失")
        # A real partner's clock: the answer is stamped when it is sent (again for a duplicate).
        return self.answers[message_id]


@pytest.fixture
def court(world, settings):
    settings.EXCHANGE_ENDPOINTS = [f"{world['partners']['court'].uscc}={ENDPOINT}"]
    return world["partners"]["court"]


@pytest.fixture
def supervisor(world):
    return staff("hz-supervisor", world["orgs"]["hz"], Role.SUPERVISOR, totp=True)


@pytest.fixture
def operator(world):
    """杭州's 数据交换管理员: the province's messages are outside their jurisdiction."""
    return staff("hz-exchange", world["orgs"]["hz"], Role.EXCHANGE_OPERATOR, totp=True)


def queue(world, court, **overrides) -> OutboxItem:
    fields = {
        "organisation": world["orgs"]["hz"],
        "partner": court,
        "service": ("judicial-confirmation.refer", "1"),
        "body": {"agreement": "调解协议", "party": {"id_number": notice_body()["suspect"]["id_number"]}},
        "purpose": "调解协议申请司法确认",
        "official": "调解员张某",
        "issue": CASE,
        **overrides,
    }
    return outbox.send(**fields)


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def alerts(user, event: str = "exchange.undelivered") -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, event=event).order_by("id"))


# --- written in the caller's transaction ----------------------------------------------------------


def test_nothing_is_queued_or_logged_when_the_callers_transaction_rolls_back(world, court):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue(world, court)
        raise RuntimeError("the caller's command failed")
    assert not OutboxItem.objects.exists()
    assert not ExchangeMessage.objects.filter(direction=Direction.OUTBOUND).exists()


def test_a_queued_message_is_sealed_logged_and_sent_only_by_the_relay(world, court):
    fake = FakeCourt(world)
    item = queue(world, court)
    assert item.status == OutboxStatus.PENDING and fake.calls == []
    logged = item.log_entry
    assert logged.direction == Direction.OUTBOUND and str(logged.message_id) == str(item.message_id)
    assert "110" not in json.dumps(logged.body_masked) or "*" in json.dumps(logged.body_masked)
    result = outbox.relay_once(fake)
    item.refresh_from_db()
    assert result.confirmed == 1 and item.status == OutboxStatus.CONFIRMED
    assert fake.calls == [str(item.message_id)]
    assert item.answer.direction == Direction.INBOUND and str(item.answer.correlation_id) == str(
        item.message_id
    )
    assert outbox.relay_once(fake).confirmed == 0 and len(fake.calls) == 1  # nothing is sent twice


def test_a_partner_without_an_allowed_endpoint_is_queued_and_sent_once_configured(world, court, settings):
    configured = settings.EXCHANGE_ENDPOINTS
    settings.EXCHANGE_ENDPOINTS = []
    item = queue(world, court)  # the caller's command is not refused for a missing address
    fake = FakeCourt(world)
    outbox.relay_once(fake)
    item.refresh_from_db()
    assert item.status == OutboxStatus.PENDING and "未配置" in item.last_error and fake.calls == []
    settings.EXCHANGE_ENDPOINTS = configured
    with at(item.next_attempt_at + dt.timedelta(seconds=1)):
        assert outbox.relay_once(fake).confirmed == 1
    item.refresh_from_db()
    assert item.status == OutboxStatus.CONFIRMED and fake.calls == [str(item.message_id)]


# --- back-off, same id, alerts, dead letter -------------------------------------------------------


def test_the_back_off_doubles_from_30_seconds_to_one_hour_with_jitter():
    rng = random.Random(7)
    for attempts, nominal in [(1, 30), (2, 60), (3, 120), (5, 480), (8, 3600), (40, 3600)]:
        for _ in range(20):
            delay = outbox.retry_delay(attempts, rng).total_seconds()
            assert nominal * 0.8 <= delay <= nominal * 1.2
    assert len({outbox.retry_delay(3, rng) for _ in range(10)}) > 1  # jitter spreads them


def test_retries_follow_the_schedule_alert_once_at_each_threshold_and_die_at_24_hours(
    world, court, supervisor
):
    fake = FakeCourt(world, lambda _n: "down")
    start = timezone.now().replace(microsecond=0)
    with at(start):
        item = queue(world, court)
    seen_alerts: dict[dt.timedelta, int] = {}
    previous_attempts = 0
    step = dt.timedelta(minutes=1)
    elapsed = dt.timedelta(0)
    while elapsed <= dt.timedelta(hours=24, minutes=10):
        with at(start + elapsed):
            due_before = OutboxItem.objects.get(pk=item.pk).next_attempt_at
            outbox.relay_once(fake)
            item.refresh_from_db()
            if item.attempts > previous_attempts:
                # a try happens only once it is due, and the next one is scheduled by the back-off
                assert due_before <= timezone.now()
                if item.status == OutboxStatus.PENDING:
                    gap = (item.next_attempt_at - timezone.now()).total_seconds()
                    expected = min(30 * 2 ** (item.attempts - 1), 3600)
                    remaining = (start + outbox.GIVE_UP_AFTER - timezone.now()).total_seconds()
                    assert gap <= expected * 1.2 + 1 and (gap >= expected * 0.8 - 1 or gap <= remaining + 1)
                previous_attempts = item.attempts
            seen_alerts[elapsed] = len(alerts(supervisor))
        elapsed += step if elapsed < dt.timedelta(hours=1, minutes=5) else dt.timedelta(minutes=7)
    assert seen_alerts[dt.timedelta(minutes=14)] == 0
    assert seen_alerts[dt.timedelta(minutes=15)] == 1
    assert seen_alerts[dt.timedelta(minutes=59)] == 1
    assert seen_alerts[dt.timedelta(hours=1)] == 2
    six = max(k for k in seen_alerts if k < dt.timedelta(hours=6))
    assert seen_alerts[six] == 2
    assert alerts(supervisor)[2].title.startswith("数据交换消息6 小时未送达")
    assert len(alerts(supervisor)) == 3  # once each, never again
    assert item.status == OutboxStatus.DEAD and item.dead_at - start >= outbox.GIVE_UP_AFTER
    assert item.dead_at - start <= outbox.GIVE_UP_AFTER + dt.timedelta(minutes=8)
    assert len(alerts(supervisor, "exchange.dead_letter")) == 1
    assert set(fake.calls) == {str(item.message_id)}  # every retry under the same message id
    assert 20 < len(fake.calls) == item.attempts < 60
    actions = set(AuditEvent.objects.filter(object_id=str(item.message_id)).values_list("action", flat=True))
    assert actions == {"exchange.outbox.undelivered", "exchange.outbox.dead_letter"}


def test_a_lost_acknowledgement_is_retried_under_the_same_id_and_the_partner_keeps_one_copy(world, court):
    fake = FakeCourt(world, lambda n: "lost" if n == 1 else "ok")
    start = timezone.now().replace(microsecond=0)
    with at(start):
        item = queue(world, court)
        assert outbox.relay_once(fake).retried == 1
    # Ten minutes later the signed timestamp is outside the partner's clock window: the relay signs
    # the same message again (same id, same body) and the partner treats it as the same message.
    with at(start + dt.timedelta(minutes=10)):
        assert outbox.relay_once(fake).confirmed == 1
    item.refresh_from_db()
    assert item.status == OutboxStatus.CONFIRMED and item.attempts == 2
    assert fake.calls == [str(item.message_id)] * 2 and len(fake.held) == 1 and fake.duplicates == 1


def test_every_copy_sent_is_in_the_chained_log_and_verify_log_still_finds_tampering(world, court, tmp_path):
    from .test_log import raw, run

    fake = FakeCourt(world, lambda n: "lost" if n < 4 else "ok")
    start = timezone.now().replace(microsecond=0)
    with at(start):
        item = queue(world, court)
    steps = (
        dt.timedelta(0),  # the first copy
        dt.timedelta(minutes=10),  # past half the clock window: signed again (copy 1)
        dt.timedelta(minutes=11, seconds=30),  # copy 1 is 90 s old: sent again byte for byte
        dt.timedelta(minutes=20),  # copy 1 is stale: signed again (copy 2), acknowledged
    )
    for step in steps:
        with at(start + step):
            outbox.relay_once(fake)
    item.refresh_from_db()
    assert item.status == OutboxStatus.CONFIRMED and item.attempts == 4
    copies = list(ExchangeMessage.objects.filter(message_id=item.message_id).order_by("copy_number"))
    assert [row.copy_number for row in copies] == [0, 1, 2] and copies[0] == item.log_entry
    assert {row.direction for row in copies} == {Direction.OUTBOUND}
    assert len({row.header for row in copies}) == 3 and len({bytes(row.signature) for row in copies}) == 3
    for row in copies:  # each logged copy is what was signed: it verifies with Sifa's key
        assert world["ring"].verify(row.key_id, row.header.encode(), bytes(row.signature))
        assert json.loads(row.header)["body_digest"] == copies[0].body_digest
    sent = [(e.header_bytes.decode(), e.signature) for e in fake.received]
    logged_copies = [(row.header, bytes(row.signature)) for row in copies]
    assert sent == [logged_copies[0], logged_copies[1], logged_copies[1], logged_copies[2]]
    assert envelopes.stored_envelope(copies[2]).as_wire() == fake.received[-1].as_wire()

    assert run("chain")[0] == 0
    code, out, _ = run("verify-log")
    assert code == 0 and "尚未入链" not in out, out
    out_file = tmp_path / "archive.zip"
    assert run("export", "--since", start.date().isoformat(), "--out", str(out_file))[0] == 0
    with zipfile.ZipFile(out_file) as archive:
        lines = [json.loads(line) for line in archive.read("messages.jsonl").decode().splitlines()]
        mine = [line for line in lines if line["message_id"] == str(item.message_id)]
        assert [line.get("copy_number", 0) for line in mine] == [0, 1, 2]
        for line, row in zip(mine, copies, strict=True):
            stem = f"messages/{line['seq']:08d}-{item.message_id}"
            assert archive.read(f"{stem}.header.json").decode() == row.header
            assert archive.read(f"{stem}.sig") == bytes(row.signature)

    copy = ExchangeMessage.objects.get(message_id=item.message_id, copy_number=1)
    raw("UPDATE exchange_exchangemessage SET copy_number = 5 WHERE id = %s", [copy.pk])
    code, _, err = run("verify-log")
    assert code == 1 and f"第 {copy.seq} 条断裂（消息 {item.message_id}）" in err and "被修改" in err
    raw("UPDATE exchange_exchangemessage SET copy_number = 1 WHERE id = %s", [copy.pk])
    raw(
        "UPDATE exchange_exchangemessage SET signature = %s WHERE id = %s",
        [bytes(copy.signature)[:-1] + bytes([copy.signature[-1] ^ 0x01]), copy.pk],
    )
    assert run("verify-log")[0] == 1


def test_a_copy_signed_again_cannot_be_logged_twice_nor_changed(world, court):
    from django.db import DatabaseError, IntegrityError

    fake = FakeCourt(world, lambda n: "lost" if n == 1 else "ok")
    start = timezone.now().replace(microsecond=0)
    with at(start):
        item = queue(world, court)
        outbox.relay_once(fake)
    with at(start + dt.timedelta(minutes=10)):
        outbox.relay_once(fake)
    copy = ExchangeMessage.objects.get(message_id=item.message_id, copy_number=1)
    with pytest.raises(DatabaseError), transaction.atomic():  # evidence: the guard trigger refuses
        ExchangeMessage.objects.filter(pk=copy.pk).update(copy_number=2)
    again = ExchangeMessage.objects.get(pk=copy.pk)
    again.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        again.save(force_insert=True)  # the same copy number twice
    again.copy_number = 0
    with pytest.raises(IntegrityError), transaction.atomic():
        again.save(force_insert=True)  # a second first copy: the replay window


def test_a_re_signed_copy_of_the_same_message_is_a_duplicate_and_a_changed_one_a_replay(world):
    first = notice(world)
    opened = envelopes.open(first)
    header = json.loads(first.header_bytes)
    later = (timezone.now() + dt.timedelta(seconds=90)).isoformat(timespec="milliseconds")
    again = notice(world, message_id=header["message_id"], timestamp=later.replace("+00:00", "Z"))
    assert again.header_bytes != first.header_bytes
    duplicate = envelopes.open(again)
    assert duplicate.duplicate and duplicate.message.pk == opened.message.pk
    changed = notice(world, message_id=header["message_id"], body=notice_body(charge="另一案由"))
    refused(changed, "exchange.replay")


def test_a_partner_refusal_is_a_dead_letter_at_once(world, court, supervisor):
    class Refusing:
        def send(self, endpoint, envelope, *, timeout):
            raise EnvelopeError("exchange.caller_not_allowed", "发送方无权调用该服务", status=403)

    item = queue(world, court)
    assert outbox.relay_once(Refusing()).dead == 1
    item.refresh_from_db()
    assert item.status == OutboxStatus.DEAD and "exchange.caller_not_allowed" in item.last_error
    assert len(alerts(supervisor, "exchange.dead_letter")) == 1


# --- signing unavailable --------------------------------------------------------------------------


def test_signing_unavailable_queues_unsigned_alerts_and_sends_once_a_key_is_back(
    world, court, supervisor, monkeypatch
):
    def no_key():
        raise KeyRingError("signing.no_key", "没有可用的签名密钥")

    fake = FakeCourt(world)
    monkeypatch.setattr(envelopes, "default_keyring", no_key)
    item = queue(world, court)
    assert item.status == OutboxStatus.UNSIGNED and item.get_status_display() == "待签名"
    assert item.log_entry is None and b"id_number" not in bytes(item.body_sealed)
    assert not ExchangeMessage.objects.filter(message_id=item.message_id).exists()
    assert len(alerts(supervisor, "exchange.signing_unavailable")) == 1
    result = outbox.relay_once(fake)
    assert result.signed == 0 and fake.calls == []  # nothing leaves unsigned
    monkeypatch.setattr(envelopes, "default_keyring", lambda: world["ring"])
    result = outbox.relay_once(fake)
    item.refresh_from_db()
    assert result.signed == 1 and result.confirmed == 1 and item.status == OutboxStatus.CONFIRMED
    assert fake.calls == [str(item.message_id)] and item.log_entry.direction == Direction.OUTBOUND


# --- dead letters: the workbench page, resend, the case view's words ------------------------------


def _dead(world, court) -> OutboxItem:
    item = queue(world, court)
    OutboxItem.objects.filter(pk=item.pk).update(
        status=OutboxStatus.DEAD, attempts=31, dead_at=timezone.now(), last_error="投递不确定：连接被重置"
    )
    item.refresh_from_db()
    return item


def test_resend_over_the_api_is_for_exchange_operators_in_scope_and_audited(world, court, operator):
    item = _dead(world, court)
    url = f"/api/v1/exchange/messages/{item.message_id}/resend/"
    # In the jurisdiction but not a 数据交换管理员: refused (403), whatever the role.
    for role in (Role.WINDOW_CLERK, Role.SUPERVISOR, Role.SYSTEM_ADMIN, Role.DECISION_MAKER):
        other = staff(f"hz-{role}-resend", world["orgs"]["hz"], role)
        refused = client(other).post(url)
        assert refused.status_code == 403 and refused.json()["code"] == "exchange.resend_forbidden", role
    # Operators elsewhere, or below the sending organisation: the message does not exist (404).
    beijing = staff("bj-exchange-resend", world["orgs"]["bj"], Role.EXCHANGE_OPERATOR)
    below = staff("xh-exchange-resend", world["orgs"]["xh"], Role.EXCHANGE_OPERATOR)
    for outsider in (beijing, below):
        assert client(outsider).post(url).status_code == 404
    assert client(world["people"]["citizen"]).post(url).status_code == 403
    item.refresh_from_db()
    assert item.status == OutboxStatus.DEAD
    answer = client(operator).post(url)
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "pending" and answer.json()["attempts"] == 0
    item.refresh_from_db()
    assert item.status == OutboxStatus.PENDING and item.alerts_sent == 0
    event = AuditEvent.objects.get(action="exchange.outbox.resend")
    assert event.actor == operator and event.object_id == str(item.message_id)
    assert event.role == Role.EXCHANGE_OPERATOR
    assert client(operator).post(url).json()["code"] == "exchange.not_dead"
    assert client(operator).post(url, {"x": 1}, format="json").status_code == 400
    fake = FakeCourt(world)
    assert outbox.relay_once(fake).confirmed == 1 and fake.calls == [str(item.message_id)]


def test_an_operator_above_the_sending_organisation_resends_and_hears_the_alerts(world, court):
    province = staff("zj-exchange", world["orgs"]["zj"], Role.EXCHANGE_OPERATOR)
    beijing = staff("bj-exchange-alerts", world["orgs"]["bj"], Role.EXCHANGE_OPERATOR)
    supervisor = staff("hz-supervisor-alerts", world["orgs"]["hz"], Role.SUPERVISOR)
    item = queue(world, court)
    outbox._dead(item, "24 小时内未能送达")
    assert len(alerts(province, "exchange.dead_letter")) == 1
    assert len(alerts(supervisor, "exchange.dead_letter")) == 1
    assert alerts(beijing, "exchange.dead_letter") == []
    assert client(province).post(f"/api/v1/exchange/messages/{item.message_id}/resend/").status_code == 200


def test_the_dead_letter_page_is_the_exchange_operators_of_my_jurisdiction(world, court, operator):
    item = _dead(world, court)
    browser = Client()
    verified_login(browser, operator)
    assert "交换失败消息" in browser.get("/workbench/").content.decode()
    page = browser.get("/workbench/exchange/failed/").content.decode()
    assert str(item.message_id) in page and "连接被重置" in page and "重新发送" in page
    beijing = staff("bj-exchange", world["orgs"]["bj"], Role.EXCHANGE_OPERATOR, totp=True)
    other = Client()
    verified_login(other, beijing)
    assert str(item.message_id) not in other.get("/workbench/exchange/failed/").content.decode()
    assert other.post(f"/workbench/exchange/{item.message_id}/resend/").status_code == 404
    url = f"/workbench/exchange/{item.message_id}/resend/"
    assert "确认重新发送" in browser.post(url).content.decode()
    item.refresh_from_db()
    assert item.status == OutboxStatus.DEAD
    done = browser.post(url, {"confirmed": "1"}, follow=True).content.decode()
    assert "已重新排队发送" in done
    item.refresh_from_db()
    assert item.status == OutboxStatus.PENDING
    # Other staff of the jurisdiction, supervisors and system administrators included: no such page.
    for name, role in (("hz-clerk-2", Role.WINDOW_CLERK), ("hz-supervisor-page", Role.SUPERVISOR)):
        clerk = Client()
        verified_login(clerk, staff(name, world["orgs"]["hz"], role, totp=True))
        assert clerk.get("/workbench/exchange/failed/").status_code == 404
        assert clerk.post(url).status_code == 404
        assert "交换失败消息" not in clerk.get("/workbench/").content.decode()


def test_the_case_view_words(world, court):
    from sifa.exchange.selectors import case_messages
    from sifa.organisations.scope import actor_for

    confirmed = queue(world, court)
    outbox.relay_once(FakeCourt(world))
    waiting = queue(world, court)
    dead = _dead(world, court)
    words = {m["message_id"]: m["label"] for m in case_messages(actor_for(world["people"]["hz"]), CASE)}
    assert words == {
        str(confirmed.message_id): "已发送",
        str(waiting.message_id): "待对方确认",
        str(dead.message_id): "失败需人工处理",
    }
    assert case_messages(actor_for(world["people"]["bj"]), CASE) == []
    listed = client(world["people"]["hz"]).get("/api/v1/exchange/messages/", {"case": CASE}).json()["results"]
    by_id = {row["message_id"]: row["delivery"] for row in listed if row["direction"] == "out"}
    assert by_id[str(confirmed.message_id)]["case_label"] == "已发送"
    assert by_id[str(dead.message_id)]["status_label"] == "失败需人工处理"


def test_the_relay_command_sends_through_the_installed_transport(world, court):
    from django.core.management import call_command

    from sifa.exchange.transport import use_transport

    item = queue(world, court)
    fake = FakeCourt(world)
    use_transport(fake)
    try:
        call_command("exchange", "relay", verbosity=0)
        call_command("relay-exchange-outbox", verbosity=0)
    finally:
        use_transport(None)
    item.refresh_from_db()
    assert item.status == OutboxStatus.CONFIRMED and fake.calls == [str(item.message_id)]


def test_the_back_off_and_the_claim_lease_are_settings_for_tests(settings):
    """``SIFA_EXCHANGE_RETRY_BASE_MS`` and ``SIFA_EXCHANGE_CLAIM_LEASE_SECONDS`` (the R3 chaos test);
    the cap stays 120 × the first delay."""
    settings.EXCHANGE_RETRY_BASE_MS = 50
    settings.EXCHANGE_CLAIM_LEASE_SECONDS = 2
    rng = random.Random(3)
    for attempts, nominal in [(1, 0.05), (2, 0.1), (8, 6.0), (40, 6.0)]:
        assert nominal * 0.8 <= outbox.retry_delay(attempts, rng).total_seconds() <= nominal * 1.2
    assert outbox.claim_lease() == dt.timedelta(seconds=2)


def test_only_the_partners_answer_to_a_relayed_message_commits_without_its_own_fsync(
    world, court, monkeypatch
):
    """ADR 0018: the answer the relay got back is logged with ``own_fsync=False`` (it commits by
    itself, and the item's confirmation after it commits durably); the message queued, and a
    message a partner sent to the inbox (it is acknowledged for it), keep their fsync."""
    from sifa.exchange.services import log
    from sifa.exchange.services.inbox import receive

    calls: list[tuple[str, bool]] = []
    append = log.append

    def spy(envelope, header, body, **options):
        calls.append((header["kind"], options.get("own_fsync", True)))
        return append(envelope, header, body, **options)

    monkeypatch.setattr(log, "append", spy)
    queue(world, court)
    assert outbox.relay_once(FakeCourt(world)).confirmed == 1
    receive(notice(world).as_wire())
    assert calls == [("request", True), ("response", False), ("request", True), ("response", True)]


def test_a_copy_signed_again_is_durable_before_it_leaves(world, court, monkeypatch):
    """ADR 0020, 0022: the relay logs a copy signed again with ``before_sending=True`` (outside a
    transaction one statement committed by itself and durable when ``append`` returns:
    ``test_log_durability``) and hands it to the transport only after ``append`` has returned; the
    first copy was committed with the caller's transaction, long before the relay sends it."""
    from sifa.exchange.services import log

    events: list[str] = []
    append = log.append

    def spy_append(envelope, header, body, **options):
        events.append(f"log {header['kind']} {options.get('copy_number', 0)}")
        row = append(envelope, header, body, **options)
        if options.get("before_sending"):
            events.append("durable")
        return row

    monkeypatch.setattr(log, "append", spy_append)
    fake = FakeCourt(world, lambda n: "lost" if n < 2 else "ok")
    send = fake.send

    def spy_send(endpoint, envelope, *, timeout):
        events.append("send")
        return send(endpoint, envelope, timeout=timeout)

    fake.send = spy_send
    start = timezone.now().replace(microsecond=0)
    with at(start):
        queue(world, court)
        outbox.relay_once(fake)
    with at(start + dt.timedelta(minutes=10)):  # past half the clock window: signed again
        assert outbox.relay_once(fake).confirmed == 1
    assert events == [
        "log request 0",
        "send",
        "log request 1",
        "durable",
        "send",
        "log response 0",
    ]
