"""The HTTP transport: a sealed envelope POSTed to a partner's allow-listed endpoint, its signed
answer opened with the same checks as any inbound message (docs/exchange.md, "HTTP transport").

* The address is the partner's entry in ``SIFA_EXCHANGE_ENDPOINTS``
  (:func:`sifa.exchange.services.partners.endpoint_for`). :meth:`HttpTransport.send` refuses any
  other address: it never takes one from a message.
* Connect and read timeouts are separate (``SIFA_EXCHANGE_CONNECT_TIMEOUT_SECONDS``; the read
  timeout is the caller's ``timeout``).
* The answer goes through :func:`sifa.exchange.services.envelopes.open` (signature, key validity,
  digest, replay, clock window, correlation to the message sent, response schema), so it is logged
  as evidence, and any refusal is recorded as a ``Rejection``.

* Connections are kept alive and reused per endpoint (:class:`ConnectionPool`): an idle
  connection the partner has closed is dropped before use; a reused connection that fails before
  any byte of an answer arrives (the partner closed it as the request left) is retried **once**
  on a fresh connection, with the same bytes. A fresh connection is never retried here, a timeout
  never: those go back to the relay as before.

The errors are typed. Only the first two mean "delivery is uncertain" and are
:class:`~sifa.exchange.transport.TransportError`: the relay retries them, and the message id makes
the retry safe.

| error | code | retry |
|---|---|---|
| :class:`PartnerUnreachable` | ``exchange.partner_unreachable`` | yes: no connection, reset, a 5xx, 408 or 429 |
| :class:`PartnerTimeout` | ``exchange.partner_timeout`` | yes: no answer within the timeout |
| :class:`PartnerRefused` | ``exchange.partner_refused`` | no: a 4xx, with the partner's reason code (dead letter) |
| :class:`BadAnswer` | ``exchange.bad_answer`` | yes, until the 24 h are up: an answer that is not a valid signed answer |

The relay (:func:`sifa.exchange.services.outbox.attempt`) maps them: a ``TransportError`` is retried,
``PartnerRefused`` (an ``EnvelopeError``) is a dead letter at once, and ``BadAnswer`` is retried
with back-off (the partner may have answered badly once: a broken proxy, a clock out of step), so
a partner that keeps answering badly ends as a dead letter after 24 h.
"""

from __future__ import annotations

import email.parser
import http.client
import json
import os
import re
import select
import socket
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from sifa.core.errors import ServiceError
from sifa.exchange.envelope import Envelope, EnvelopeError, settings_object
from sifa.exchange.transport import TransportError

MAX_ANSWER_BYTES = 1024 * 1024
USER_AGENT = "sifa-exchange/1"
RETRY_STATUSES = (408, 429)
"""4xx answers that are not a refusal of the message (request timeout, too many requests): retried."""


class DeliveryError(ServiceError):
    """Sending to a partner failed. ``retryable`` says whether the relay should try again."""

    retryable = False
    status = 502


class PartnerUnreachable(DeliveryError, TransportError):
    """No connection, a reset before the answer, or a 5xx: the message may or may not have arrived."""

    retryable = True
    status = 503

    def __init__(self, detail: str) -> None:
        DeliveryError.__init__(self, "exchange.partner_unreachable", f"无法连接交换伙伴：{detail}")


class PartnerTimeout(DeliveryError, TransportError):
    """No connection or no answer in time: the message may or may not have arrived."""

    retryable = True
    status = 504

    def __init__(self, detail: str) -> None:
        DeliveryError.__init__(self, "exchange.partner_timeout", f"交换伙伴未在规定时间内答复：{detail}")


class PartnerRefused(DeliveryError, EnvelopeError):
    """The partner refused the message (4xx). ``partner_code`` is its reason code
    (e.g. ``exchange.bad_signature``); sending the same message again will not help. It is an
    :class:`~sifa.exchange.envelope.EnvelopeError`: the relay makes the item a dead letter at once."""

    def __init__(self, http_status: int, partner_code: str, partner_message: str) -> None:
        super().__init__(
            "exchange.partner_refused", f"交换伙伴拒收（{partner_code or http_status}）：{partner_message}"
        )
        self.http_status = http_status
        self.partner_code = partner_code
        self.partner_message = partner_message


