"""The simulator's WSGI app and its own minimal HTTP/1.1 server (threaded), stopped by SIGTERM.

* ``POST /exchange/`` — Sifa's signed envelope in, the partner's signed answer out; refusals are
  ``{code, message}`` with the gateway's codes and statuses. The same message again gets the
  stored answer, byte for byte, also after a restart.
* ``GET /healthz`` — ``{"status": "ok", "partner": …, "uscc": …, "received": N}``.
* HTTP/1.1 with keep-alive: a connection serves requests until the client closes it, asks for
  ``Connection: close``, speaks HTTP/1.0 without keep-alive, leaves a request body unread (a 413),
  sends a request that cannot be parsed, or stays idle :data:`IDLE_SECONDS`. The gateway's sender reuses its connections per endpoint
  (:mod:`sifa.exchange.http_transport`).
* ``POST /bench/unsigned/`` — only with ``--unsigned-bench`` (refused unless SIFA_DEBUG): the
  same answer to the same message with **no signature checked or made**, the denominator of W9
  (scale.md R9a, docs/performance.md). Without the flag the path does not exist (404).
"""

from __future__ import annotations

import json
import random
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from socketserver import StreamRequestHandler, TCPServer, ThreadingMixIn
from types import FrameType
from typing import Any
from urllib.parse import unquote
from wsgiref.handlers import format_date_time

from sifa.core.signing import CanonicalJsonError, Signer, canonical_json, load_signer
from sifa.exchange.demo import DemoPartner, demo_partner
from sifa.exchange.envelope import (
    Envelope,
    EnvelopeError,
    body_digest,
    check_header,
    is_duplicate,
    now_timestamp,
)
from sifa.exchange.simulator import data
from sifa.exchange.simulator.protocol import SifaKeys, open_from_sifa
from sifa.exchange.simulator.store import Store

MAX_REQUEST_BYTES = 1024 * 1024
IDLE_SECONDS = 30
"""A kept-alive connection with no new request for this long is closed (its thread ends)."""
BODY_READ = "sifa.body_read"
"""Set in the WSGI environ once the request body has been read whole: only then may the
connection carry another request (otherwise its unread bytes would be taken for one)."""
PLACEHOLDER_SIGNATURE = bytes.fromhex("3006020101020101")
"""DER SEQUENCE{1, 1}: what W9's unsigned side puts where a signature goes (never valid)."""
MAX_LINE = 65536
MAX_HEADERS = 100
SERVER = "sifa-partner-sim"
REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}
REASONS |= {409: "Conflict", 413: "Content Too Large", 503: "Service Unavailable"}


_demo_partner = lru_cache(maxsize=None)(demo_partner)
"""The demo partner of a kind (a constant), found once per kind: ``answer`` reads it three times."""


def parse_latency(text: str) -> tuple[float, float]:
    """``"50-300"`` → (0.05, 0.3) seconds; ``"0"`` → (0, 0)."""
    low, _, high = str(text).strip().partition("-")
    low_ms = float(low or 0)
    high_ms = float(high) if high else low_ms
    if low_ms < 0 or high_ms < low_ms:
        raise ValueError(f"latency should be MIN-MAX milliseconds: {text}")
    return low_ms / 1000, high_ms / 1000


def load_partner_signer(key_dir: Path, kind: str) -> Signer:
    pem, meta = key_dir / f"{kind}.pem", key_dir / f"{kind}.json"
    if not pem.exists() or not meta.exists():
        raise FileNotFoundError(f"{pem}: run `sifa exchange load-partners` first")
    key_id = json.loads(meta.read_text(encoding="utf-8"))["key_id"]
    return load_signer(pem.read_text(encoding="ascii"), key_id)


