"""Seal and open: an accepted message is logged with its evidence; every way a message can be wrong
is refused with its own code and recorded (R5); nothing is ever sent unsigned."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.utils import timezone

from sifa.core.signing import KeyRing
from sifa.core.signing.registry import generate_signer
from sifa.exchange.envelope import Envelope, EnvelopeError, mask_id_numbers
from sifa.exchange.models import Direction, ExchangeMessage, MessageStatus, PartnerKey, Rejection
from sifa.exchange.services import envelopes, partners

from .conftest import (
    CASE,
    SUSPECT_ID,
    needs_openssl,
    notice,
    notice_body,
    openssl_verify,
    signer_of,
    tampered,
)

pytestmark = pytest.mark.django_db


def refused(envelope: Envelope, code: str, **kwargs) -> Rejection:
    before = Rejection.objects.count()
    with pytest.raises(EnvelopeError) as error:
        envelopes.open(envelope, **kwargs)
    assert error.value.code == code, error.value.message
    assert Rejection.objects.count() == before + 1
    rejection = Rejection.objects.order_by("-id").first()
    assert rejection.code == code and rejection.reason == error.value.message
    return rejection


def test_an_accepted_message_is_logged_with_its_evidence_and_no_id_number_in_clear(world):
    envelope = notice(world)
    opened = envelopes.open(envelope)
    assert not opened.duplicate and opened.header["issue"] == CASE
    assert opened.body == notice_body()
    row = ExchangeMessage.objects.get(pk=opened.message.pk)
    assert row.direction == Direction.INBOUND and row.status == MessageStatus.RECEIVED
    assert row.header.encode() == envelope.header_bytes and bytes(row.signature) == envelope.signature
    assert row.partner == world["partners"]["court"] and row.scope_path == world["orgs"]["hz"].path
    assert row.seq is None  # chained later, in a batch
    stored = json.dumps(row.body_masked, ensure_ascii=False) + row.header
    assert SUSPECT_ID not in stored and SUSPECT_ID.encode() not in bytes(row.body_sealed)
    assert row.body_masked["suspect"]["id_number"] == SUSPECT_ID[:3] + "*" * 11 + SUSPECT_ID[-4:]
    assert envelopes.stored_envelope(row) == envelope  # the sealed body is the exact evidence


def test_a_tampered_body_is_refused(world):
    envelope = notice(world)
    body = json.dumps(notice_body(charge="盗窃罪"), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    rejection = refused(tampered(envelope, body=body.encode()), "exchange.digest_mismatch")
    assert rejection.sender == world["partners"]["court"].uscc
    assert rejection.message_id == json.loads(envelope.header_bytes)["message_id"]


def test_a_tampered_signature_is_refused(world):
    envelope = notice(world)
    signature = bytearray(envelope.signature)
    signature[-3] ^= 0x01
    refused(tampered(envelope, signature=bytes(signature)), "exchange.bad_signature")


def test_a_tampered_header_is_refused(world):
    envelope = notice(world)
    header = envelope.header_bytes.replace("通知法律援助机构".encode(), "查询法律援助机构".encode())
    refused(tampered(envelope, header=header), "exchange.bad_signature")


def test_an_unknown_key_and_another_partners_key_are_refused(world):
    stranger = generate_signer("SM2-with-SM3", timezone.now())
    refused(notice(world, signer=stranger), "exchange.unknown_key")
    # The police's key is registered, but not for the court.
    refused(notice(world, "court", signer=signer_of(world, "police")), "exchange.unknown_key")


def test_an_unknown_sender_is_refused(world):
    from sifa.core.identifiers import make_uscc

    stranger = make_uscc("1", "1", "330100", "99999999")
    refused(notice(world, sender=stranger), "exchange.unknown_sender")


def test_rotation_the_key_valid_at_the_message_time_counts(world):
    court = world["partners"]["court"]
    old_key = PartnerKey.objects.get(partner=court)
    now = timezone.now()
    partners.add_key(
        court, old_key.public_key_pem, key_id=old_key.key_id, valid_from=now - dt.timedelta(days=1)
    )
    new = generate_signer("SM2-with-SM3", now)
    partners.add_key(court, new.public_key_pem(), key_id=new.key_id, valid_from=now - dt.timedelta(minutes=1))
    partners.retire_key(old_key, at=now - dt.timedelta(seconds=30))
    stamp = (now - dt.timedelta(minutes=2)).isoformat(timespec="milliseconds")
    assert envelopes.open(notice(world, timestamp=stamp))  # signed with the old key before it was retired
    refused(notice(world), "exchange.key_not_valid")  # the old key, now retired
    assert envelopes.open(notice(world, signer=new))  # the new key


def test_the_same_message_twice_is_a_duplicate_and_another_under_its_id_a_replay(world):
    envelope = notice(world)
    first = envelopes.open(envelope)
    again = envelopes.open(envelope)
    assert again.duplicate and again.message.pk == first.message.pk
    message_id = first.header["message_id"]
    replay = notice(world, message_id=message_id, body=notice_body(charge="另一案由"))
    refused(replay, "exchange.replay")
    assert ExchangeMessage.objects.filter(message_id=message_id).count() == 1


def test_stale_and_future_timestamps_are_refused(world):
    old = (timezone.now() - dt.timedelta(minutes=6)).isoformat(timespec="milliseconds")
    refused(notice(world, timestamp=old), "exchange.stale")
    ahead = (timezone.now() + dt.timedelta(minutes=6)).isoformat(timespec="milliseconds")
    refused(notice(world, timestamp=ahead), "exchange.future")


def test_the_clock_window_is_configurable(world, settings):
    settings.EXCHANGE_CLOCK_SKEW_SECONDS = 900
    old = (timezone.now() - dt.timedelta(minutes=10)).isoformat(timespec="milliseconds")
    assert envelopes.open(notice(world, timestamp=old))


def test_deny_by_default_receiver_service_caller_and_schema(world):
    refused(notice(world, receiver=world["partners"]["police"].uscc), "exchange.wrong_receiver")
    refused(notice(world, service={"code": "no.such", "version": "1"}), "exchange.unknown_service")
    lawyer_status = {"code": "lawyer.status", "version": "1"}
    refused(
        notice(world, "police", service=lawyer_status, body={"licence_number": "1"}),
        "exchange.caller_not_allowed",
    )
    refused(notice(world, body={"case_number": CASE}), "exchange.schema")


def test_a_response_must_answer_one_of_our_messages(world):
    import uuid

    refused(notice(world, kind="response", correlation_id=str(uuid.uuid4())), "exchange.unknown_correlation")


def test_an_answer_must_be_addressed_to_the_organisation_that_sent_the_message(world):
    from django.db import transaction

    from sifa.exchange.services import log

    bj, court = world["orgs"]["bj"], world["partners"]["court"]
    body = {"case_number": CASE}
    sent = envelopes.seal(
        {
            "kind": "request",
            "purpose": "通知办案机关已指派的律师",
            "service": {"code": "legal-aid.assignment", "version": "1"},
            "sender": bj.uscc,
            "receiver": court.uscc,
            "user_id": {"official": "bj-window", "organisation": bj.name},
        },
        body,
    )
    with transaction.atomic():
        log.append(
            sent,
            json.loads(sent.header_bytes),
            body,
            direction=Direction.OUTBOUND,
            status=MessageStatus.SENT,
            partner=court,
            scope_path=bj.path,
        )
    message_id = json.loads(sent.header_bytes)["message_id"]
    # Addressed to 杭州 (the notice's receiver), but 北京 sent the message: it answers nothing.
    refused(notice(world, kind="receipt", correlation_id=message_id), "exchange.unknown_correlation")
    assert envelopes.open(notice(world, kind="receipt", correlation_id=message_id, receiver=bj.uscc))


def test_malformed_envelopes_are_refused(world):
    envelope = notice(world)
    header = json.loads(envelope.header_bytes)
    del header["purpose"]
    refused(Envelope.from_wire({"header": header, "body": {}, "signature": "AAAA"}), "exchange.malformed")
    with pytest.raises(EnvelopeError):
        Envelope.from_wire({"header": {"a": 1.5}, "body": {}, "signature": "AAAA"})
    wire = envelope.as_wire()
    wire["signature"] = "not base64!"
    with pytest.raises(EnvelopeError):
        Envelope.from_wire(wire)
    refused(Envelope(b'{"kind":"request"}', envelope.body_bytes, envelope.signature), "exchange.malformed")


def test_the_wire_form_read_once_is_the_one_opened_and_a_deep_one_is_still_parsed(world, settings):
    envelope = notice(world)
    wire = envelope.wire_bytes()
    # The bytes posted: the signed header and body as they are, the same JSON as as_wire().
    assert json.loads(wire) == envelope.as_wire()
    assert wire == json.dumps(envelope.as_wire(), ensure_ascii=False, separators=(",", ":")).encode()
    read = Envelope.from_wire(json.loads(wire))
    assert read == envelope and read.parsed == (json.loads(envelope.header_bytes), notice_body())
    assert envelopes.open(read).body == notice_body()  # opened from the objects read once
    # Nested deeper than a canonical parse allows: no shortcut, refused as before.
    settings.JSON_MAX_DEPTH = 3
    deep = {**notice_body(), "x": {"y": {"z": {}}}}
    header = json.loads(envelope.header_bytes)
    read = Envelope.from_wire({"header": header, "body": deep, "signature": "AAAA"})
    assert read.parsed is None
    refused(read, "exchange.malformed")


def test_without_a_key_nothing_is_signed(world, tmp_path, monkeypatch):
    empty = KeyRing(tmp_path / "none", generate=False)
    monkeypatch.setattr(envelopes, "default_keyring", lambda: empty)
    with pytest.raises(envelopes.SigningUnavailable) as error:
        envelopes.seal(
            {
                "kind": "request",
                "purpose": "核验申请人身份",
                "service": {"code": "identity.verify", "version": "1"},
                "sender": world["orgs"]["hz"].uscc,
                "receiver": world["partners"]["police"].uscc,
                "user_id": {"official": "hz-window", "organisation": "杭州市司法局"},
            },
            {"name": "王某某", "id_number": SUSPECT_ID},
        )
    assert error.value.code == "exchange.signing_unavailable" and error.value.status == 503


def test_masking_finds_id_numbers_anywhere():
    masked = mask_id_numbers({"a": [f"身份证 {SUSPECT_ID} 号"], "b": 1, "c": "12345678901234567890"})
    assert SUSPECT_ID not in json.dumps(masked, ensure_ascii=False)
    assert masked["c"] == "12345678901234567890" and masked["b"] == 1


@needs_openssl
def test_openssl_verifies_a_sealed_header_and_refuses_a_changed_byte(world, tmp_path):
    ring = world["ring"]
    envelope = envelopes.seal(
        {
            "kind": "request",
            "purpose": "核验申请人身份",
            "service": {"code": "identity.verify", "version": "1"},
            "sender": world["orgs"]["hz"].uscc,
            "receiver": world["partners"]["police"].uscc,
            "user_id": {"official": "hz-window", "organisation": "杭州市司法局"},
        },
        {"name": "王某某", "id_number": SUSPECT_ID},
    )
    header = json.loads(envelope.header_bytes)
    pem = ring.verifier(header["key_id"]).public_key_pem()
    good = openssl_verify(tmp_path / "good", pem, envelope.header_bytes, envelope.signature)
    assert good.returncode == 0 and "Signature Verified Successfully" in good.stdout, good.stderr
    changed = bytearray(envelope.header_bytes)
    changed[len(changed) // 2] ^= 0x01
    bad = openssl_verify(tmp_path / "bad", pem, bytes(changed), envelope.signature)
    assert bad.returncode != 0
    assert base64.b64decode(envelope.as_wire()["signature"]) == envelope.signature


SCHEMAS = [
    {"type": "object", "required": ["match"], "properties": {"match": {"type": "boolean"}}},
    {
        "type": "object",
        "required": ["has_record"],
        "properties": {"has_record": {"type": "boolean"}, "checked_at": {"type": "string"}},
    },
    {"type": "object"},
    {},
    {
        "type": "object",
        "title": "t",
        "properties": {
            "n": {"type": "integer"},
            "x": {"type": "null"},
            "l": {"type": "array"},
            "o": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
        },
    },
    {"type": "object", "properties": {"s": {"type": "string", "maxLength": 2}}},
    {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "string"}}},
    {"type": ["object", "null"], "required": ["a"]},
    {"type": "object", "properties": {"n": {"type": "number"}}},
    {"required": ["a"], "properties": {"a": True, "b": False}},
]
INSTANCES = [
    {},
    {"match": True},
    {"match": False, "checked_at": "2026-12-08T00:00:00Z"},
    {"match": 1},
    {"match": "true"},
    {"match": None},
    {"has_record": False, "checked_at": 3},
    {"has_record": True, "checked_at": "x"},
    {"n": 1, "x": None, "l": [], "o": {"a": "b"}},
    {"n": True, "x": 0, "l": {}, "o": {"b": 1}},
    {"n": 2**60, "o": {"a": 1}},
    {"n": 1.0},
    {"n": 1.5},
    {"s": "abc"},
    {"s": "ab"},
    {"a": "x", "b": 1},
    {"a": "x"},
    {"b": 1},
]


def test_the_plain_schema_check_accepts_only_what_jsonschema_accepts():
    """``plainly_valid`` may skip ``jsonschema`` only for a body ``jsonschema`` finds valid, and it
    does so for the services' answers (their schemas use type, required and properties only)."""
    from jsonschema import Draft202012Validator

    plain = 0
    for schema in SCHEMAS:
        validator = Draft202012Validator(schema)
        for instance in INSTANCES:
            if envelopes.plainly_valid(schema, instance):
                plain += 1
                assert validator.is_valid(instance), (schema, instance)
    assert envelopes.plainly_valid(SCHEMAS[0], {"match": True, "checked_at": "2026-12-08T00:00:00Z"})
    assert not envelopes.plainly_valid(SCHEMAS[5], {"s": "ab"})  # maxLength: left to jsonschema
    assert plain >= 20