class BadAnswer(DeliveryError):
    """The partner answered, but not with a valid signed answer to this message. ``reason`` is the
    check that failed (an ``exchange.*`` code when :func:`open` refused it). The relay retries it
    (a proxy that mangled one answer, a partner's clock out of step) until the 24 h are up."""

    retryable = True

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__("exchange.bad_answer", f"交换伙伴的答复无效（{reason}）：{detail}")
        self.reason = reason


@dataclass(frozen=True)
class Delivered:
    """The partner's answer: the envelope as received and what :func:`open` made of it."""

    envelope: Envelope
    header: dict[str, Any]
    body: dict[str, Any]
    message_pk: int
    duplicate: bool


class _OneSend:
    """An ``http.client`` connection that sends a request's head and a bytes body in one
    ``send``: ``http.client`` sends them in two, so on a connection without Nagle's delay
    (``TCP_NODELAY``) the partner's server wakes once for the head and again for the body, and
    each side makes one system call more per message (docs/performance.md, "session 10: W9").
    The bytes on the wire are the same, in the same order."""

    def post_json(self, path: str, body: bytes) -> None:
        """``request("POST", path, body=body, headers=REQUEST_HEADERS)``, its head written from a
        template: ``http.client`` built it line by line (``putrequest``, a ``putheader`` per
        header, each checked and encoded), the larger part of the client's HTTP work per message
        (docs/performance.md, session 15). The template is ``putrequest``'s own output for this
        connection's host and port (:func:`_head_start`), then ``Content-Length`` and the fixed
        headers in ``request``'s order, so the bytes are the same. Anything unusual (a request
        still in progress, a tunnel, another HTTP version, debugging) goes through ``request``."""
        state = self.__dict__  # http.client's private state, as its methods name it
        response = state["_HTTPConnection__response"]
        if response is not None and response.isclosed():
            state["_HTTPConnection__response"] = response = None
        if (
            response is not None
            or state["_HTTPConnection__state"] != http.client._CS_IDLE  # type: ignore[attr-defined]
            or self._tunnel_host  # type: ignore[attr-defined]
            or self._http_vsn != 11  # type: ignore[attr-defined]
            or self.debuglevel  # type: ignore[attr-defined]
        ):
            self.request("POST", path, body=body, headers=REQUEST_HEADERS)  # type: ignore[attr-defined]
            return
        head = _head_start(self.host, self.port, self.default_port, path)  # type: ignore[attr-defined]
        # putrequest's bookkeeping, then endheaders'
        state["_HTTPConnection__state"] = http.client._CS_REQ_STARTED  # type: ignore[attr-defined]
        self._method = "POST"
        state["_HTTPConnection__state"] = http.client._CS_REQ_SENT  # type: ignore[attr-defined]
        self.send(b"%sContent-Length: %d\r\n%s%s" % (head, len(body), _HEAD_END, body))  # type: ignore[attr-defined]

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        if type(message_body) is not bytes or encode_chunked:
            super()._send_output(message_body, encode_chunked)  # type: ignore[misc]
            return
        # http.client's own head: its buffered lines, then the blank line.
        self._buffer.extend((b"", b""))  # type: ignore[attr-defined]
        head = b"\r\n".join(self._buffer)  # type: ignore[attr-defined]
        del self._buffer[:]  # type: ignore[attr-defined]
        self.send(head + message_body)  # type: ignore[attr-defined]


REQUEST_HEADERS = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": USER_AGENT}
"""The request's own headers (``http.client`` adds Host, Accept-Encoding and Content-Length)."""
_HEAD_END = (
    b"".join(b"%s: %s\r\n" % (name.encode(), value.encode()) for name, value in REQUEST_HEADERS.items())
    + b"\r\n"
)


