"""A loopback HTTP proxy that breaks the network between Sifa's relay and a partner (R3 chaos test).

Each request, after a random delay, meets one fate drawn from a seeded generator:

* ``503``: answered ``503 Service Unavailable`` without reaching the partner;
* ``reset``: the connection is reset (RST) without reaching the partner;
* ``lost_ack``: forwarded to the partner, which stores and answers it, then the answer is dropped
  and the connection reset — the sender cannot know the partner has the message;
* ``forward``: forwarded, and the partner's answer returned as it is.

It counts the fates and, per message id, how many copies reached the partner: a copy after the
first is a **duplicate** that the partner must absorb. It also keeps every copy that came through it
(message id and signature, whatever its fate): each left Sifa, so each must be in Sifa's log.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FATES = ("503", "reset", "lost_ack", "forward")


class FaultProxy:
    def __init__(
        self,
        target_port: int,
        *,
        p_503: float = 0.30,
        p_reset: float = 0.05,
        p_lost_ack: float = 0.10,
        latency_ms: tuple[float, float] = (0.0, 5.0),
        seed: int = 13,
    ) -> None:
        assert p_503 + p_reset + p_lost_ack <= 1
        self.target_port = target_port
        self.thresholds = (p_503, p_503 + p_reset, p_503 + p_reset + p_lost_ack)
        self.latency_ms = latency_ms
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.fates: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()
        """Copies that reached the partner, per message id."""
        self.copies: set[tuple[str, str]] = set()
        """Every copy sent through the proxy: (message id, Base64 signature)."""
        self.partner_errors: Counter[int] = Counter()
        self._server: ThreadingHTTPServer | None = None

    # --- what happened -----------------------------------------------------------------------

    @property
    def duplicates(self) -> int:
        """Copies that reached the partner after the first one of their message id."""
        with self._lock:
            return sum(count - 1 for count in self.delivered.values())

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": sum(self.fates.values()),
                **{fate: self.fates[fate] for fate in FATES},
                "messages_delivered": len(self.delivered),
                "duplicates": sum(count - 1 for count in self.delivered.values()),
                "partner_errors": dict(self.partner_errors),
            }

    # --- running -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                message_id = proxy._sent(body)
                fate = proxy._fate()
                low, high = proxy.latency_ms
                if high:
                    time.sleep(random.uniform(low, high) / 1000)
                if fate == "503":
                    self._answer(503, b'{"code": "proxy.unavailable"}')
                    return
                if fate == "reset":
                    self._reset()
                    return
                status, answer = proxy._forward(self.path, body)
                if status == 200:
                    proxy._delivered(message_id)
                elif status:
                    with proxy._lock:
                        proxy.partner_errors[status] += 1
                if fate == "lost_ack" or not status:
                    self._reset()
                    return
                self._answer(status, answer)

            def _answer(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)
                self.close_connection = True

            def _reset(self) -> None:
                # SO_LINGER 0: close() sends RST, the client sees "connection reset by peer".
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True

            def finish(self) -> None:
                try:
                    super().finish()
                except (OSError, ValueError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 64

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a reset connection is the point

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- internals ---------------------------------------------------------------------------

    def _fate(self) -> str:
        with self._lock:
            draw = self._rng.random()
            fate = next(
                (name for name, limit in zip(FATES, self.thresholds, strict=False) if draw < limit), "forward"
            )
            self.fates[fate] += 1
        return fate

    def _forward(self, path: str, body: bytes) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.target_port, timeout=10)
        try:
            connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            return 0, b""  # the partner is down: the sender sees a reset
        finally:
            connection.close()

    def _sent(self, body: bytes) -> str | None:
        """Keep the copy; its message id (None if the body is not an envelope)."""
        try:
            wire = json.loads(body)
            copy = (wire["header"]["message_id"], wire["signature"])
        except (ValueError, KeyError, TypeError):
            return None
        with self._lock:
            self.copies.add(copy)
        return copy[0]

    def _delivered(self, message_id: str | None) -> None:
        if message_id is None:
            return
        with self._lock:
            self.delivered[message_id] += 1