@dataclass
class Simulator:
    kind: str
    signer: Signer
    store: Store
    keys: SifaKeys
    latency: tuple[float, float] = (0.0, 0.0)
    skew_seconds: int = 300
    unsigned_bench: bool = False
    """Serve ``/bench/unsigned/`` (W9's unsigned side). Development only: the command refuses the
    flag unless SIFA_DEBUG is on, and nothing in Sifa ever sends there."""

    @property
    def partner(self) -> DemoPartner:
        return _demo_partner(self.kind)

    # --- answering ---------------------------------------------------------------------------

    def answer(self, wire: Any) -> str:
        """The signed answer (JSON text) to an envelope from Sifa, or an EnvelopeError."""
        seal = _seal()
        envelope = Envelope.from_wire(wire)
        inbound = open_from_sifa(
            envelope,
            keys=self.keys,
            own_uscc=self.partner.uscc,
            store=self.store,
            skew_seconds=self.skew_seconds,
        )
        if inbound.first_answer is not None:
            return inbound.first_answer
        header = inbound.header
        body = data.answer_body(self.kind, header, inbound.body, self.store)
        sealed = seal(
            {
                "kind": "response" if header["kind"] == "request" else "receipt",
                "correlation_id": header["message_id"],
                "issue": header["issue"],
                "purpose": header["purpose"],
                "service": header["service"],
                "sender": self.partner.uscc,
                "receiver": header["sender"],
                "user_id": {"official": f"{self.kind}-exchange", "organisation": self.partner.name},
            },
            body,
            signer=self.signer,
        )
        text = sealed.wire_bytes().decode("utf-8")
        stored = self.store.keep(
            header["sender"],
            header["message_id"],
            envelope.header_bytes.decode("utf-8"),
            envelope.signature,
            header["service"]["code"],
            text,
            now_timestamp(),
        )
        if not is_duplicate(stored[0], stored[1], envelope.header_bytes, envelope.signature):
            # Another copy of this id won the insert: the same message (or Sifa's re-signed copy
            # of it) gets that copy's answer; a different message is a replay.
            from sifa.exchange.simulator.protocol import refuse

            raise refuse("exchange.replay", "该消息标识已被使用：重放的消息")
        return stored[2]

    def answer_unsigned(self, wire: Any) -> str:
        """W9's denominator: :meth:`answer` minus the SM2 cryptography. The same shape checks, the
        same store lookup and write (the partner's idempotency), the same answer body and header
        (with the body's SM3 digest and the partner's key id); no signature verified and nothing
        signed: the answer carries :data:`PLACEHOLDER_SIGNATURE`. Never reachable unless the
        simulator runs with ``--unsigned-bench``."""
        from sifa.exchange.simulator.protocol import refuse

        if not isinstance(wire, dict) or set(wire) != {"header", "body", "signature"}:
            raise refuse("exchange.malformed", "信封应为 {header, body, signature}")
        header, body = wire["header"], wire["body"]
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise refuse("exchange.malformed", "信封的 header 和 body 应为 JSON 对象")
        try:
            header_bytes = canonical_json(header)
            canonical_json(body)
            check_header(header)
        except (CanonicalJsonError, EnvelopeError):
            raise refuse("exchange.malformed", "消息头格式不正确") from None
        seen = self.store.seen(header["sender"], header["message_id"])
        if seen is not None:
            return seen[2]
        if header["receiver"] != self.partner.uscc:
            raise refuse("exchange.wrong_receiver", "接收方不是本单位")
        answer_bytes = canonical_json(data.answer_body(self.kind, header, body, self.store))
        answer_header = {
            "kind": "response" if header["kind"] == "request" else "receipt",
            "correlation_id": header["message_id"],
            "issue": header["issue"],
            "purpose": header["purpose"],
            "service": header["service"],
            "sender": self.partner.uscc,
            "receiver": header["sender"],
            "user_id": {"official": f"{self.kind}-exchange", "organisation": self.partner.name},
            "message_id": str(uuid.uuid4()),
            "timestamp": now_timestamp(),
            "key_id": self.signer.key_id,
            "body_digest": body_digest(answer_bytes),
        }
        unsigned = Envelope(canonical_json(answer_header), answer_bytes, PLACEHOLDER_SIGNATURE)
        text = json.dumps(unsigned.as_wire(), ensure_ascii=False, separators=(",", ":"))
        stored = self.store.keep(
            header["sender"],
            header["message_id"],
            header_bytes.decode("utf-8"),
            b"",
            header["service"]["code"],
            text,
            now_timestamp(),
        )
        return stored[2]

    # --- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        if path == "/healthz" and method == "GET":
            payload = {
                "status": "ok",
                "partner": self.partner.name,
                "uscc": self.partner.uscc,
                "received": self.store.count(),
            }
            return self._json(start_response, 200, payload)
        unsigned = self.unsigned_bench and path == "/bench/unsigned/"
        if path != "/exchange/" and not unsigned:
            return self._json(start_response, 404, {"code": "not_found", "message": "未找到"})
        if method != "POST":
            return self._json(start_response, 405, {"code": "method_not_allowed", "message": "只接受 POST"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_REQUEST_BYTES:
            return self._json(start_response, 413, {"code": "exchange.too_large", "message": "消息超过 1 MB"})
        raw = environ["wsgi.input"].read(length) if length else b""
        if len(raw) == length and "HTTP_TRANSFER_ENCODING" not in environ:
            environ[BODY_READ] = True
        low, high = self.latency
        if high:
            time.sleep(random.uniform(low, high))
        try:
            try:
                wire = json.loads(raw)
            except ValueError:
                from sifa.exchange.simulator.protocol import refuse

                raise refuse("exchange.malformed", "消息不是 JSON") from None
            text = self.answer_unsigned(wire) if unsigned else self.answer(wire)
        except EnvelopeError as error:
            return self._json(start_response, error.status, {"code": error.code, "message": error.message})
        body = text.encode("utf-8")
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body]

    @staticmethod
    def _json(start_response: Callable[..., Any], status: int, payload: dict[str, Any]) -> list[bytes]:
        # Answered before the body was read (404, 405, 413): BODY_READ stays unset unless the
        # request had no body, so the connection is closed after this answer.
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        start_response(f"{status} {REASONS.get(status, 'Error')}", headers)
        return [body]


@lru_cache(maxsize=1)
def _seal() -> Callable[..., Envelope]:
    """``sifa.exchange.services.envelopes.seal``, imported on first use (it needs Django's apps)."""
    from sifa.exchange.services.envelopes import seal

    return seal


_date: tuple[int, str] = (-1, "")


def _date_header() -> str:
    """The ``Date`` header's value for now (``format_date_time(time.time())``), formatted once per
    second: it has a resolution of one second."""
    global _date
    second = int(time.time())
    cached = _date
    if cached[0] != second:
        cached = _date = (second, format_date_time(second))
    return cached[1]


class _Server(ThreadingMixIn, TCPServer):
    """One thread per connection (not per request: a kept-alive connection keeps its thread)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        super().__init__(address, _Handler)


class _Handler(StreamRequestHandler):
    """A minimal HTTP/1.1 server for the WSGI app, with keep-alive.

    ``wsgiref`` parsed each request's headers with the ``email`` package, copied the process's
    environment into every WSGI environ and wrote the status line, each header and the body in
    separate sends; that was most of the simulator's CPU besides SM2 (docs/performance.md, "W9
    early morning"). This handler reads the request line and headers itself, calls the same WSGI
    app with the environ it reads, and writes the answer (always framed by a ``Content-Length``)
    in one send. The connection carries the next request unless the client asked to close it (or
    spoke HTTP/1.0 without keep-alive), the request body was not read whole (404, 405 or 413
    answered before reading it), the request could not be parsed, the app failed, or it stays
    idle :data:`IDLE_SECONDS`."""

    timeout = IDLE_SECONDS
    disable_nagle_algorithm = True
    rbufsize = 64 * 1024

    def handle(self) -> None:
        while self._handle_one():
            pass

    def _handle_one(self) -> bool:
        """Serve one request; True if the connection may carry another."""
        try:
            line = self.rfile.readline(MAX_LINE + 1)
        except (TimeoutError, OSError):
            return False
        if not line:
            return False
        if len(line) > MAX_LINE:
            return self._error(414, "URI Too Long")
        parts = line.decode("iso-8859-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return self._error(400, "Bad Request")
        method, target, version = parts
        environ: dict[str, Any] = {}
        try:
            for _ in range(MAX_HEADERS + 1):
                raw = self.rfile.readline(MAX_LINE + 1)
                if raw in (b"\r\n", b"\n", b""):
                    break
                if len(raw) > MAX_LINE:
                    return self._error(431, "Request Header Fields Too Large")
                name, colon, value = raw.decode("iso-8859-1").partition(":")
                if not colon or not name or name != name.strip():
                    return self._error(400, "Bad Request")
                key = name.upper().replace("-", "_")
                if key not in ("CONTENT_LENGTH", "CONTENT_TYPE"):
                    key = "HTTP_" + key
                value = value.strip()
                environ[key] = f"{environ[key]},{value}" if key in environ else value
            else:
                return self._error(431, "Request Header Fields Too Large")
        except (TimeoutError, OSError):
            return False
        connection = environ.get("HTTP_CONNECTION", "").lower()
        keep = "close" not in connection and (version != "HTTP/1.0" or "keep-alive" in connection)
        if environ.get("HTTP_EXPECT", "").lower() == "100-continue" and version != "HTTP/1.0":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        path, _, query = target.partition("?")
        environ.update(
            {
                "REQUEST_METHOD": method,
                "PATH_INFO": unquote(path, "iso-8859-1"),
                "QUERY_STRING": query,
                "SERVER_PROTOCOL": version,
                "SERVER_NAME": self.server.server_address[0],
                "SERVER_PORT": str(self.server.server_address[1]),
                "REMOTE_ADDR": self.client_address[0],
                "SCRIPT_NAME": "",
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": "http",
                "wsgi.input": self.rfile,
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": True,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
            }
        )
        answered: list[Any] = []
        written: list[bytes] = []  # the WSGI write() callable's bytes, before the iterable's

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answered[:] = [status, headers]
            return written.append

        try:
            result = self.server.app(environ, start_response)
            try:
                body = b"".join([*written, *result])
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except Exception:  # any failure of the app is a 500 and a closed connection
            traceback.print_exc()
            return self._error(500, "Internal Server Error")
        bodiless = environ.get("CONTENT_LENGTH", "0") in ("", "0") and "HTTP_TRANSFER_ENCODING" not in environ
        keep = keep and (bodiless or bool(environ.get(BODY_READ)))
        status, headers = answered
        head = [f"HTTP/1.1 {status}", f"Date: {_date_header()}", f"Server: {SERVER}"]
        head += [f"{name}: {value}" for name, value in headers if name.lower() != "content-length"]
        head.append(f"Content-Length: {len(body)}")
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("iso-8859-1") + body)
        return keep

    def _error(self, status: int, reason: str) -> bool:
        """Answer an unreadable request and close the connection."""
        body = json.dumps({"code": "http.bad_request", "message": reason}).encode("ascii")
        head = (
            f"HTTP/1.1 {status} {reason}\r\nServer: {SERVER}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        try:
            self.wfile.write(head.encode("ascii") + body)
        except OSError:
            pass
        return False


def serve(app: Simulator, host: str, port: int, *, ready: Callable[[str], None] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; return 0 after a clean stop."""
    server = _Server((host, port), app)

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if ready is not None:
            ready(f"http://{host}:{server.server_address[1]}/")
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    sys.stdout.flush()
    return 0