@lru_cache(maxsize=64)
def _head_start(host: str, port: int, default_port: int, path: str) -> bytes:
    """What ``http.client``'s ``putrequest("POST", path)`` writes for a connection to ``host`` and
    ``port`` (the request line, ``Host``, ``Accept-Encoding``), each line ended: the same method
    run once on a connection that never connects. Its checks (the path's characters) raise here as
    they would there."""
    scratch = http.client.HTTPConnection(host, port)
    scratch.default_port = default_port
    scratch.putrequest("POST", path)
    return b"".join(line + b"\r\n" for line in scratch._buffer)  # type: ignore[attr-defined]


_PLAIN_HEADER = re.compile(rb"[\x21-\x39\x3b-\x7e]+:[^\r\n]*\r?\n")
"""A header line the ``email`` parser reads as ``name: value`` alone: a token, a colon, no folding."""
_MAX_LINE = 65536
_MAX_HEADERS = 100


class _Response(http.client.HTTPResponse):
    """``http.client.HTTPResponse`` whose header block, when every line is a plain
    ``Name: value`` (no folded line, no ``From `` line, nothing the parser would note as a
    defect), becomes its ``HTTPMessage`` without the ``email`` package's feed parser, which cost
    more CPU than the rest of reading an answer (docs/performance.md, "session 10: W9"). The
    message holds the same ``(name, value)`` pairs the parser's ``compat32`` policy gives (the value
    without its leading blanks and line end); any other header block goes through the parser as
    before. The rest is ``HTTPResponse.begin`` as it is."""

    def begin(self) -> None:
        if self.headers is not None:
            return
        while True:  # read until a non-100 answer (the 100's header lines are skipped)
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            _header_lines(self.fp)
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = _message(_header_lines(self.fp))
        transfer_encoding = self.headers.get("transfer-encoding")
        self.chunked = bool(transfer_encoding) and transfer_encoding.lower() == "chunked"
        if self.chunked:
            self.chunk_left = None
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        if (
            status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED)
            or 100 <= status < 200
            or self._method == "HEAD"
        ):
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True


def _header_lines(fp: Any) -> list[bytes]:
    """``http.client``'s reading of a header block: its lines up to the blank one, with its limits."""
    lines = []
    while True:
        line = fp.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > _MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            return lines


def _message(lines: list[bytes]) -> http.client.HTTPMessage:
    """The header block as ``http.client.parse_headers`` reads it."""
    if lines[-1] in (b"\r\n", b"\n") and all(_PLAIN_HEADER.fullmatch(line) for line in lines[:-1]):
        message = http.client.HTTPMessage()
        for line in lines[:-1]:
            name, _, value = line.decode("iso-8859-1").partition(":")
            message.set_raw(name, value.lstrip(" \t").rstrip("\r\n"))
        message.set_payload("")
        return message
    return email.parser.Parser(_class=http.client.HTTPMessage).parsestr(b"".join(lines).decode("iso-8859-1"))


class _HTTPConnection(_OneSend, http.client.HTTPConnection):
    response_class = _Response


class _HTTPSConnection(_OneSend, http.client.HTTPSConnection):
    response_class = _Response


STALE_ERRORS = (http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError, BrokenPipeError)
"""What a kept-alive connection the partner closed meanwhile raises, before any answer byte."""


