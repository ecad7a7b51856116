"""Sealing and opening signed envelopes (docs/exchange.md, "Envelope").

* :func:`seal` signs with Sifa's active key (``sifa.core.signing.default_keyring``) or the signer
  given. No key, an expired key or a failing signer raises :class:`SigningUnavailable` (503): a
  message is never sent unsigned.
* :func:`open` checks a partner's envelope against the registry and logs it; every refusal is a
  :class:`~sifa.exchange.envelope.EnvelopeError` with a stable code, recorded as a
  :class:`~sifa.exchange.models.Rejection` before it is raised (call it outside a transaction
  that the refusal would roll back, as the inbox does).

The checks, in order: shape → known sender → the key is the sender's → signature over the header
→ the key was valid at the message's time → the body matches the signed digest → the message id
(the same message again is a duplicate and gets the first answer; another message under a seen id
is a replay) → the timestamp within ±``SIFA_EXCHANGE_CLOCK_SKEW_SECONDS`` → the receiver is one of
Sifa's organisations → the service is registered and the caller allowed (deny by default) → the
body matches the service's JSON Schema.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone
from jsonschema.exceptions import SchemaError

from sifa.core.db import first_read
from sifa.core.errors import ServiceError
from sifa.core.signing import (
    CanonicalJsonError,
    KeyRingError,
    Signer,
    SigningError,
    Verifier,
    canonical_json,
    default_keyring,
    load_verifier,
    parse_canonical_json,
)
from sifa.exchange import registry
from sifa.exchange.envelope import (
    Envelope,
    EnvelopeError,
    body_digest,
    check_header,
    is_duplicate,
    now_timestamp,
    parse_timestamp,
    settings_object,
)
from sifa.exchange.models import (
    Direction,
    ExchangeMessage,
    MessageStatus,
    Partner,
    Rejection,
)
from sifa.exchange.services import log

STATUS = {
    "exchange.malformed": 400,
    "exchange.unknown_sender": 403,
    "exchange.unknown_key": 403,
    "exchange.bad_signature": 403,
    "exchange.key_not_valid": 403,
    "exchange.digest_mismatch": 400,
    "exchange.replay": 409,
    "exchange.stale": 400,
    "exchange.future": 400,
    "exchange.wrong_receiver": 400,
    "exchange.unknown_service": 400,
    "exchange.caller_not_allowed": 403,
    "exchange.unknown_correlation": 400,
    "exchange.schema": 400,
}
"""Every reason an inbound message is refused, and the HTTP status the inbox answers with."""


class SigningUnavailable(ServiceError):
    """Sifa cannot sign now (no key, key expired, signer failing): nothing is sent unsigned."""

    status = 503

    def __init__(self, detail: str) -> None:
        super().__init__("exchange.signing_unavailable", f"签名服务不可用，消息未发送：{detail}")


def _refuse(code: str, message: str) -> EnvelopeError:
    return EnvelopeError(code, message, status=STATUS[code])


# --- sealing ------------------------------------------------------------------------------------


def seal(header: dict[str, Any], body: dict[str, Any], *, signer: Signer | None = None) -> Envelope:
    """Sign ``body`` under ``header`` (sender, receiver, service, purpose, user_id, kind, …).

    ``message_id`` (UUID4), ``timestamp`` (now), ``correlation_id`` (None) and ``issue`` ("") are
    filled when absent; ``key_id`` and ``body_digest`` are always set here.
    """
    fields = dict(header)
    fields.setdefault("message_id", str(uuid.uuid4()))
    fields.setdefault("correlation_id", None)
    fields.setdefault("timestamp", now_timestamp())
    fields.setdefault("issue", "")
    try:
        body_bytes = canonical_json(body)
    except CanonicalJsonError as error:
        raise EnvelopeError("exchange.malformed", f"正文不能规范化：{error.message}") from None
    if signer is None:
        try:
            signer = default_keyring().signer()
        except (KeyRingError, SigningError) as error:
            raise SigningUnavailable(error.message) from None
    fields["key_id"] = signer.key_id
    fields["body_digest"] = body_digest(body_bytes)
    check_header(fields)
    header_bytes = canonical_json(fields)
    try:
        signature = signer.sign(header_bytes)
    except Exception as error:  # any failure of the signer is "cannot sign", never "send anyway"
        raise SigningUnavailable(type(error).__name__) from None
    if not signature:
        raise SigningUnavailable("签名为空")
    return Envelope(header_bytes, body_bytes, signature)


# --- opening ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """An accepted inbound message: its header and body, its log row, and whether it had been
    received before (``duplicate``: the caller answers with the first answer)."""

    header: dict[str, Any]
    body: dict[str, Any]
    message: ExchangeMessage
    partner: Partner
    duplicate: bool = False


@lru_cache(maxsize=256)
def _verifier(key_id: str, pem: str) -> Verifier:
    return load_verifier(pem, key_id)


def open(
    envelope: Envelope,
    *,
    now: dt.datetime | None = None,
    remote_addr: str = "",
    answering_since: dt.datetime | None = None,
    answers_sent: bool = False,
) -> Opened:
    """Check and log an inbound envelope; refuse (and record why) anything not exactly right.

    ``answering_since``: the envelope is the answer the relay got back for a message queued at that
    moment. A partner answers a retry with its first answer, byte for byte, so the answer may be
    older than the clock window; it may not be older than the message it answers.
    ``answers_sent``: the same, with that moment the signed time of the logged message the answer
    correlates to (the HTTP transport's synchronous answer), read in the same query that checks
    the correlation."""
    try:
        return _open(envelope, now or timezone.now(), answering_since, answers_sent)
    except EnvelopeError as error:
        record_rejection(error, envelope.header_bytes, remote_addr)
        raise


def _parse(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = parse_canonical_json(data)
    except CanonicalJsonError:
        raise _refuse("exchange.malformed", f"{what}不是规范 JSON") from None
    if not isinstance(value, dict):
        raise _refuse("exchange.malformed", f"{what}应为 JSON 对象")
    return value


def _open(
    envelope: Envelope,
    now: dt.datetime,
    answering_since: dt.datetime | None = None,
    answers_sent: bool = False,
) -> Opened:
    if envelope.parsed is not None:  # read from the wire: the objects the signed bytes encode
        header, body = envelope.parsed
        check_header(header)
    else:
        header = check_header(_parse(envelope.header_bytes, "消息头"))
        body = _parse(envelope.body_bytes, "正文")
    partner = registry.partner(header["sender"])
    if partner is None:
        raise _refuse("exchange.unknown_sender", "发送方不是登记的交换伙伴")
    key = registry.partner_key(partner, header["key_id"])
    if key is None:
        raise _refuse("exchange.unknown_key", "签名密钥不是发送方登记的公钥")
    try:
        verifier = _verifier(key.key_id, key.public_key_pem)
    except SigningError:
        raise _refuse("exchange.unknown_key", "发送方登记的公钥无法读取") from None
    if not verifier.verify(envelope.header_bytes, envelope.signature):
        raise _refuse("exchange.bad_signature", "签名验证失败：消息头或签名被改动，或不是该密钥所签")
    sent_at = parse_timestamp(header["timestamp"])
    if sent_at < key.valid_from or (key.valid_until is not None and sent_at >= key.valid_until):
        raise _refuse("exchange.key_not_valid", "签名密钥在消息时间不在有效期内（已过期或尚未生效）")
    if body_digest(envelope.body_bytes) != header["body_digest"]:
        raise _refuse("exchange.digest_mismatch", "正文与签名的摘要不符：正文被改动")
    seen_pk, answered = _seen_and_answered(header)
    if seen_pk is not None:
        return _duplicate(ExchangeMessage.objects.get(pk=seen_pk), header, body, partner, envelope)
    if answers_sent:
        answering_since = answered
    skew = dt.timedelta(seconds=settings_object().EXCHANGE_CLOCK_SKEW_SECONDS)
    if sent_at < (now if answering_since is None else min(now, answering_since)) - skew:
        raise _refuse("exchange.stale", "消息时间早于允许的时间窗口（过期消息）")
    if sent_at > now + skew:
        raise _refuse("exchange.future", "消息时间晚于当前时间，超出允许的时钟偏差")
    organisation = registry.organisation(header["receiver"])
    if organisation is None:
        raise _refuse("exchange.wrong_receiver", "接收方不是本平台的机构")
    schema = _service_schema(header, partner, answered)
    if schema:
        _check_schema(schema, body)
    try:
        # One INSERT: inside the caller's transaction a savepoint (a repeated id must not break
        # it); outside any, the statement commits by itself, as BEGIN, INSERT, COMMIT did.
        # The answer to Sifa's own request (``answers_sent``, ``answering_since``) committed by
        # itself does not wait for its own fsync (ADR 0018); a message a partner sent to the
        # inbox, which it is acknowledged for, always does.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            row = log.append(
                envelope,
                header,
                body,
                direction=Direction.INBOUND,
                status=MessageStatus.RECEIVED,
                partner=partner,
                scope_path=organisation.path,
                own_fsync=not (answers_sent or answering_since is not None),
            )
    except IntegrityError:
        # The same id arrived concurrently: one insert won; this one is its duplicate or a replay.
        seen = _seen(header)
        if seen is None:
            raise
        return _duplicate(seen, header, body, partner, envelope)
    return Opened(header, body, row, partner)


def _seen(header: dict[str, Any]) -> ExchangeMessage | None:
    return ExchangeMessage.objects.filter(
        sender=header["sender"], message_id=header["message_id"], copy_number=0
    ).first()


def _duplicate(
    seen: ExchangeMessage, header: dict[str, Any], body: dict[str, Any], partner: Partner, envelope: Envelope
) -> Opened:
    # The shared rule (the partner simulators apply it too): the same copy, or the same message
    # re-signed by its sender with a fresh timestamp (and perhaps a rotated key); else a replay.
    if not is_duplicate(seen.header, bytes(seen.signature), envelope.header_bytes, envelope.signature):
        raise _refuse("exchange.replay", "该消息标识已被使用：重放的消息")
    return Opened(header, body, seen, partner, duplicate=True)


def _seen_and_answered(header: dict[str, Any]) -> tuple[int | None, dt.datetime | None]:
    """(the primary key of the logged message with this sender and id, or None — a duplicate or a
    replay; for an answer, the signed time of the logged message it answers, or None if Sifa sent
    no such message to its sender) in one query.

    The message answered was sent by the organisation the answer is addressed to, so both halves
    are lookups by the log's unique key (sender, message_id); asked together they cost one
    statement and one ORM compilation per inbound message instead of two (docs/performance.md,
    "SM2 on OpenSSL, and the W9 profile"). The full row is read only for a duplicate."""
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: no proxy lookup per attribute
    table, quote = ExchangeMessage._meta.db_table, db.ops.quote_name
    uuid_field = ExchangeMessage._meta.get_field("message_id")
    hex_uuids = not db.features.has_native_uuid_field

    def message_id(value: str) -> Any:
        if hex_uuids and log.is_canonical_uuid(value):  # what the field's preparation makes of it
            return value.replace("-", "")
        return uuid_field.get_db_prep_value(value, db)

    # A hand-written statement on a plain cursor (the ORM compiled this OR of two lookups anew for
    # every message, ≈ 1.5 ms of CPU, and a raw queryset built a model per row); both halves are
    # lookups by the log's unique key. The keys are compared in the database's own form (the
    # message id as the backend stores it, as it was bound), the time converted as the ORM does.
    seen_key = (header["sender"], message_id(header["message_id"]))
    answered_key = None
    select = f"SELECT id, sender, message_id, direction, receiver, sent_at, copy_number FROM {quote(table)}"  # noqa: S608
    sql = f"{select} WHERE sender = %s AND message_id = %s AND copy_number = 0"
    params: list[Any] = [*seen_key]
    if header["kind"] != "request":
        answered_key = (header["receiver"], message_id(header["correlation_id"]))
        # Two lookups by the unique key, not one ``OR``: prepared while the log was empty,
        # PostgreSQL's generic plan for the ``OR`` was a sequential scan, kept for the
        # connection's life as the log grew (docs/performance.md, "session 15: W9 on PostgreSQL
        # as the log grows"); each branch of the ``UNION ALL`` is an index scan at any size.
        sql += (
            f" UNION ALL {select} WHERE direction = %s AND sender = %s AND message_id = %s AND receiver = %s"
        )
        params += [Direction.OUTBOUND.value, *answered_key, header["sender"]]
    # On SQLite the statement runs on the SQLite connection itself, on PostgreSQL prepared
    # (``sifa.core.db.first_read``: Django's cursor wrapper's steps without the wrapper, unless the
    # statement is to be logged or counted).
    rows = first_read(db, sql, params)
    seen_pk, answered = None, None
    for pk, sender, mid, direction, receiver, sent_at, copy_number in rows:
        key = (sender, mid)
        if key == seen_key and copy_number == 0:
            seen_pk = pk
        if (
            answered_key is not None
            and key == answered_key
            and direction == Direction.OUTBOUND
            and receiver == header["sender"]
        ):
            sent_at = _datetime_from_db(sent_at)
            # Of the copies sent (the first and those signed again for retries), the first.
            answered = sent_at if answered is None else min(answered, sent_at)
    return seen_pk, answered


_datetime_from_db = log.datetime_from_db


def _service_schema(header: dict[str, Any], partner: Partner, answered: dt.datetime | None) -> dict[str, Any]:
    code, version = header["service"]["code"], header["service"]["version"]
    if header["kind"] == "request":
        service = registry.own_service(code, version)
        if service is None:
            raise _refuse("exchange.unknown_service", f"本平台未提供服务 {code} v{version}")
        if header["sender"] not in (service.allowed_callers or []):
            raise _refuse("exchange.caller_not_allowed", "发送方无权调用该服务")
        return service.request_schema or {}
    if answered is None:
        raise _refuse("exchange.unknown_correlation", "所答复的消息不是本平台发给该伙伴的消息")
    service = registry.answered_service(partner, code, version)
    if service is None:
        raise _refuse("exchange.unknown_service", f"未登记的服务 {code} v{version}")
    return service.response_schema if header["kind"] == "response" else {}


def _check_schema(schema: dict[str, Any], body: dict[str, Any]) -> None:
    try:
        validator = registry.validator(schema)  # an invalid schema is refused first, as before
        if plainly_valid(schema, body):
            return
        error = next(iter(validator.iter_errors(body)), None)
    except SchemaError:
        raise _refuse("exchange.schema", "服务登记的 JSON Schema 无效") from None
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "正文"
        raise _refuse("exchange.schema", f"正文不符合服务的 JSON Schema（{where}）")


_TYPE_CHECKS = {
    "object": lambda value: isinstance(value, dict),
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "array": lambda value: isinstance(value, list),
    "null": lambda value: value is None,
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
}
"""JSON Schema's types as ``jsonschema``'s draft 2020-12 type checker decides them, for the values
a canonical body can hold (no floats: a float is left to ``jsonschema``, as is ``number``)."""
_ANNOTATIONS = frozenset(("title", "description", "$comment"))


def plainly_valid(schema: Any, value: Any) -> bool:
    """True only when ``value`` is valid against ``schema`` and the schema uses nothing but
    ``type`` (one name), ``required``, ``properties`` and annotations — the services' answer
    schemas. False means "ask ``jsonschema``": any other keyword, or an error, which
    ``jsonschema`` then finds and names. A body this accepts, ``jsonschema`` accepts: the rules
    are the draft's for those keywords (``required`` and ``properties`` apply to objects only), so
    the compiled validator's walk through its keyword functions is skipped for a valid answer
    (docs/performance.md, session 15)."""
    if schema is True:
        return True
    if type(schema) is not dict:
        return False
    for keyword, argument in schema.items():
        if keyword == "type":
            check = _TYPE_CHECKS.get(argument) if type(argument) is str else None
            if check is None or not check(value):
                return False
        elif keyword == "required":
            if type(argument) is not list:
                return False
            if isinstance(value, dict) and any(
                type(name) is not str or name not in value for name in argument
            ):
                return False
        elif keyword == "properties":
            if type(argument) is not dict:
                return False
            if isinstance(value, dict):
                for name, subschema in argument.items():
                    if name in value and not plainly_valid(subschema, value[name]):
                        return False
        elif keyword not in _ANNOTATIONS:
            return False
    return True


def record_rejection(error: ServiceError, header_bytes: bytes, remote_addr: str = "") -> Rejection:
    """Log a refusal with what the message claimed (never its body)."""
    try:
        claimed = json.loads(header_bytes)
    except (ValueError, TypeError):
        claimed = {}
    if not isinstance(claimed, dict):
        claimed = {}

    def text(name: str, limit: int) -> str:
        value = claimed.get(name)
        return value[:limit] if isinstance(value, str) else ""

    return Rejection.objects.create(
        received_at=timezone.now(),
        code=error.code[:60],
        reason=error.message[:200],
        message_id=text("message_id", 80),
        sender=text("sender", 40),
        key_id=text("key_id", 80),
        remote_addr=(remote_addr or "")[:45],
    )


def stored_envelope(row: ExchangeMessage) -> Envelope:
    """The exact envelope a log row holds (its body unsealed), e.g. to send a first answer again."""
    from sifa.core.crypto import field_cipher

    body = field_cipher().open(row.body_sealed, log.sealed_aad(row.sender, str(row.message_id)))
    return Envelope(row.header.encode("utf-8"), body.encode("utf-8"), bytes(row.signature))
