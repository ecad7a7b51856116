"""The inbox: a partner's signed envelope in, Sifa's signed answer out (``POST /api/v1/exchange/inbox/``).

Every accepted message gets a signed answer correlated to it (a ``response`` to a request, a
``receipt`` to a response or receipt), logged with it. The same message again gets the same
answer, byte for byte (idempotent by message id). What a request *does* is its service's handler
(``sifa.exchange.handlers``), run in the transaction that logs the answer; a service without one
is acknowledged (``{"status": "accepted"}``).

Rate limits (docs/exchange.md, "Rate limits"): the API refuses an address that sent too many
refused envelopes, or too many messages, with :class:`RateLimited` (429) before any check, and
:func:`rate_limited` logs that as **one** ``Rejection`` per address, reason and window.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from sifa.core import limits
from sifa.core.errors import ServiceError
from sifa.exchange.envelope import Envelope, EnvelopeError
from sifa.exchange.handlers import answer_body
from sifa.exchange.models import Direction, ExchangeMessage, MessageStatus
from sifa.exchange.services import log
from sifa.exchange.services.envelopes import STATUS, Opened, open, record_rejection, seal, stored_envelope
from sifa.organisations.models import Organisation

GATEWAY_OFFICIAL = "sifa-gateway"

RATE_LIMIT_MESSAGES = {
    "exchange.too_many_refused": "该地址发来的被拒收消息过多，已暂停接收，请 {wait} 秒后重试",
    "exchange.rate_limited": "该地址发送消息过于频繁，请 {wait} 秒后重试",
}


class RateLimited(ServiceError):
    """429: an address over the inbox's limits (``exchange.too_many_refused`` or
    ``exchange.rate_limited``); ``retry_after`` is the seconds until the window has room."""

    status = 429

    def __init__(self, code: str, retry_after: int) -> None:
        super().__init__(code, RATE_LIMIT_MESSAGES[code].format(wait=retry_after))
        self.retry_after = retry_after


def rate_limited(code: str, remote_addr: str, *, retry_after: int, window_seconds: int) -> RateLimited:
    """The refusal for an address over a limit, logged as a ``Rejection`` only the first time in
    the window (a flood must not fill the table): later ones in the window are answered, not logged."""
    error = RateLimited(code, max(1, retry_after))
    if limits.first(f"exchange-inbox-limited:{code}:{remote_addr}", window_seconds):
        logged = RateLimited(code, error.retry_after)
        logged.message = f"{error.message}（本时间窗 {window_seconds} 秒内同一地址的后续限流不再逐条记录）"
        record_rejection(logged, b"", remote_addr)
    return error


def receive(data: Any, *, remote_addr: str = "") -> Envelope:
    """Open the envelope in ``data`` (its JSON form) and answer it; refusals raise EnvelopeError."""
    try:
        envelope = Envelope.from_wire(data)
    except EnvelopeError as error:
        error.status = STATUS[error.code]
        record_rejection(error, b"", remote_addr)
        raise
    opened = open(envelope, remote_addr=remote_addr)
    if opened.duplicate:
        first = _answer_of(opened.message)
        if first is not None:
            return stored_envelope(first)
    return _answer(opened)


def refused_shape(remote_addr: str = "") -> None:
    """Log an envelope the API refused for its shape (not ``{header, body, signature}`` objects)."""
    record_rejection(
        EnvelopeError("exchange.malformed", "信封应为 {header, body, signature}"), b"", remote_addr
    )


def _answer_of(message: ExchangeMessage) -> ExchangeMessage | None:
    return (
        ExchangeMessage.objects.filter(
            direction=Direction.OUTBOUND,
            correlation_id=message.message_id,
            receiver=message.sender,
            copy_number=0,
        )
        .order_by("id")
        .first()
    )


def _answer(opened: Opened) -> Envelope:
    header = opened.header
    organisation = Organisation.objects.filter(uscc=header["receiver"]).first()
    answer_header = {
        "kind": "response" if header["kind"] == "request" else "receipt",
        "correlation_id": header["message_id"],
        "issue": header["issue"],
        "purpose": header["purpose"],
        "service": header["service"],
        "sender": header["receiver"],
        "receiver": header["sender"],
        "user_id": {
            "official": GATEWAY_OFFICIAL,
            "organisation": organisation.name if organisation else header["receiver"],
        },
    }
    with transaction.atomic():
        # One answer per message, even when two copies arrive together: the second waits for the
        # first's lock on the inbound row and then finds its answer.
        list(ExchangeMessage.objects.select_for_update().filter(pk=opened.message.pk).values_list("pk"))
        first = _answer_of(opened.message)
        if first is not None:
            return stored_envelope(first)
        body = answer_body(opened, organisation)
        envelope = seal(answer_header, body)
        log.append(
            envelope,
            json.loads(envelope.header_bytes),
            body,
            direction=Direction.OUTBOUND,
            status=MessageStatus.SENT,
            partner=opened.partner,
            scope_path=opened.message.scope_path,
        )
        log.set_status(opened.message, MessageStatus.ANSWERED)
    return envelope