class ConnectionPool:
    """Idle HTTP(S) connections per endpoint, each used by one thread at a time.

    :meth:`take` gives an idle connection (``reused`` True) or a new, unconnected one; :meth:`give`
    keeps a connection whose answer was read whole and which the partner left open (at most
    ``max_idle`` per endpoint), and closes any other. A connection that is readable while idle has
    been closed by the partner (or holds bytes nobody asked for): it is dropped, never used. After a
    ``fork`` the child starts with an empty pool (the sockets are the parent's).
    """

    def __init__(self, max_idle: int = 8) -> None:
        self.max_idle = max_idle
        self._idle: dict[tuple[str, str, int | None], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def take(
        self, scheme: str, host: str, port: int | None, connect_timeout: float
    ) -> tuple[http.client.HTTPConnection, bool]:
        key = (scheme, host, port)
        while True:
            with self._lock:
                if self._pid != os.getpid():
                    self._idle, self._pid = {}, os.getpid()
                idle = self._idle.get(key)
                connection = idle.pop() if idle else None
            if connection is None:
                return self.new(scheme, host, port, connect_timeout), False
            if _still_open(connection):
                return connection, True
            connection.close()

    @staticmethod
    def new(scheme: str, host: str, port: int | None, connect_timeout: float) -> http.client.HTTPConnection:
        """A new connection, not yet connected."""
        cls = _HTTPSConnection if scheme == "https" else _HTTPConnection
        return cls(host, port, timeout=connect_timeout)

    def give(self, scheme: str, host: str, port: int | None, connection: http.client.HTTPConnection) -> None:
        key = (scheme, host, port)
        with self._lock:
            if self._pid == os.getpid():
                idle = self._idle.setdefault(key, [])
                if len(idle) < self.max_idle:
                    idle.append(connection)
                    return
        connection.close()

    def clear(self) -> None:
        with self._lock:
            pools, self._idle = self._idle, {}
        for idle in pools.values():
            for connection in idle:
                connection.close()


def _still_open(connection: http.client.HTTPConnection) -> bool:
    sock = connection.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


POOL = ConnectionPool()
"""The process's kept-alive connections to partners (shared by every :class:`HttpTransport`)."""


def allowed_endpoints() -> set[str]:
    return {item.partition("=")[2].strip() for item in settings.EXCHANGE_ENDPOINTS if "=" in item}


_allowed: tuple[Any, list[str], frozenset[str]] = (None, [], frozenset())


def _is_allowed(endpoint: str) -> bool:
    """``endpoint in allowed_endpoints()``, the set kept while the setting's list is the same
    object with the same items (``override_settings`` gives another list; a list changed in place
    no longer equals its copy)."""
    global _allowed
    entries = settings_object().EXCHANGE_ENDPOINTS
    cached = _allowed
    if cached[0] is not entries or cached[1] != entries:
        cached = _allowed = (entries, list(entries), frozenset(allowed_endpoints()))
    return endpoint in cached[2]


@lru_cache(maxsize=64)
def _address(endpoint: str) -> tuple[str, str, int | None, str]:
    """(scheme, host, port, path) of an allow-listed endpoint, parsed once per endpoint."""
    parts = urlsplit(endpoint)
    return parts.scheme, parts.hostname or "", parts.port, parts.path or "/"


class HttpTransport:
    """POST an envelope, open the answer. Thread-safe: a call uses one connection of :data:`POOL`
    at a time."""

    def __init__(self, *, connect_timeout: float | None = None) -> None:
        self.connect_timeout = (
            connect_timeout if connect_timeout is not None else settings.EXCHANGE_CONNECT_TIMEOUT_SECONDS
        )

    def send(self, endpoint: str, envelope: Envelope, *, timeout: float) -> Envelope:
        """The :class:`~sifa.exchange.transport.Transport` seam: the answer, checked and logged."""
        return self.deliver(endpoint, envelope, timeout=timeout).envelope

    def deliver(self, endpoint: str, envelope: Envelope, *, timeout: float) -> Delivered:
        if not _is_allowed(endpoint):
            raise ServiceError("exchange.endpoint_not_allowed", "该地址不在交换地址白名单中", status=503)
        status, payload = self._post(endpoint, envelope.wire_bytes(), timeout)
        if status >= 500 or status in RETRY_STATUSES:
            raise PartnerUnreachable(f"HTTP {status}")
        data = self._json(payload, status)
        if 400 <= status < 500:
            code = data.get("code") if isinstance(data, dict) else ""
            message = data.get("message") if isinstance(data, dict) else ""
            raise PartnerRefused(status, str(code or "")[:60], str(message or "")[:200])
        if status != 200:
            raise BadAnswer("http_status", f"HTTP {status}")
        return self._open(envelope, data)

    def _post(self, endpoint: str, payload: bytes, timeout: float) -> tuple[int, bytes]:
        scheme, host, port, path = _address(endpoint)
        connection, reused = POOL.take(scheme, host, port, self.connect_timeout)
        try:
            return self._exchange(scheme, host, port, connection, path, payload, timeout)
        except STALE_ERRORS as error:
            if not reused:
                raise PartnerUnreachable(type(error).__name__) from None
        # The partner closed a kept-alive connection as the request left, before any byte of an
        # answer: once more, on a new connection, the same bytes (the same message id, which a
        # partner that did receive the first copy answers with its stored answer).
        connection = POOL.new(scheme, host, port, self.connect_timeout)
        try:
            return self._exchange(scheme, host, port, connection, path, payload, timeout)
        except STALE_ERRORS as error:
            raise PartnerUnreachable(type(error).__name__) from None

    def _exchange(
        self,
        scheme: str,
        host: str,
        port: int | None,
        connection: http.client.HTTPConnection,
        path: str,
        payload: bytes,
        timeout: float,
    ) -> tuple[int, bytes]:
        """One request on ``connection``; it goes back to the pool only after a whole answer the
        partner did not close. :data:`STALE_ERRORS` before the answer's first byte pass through."""
        kept = False
        try:
            if connection.sock is None:
                connection.connect()
                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.sock.settimeout(timeout)  # from here on, the read timeout
            connection.post_json(path, payload)  # type: ignore[attr-defined]
            response = connection.getresponse()
            try:
                body = response.read(MAX_ANSWER_BYTES + 1)
            except STALE_ERRORS as error:  # the answer had begun: never retried here
                raise PartnerUnreachable(type(error).__name__) from None
            kept = response.isclosed() and not response.will_close
            return response.status, body
        except STALE_ERRORS:
            raise
        except TimeoutError as error:
            raise PartnerTimeout(type(error).__name__) from None
        except (OSError, http.client.HTTPException) as error:
            raise PartnerUnreachable(type(error).__name__) from None
        finally:
            if kept:
                POOL.give(scheme, host, port, connection)
            else:
                connection.close()

    @staticmethod
    def _json(payload: bytes, status: int) -> Any:
        if len(payload) > MAX_ANSWER_BYTES:
            raise BadAnswer("too_large", "答复超过 1 MB")
        try:
            return json.loads(payload)
        except ValueError:
            if 400 <= status < 500:
                return {}
            raise BadAnswer("not_json", "答复不是 JSON") from None

    @staticmethod
    def _open(sent: Envelope, data: Any) -> Delivered:
        from sifa.exchange.services.envelopes import STATUS, open, record_rejection

        try:
            answer = Envelope.from_wire(data)
        except EnvelopeError as error:
            error.status = STATUS[error.code]
            record_rejection(error, b"")
            raise BadAnswer(error.code, error.message) from None
        request = json.loads(sent.header_bytes)
        if answer.parsed is not None:
            claimed = answer.parsed[0]
        else:
            try:
                claimed = json.loads(answer.header_bytes)
            except ValueError:
                claimed = {}
        if (
            claimed.get("correlation_id") != request["message_id"]
            or claimed.get("sender") != request["receiver"]
            or claimed.get("receiver") != request["sender"]
        ):
            raise BadAnswer("not_the_answer", "答复不是对所发消息的答复（correlation_id 或收发方不符）")
        try:
            # A partner answers a repeated message id with its first answer, byte for byte: after a
            # retry re-signed past the clock window, that answer may be older than the window. It
            # may not be older than the first copy of the message it answers.
            opened = open(answer, answers_sent=True)
        except EnvelopeError as error:
            raise BadAnswer(error.code, error.message) from None
        return Delivered(answer, opened.header, opened.body, opened.message.pk, opened.duplicate)
