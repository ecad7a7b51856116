"""The HTTP transport against a real partner simulator process: a signed round trip, a kill and
restart that answers the same message id with the same answer (one stored copy), an unreachable
partner, a refusal with the partner's code, a timeout, a tampered answer."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from sifa.core.errors import ServiceError
from sifa.exchange.demo import simulator_allow_list, simulator_endpoint
from sifa.exchange.envelope import Envelope, EnvelopeError
from sifa.exchange.http_transport import (
    BadAnswer,
    HttpTransport,
    PartnerRefused,
    PartnerTimeout,
    PartnerUnreachable,
)
from sifa.exchange.models import Direction, ExchangeMessage, MessageStatus, Rejection
from sifa.exchange.services import envelopes, log, partners
from sifa.exchange.simulator.data import CRIMINAL_RECORDS
from sifa.exchange.transport import TransportError
from sifa.testing import id_number

pytestmark = pytest.mark.slow(seconds=30)

SRC = Path(__file__).resolve().parents[3]
APPLICANT = {"name": "张三", "id_number": id_number("33010619900101123")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SimProcess:
    """``sifa partner-sim`` as a child process on a free port, with its own SQLite file."""

    def __init__(self, kind: str, folder: Path, key_dir: Path, sifa_keys: Path) -> None:
        self.kind, self.port = kind, free_port()
        self.db = folder / f"{kind}.sqlite3"
        self.argv = [
            sys.executable, "-m", "sifa", "partner-sim", "--as", kind, "--port", str(self.port),
            "--key-dir", str(key_dir), "--sifa-keys", str(sifa_keys), "--db", str(self.db),
            "--latency-ms", "0",
        ]  # fmt: skip
        self.env = {
            **os.environ,
            "SIFA_DEBUG": "1",
            "SIFA_VAR_DIR": str(folder / "var"),
            "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return simulator_endpoint(self.port)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        started = False
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        self.process.stderr.read().decode() if self.process.stderr else "exited"
                    )
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as answer:
                        if json.loads(answer.read())["status"] == "ok":
                            started = True
                            return
                except OSError:
                    time.sleep(0.1)
            raise RuntimeError("partner simulator did not start")
        finally:
            if not started:  # never leave a simulator running behind a failed start
                self.kill()

    def kill(self) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)

    def stop(self) -> int:
        """SIGTERM and wait; a simulator that has not stopped after 10 s is killed (and the
        timeout raised), so that no process outlives the test."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def copies(self, message_id: str) -> int:
        with sqlite3.connect(self.db) as db:
            return db.execute("SELECT COUNT(*) FROM received WHERE message_id = ?", (message_id,)).fetchone()[
                0
            ]


@pytest.fixture(scope="module")
def police(_world, tmp_path_factory) -> Iterator[SimProcess]:
    folder = tmp_path_factory.mktemp("partner-sim")
    keys = folder / "sifa-keys.json"
    _world["ring"].signer()  # the ring makes its key on first use; the simulator reads it published
    keys.write_text(json.dumps(_world["ring"].public_keys()), encoding="utf-8")
    sim = SimProcess("police", folder, _world["key_dir"], keys)
    sim.start()
    yield sim
    if sim.process is not None and sim.process.poll() is None:
        sim.stop()


@pytest.fixture
def allow(police) -> Iterator[None]:
    with override_settings(EXCHANGE_ENDPOINTS=[f"{partners.DEMO_PARTNERS[0].uscc}={police.endpoint}"]):
        yield


def request(
    world: dict[str, Any], service: str = "identity.verify", body: dict[str, Any] | None = None
) -> Envelope:
    """A request from 杭州市司法局 to the police, sealed with Sifa's key and logged as sent (as the
    outbox will)."""
    police = world["partners"]["police"]
    envelope = envelopes.seal(
        {
            "kind": "request",
            "issue": "浙司许〔2026〕001号",
            "purpose": "核验申请人身份（律师执业许可）",
            "service": {"code": service, "version": "1"},
            "sender": world["orgs"]["hz"].uscc,
            "receiver": police.uscc,
            "user_id": {"official": "hz-window", "organisation": world["orgs"]["hz"].name},
        },
        APPLICANT if body is None else body,
    )
    log.append(
        envelope,
        json.loads(envelope.header_bytes),
        json.loads(envelope.body_bytes),
        direction=Direction.OUTBOUND,
        status=MessageStatus.SENT,
        partner=police,
        scope_path=world["orgs"]["hz"].path,
    )
    return envelope


def endpoint(world: dict[str, Any]) -> str:
    return partners.endpoint_for(world["partners"]["police"])


def test_a_signed_round_trip_is_opened_and_logged(world, police, allow):
    sent = request(world)
    delivered = HttpTransport().deliver(endpoint(world), sent, timeout=5)
    assert delivered.body["match"] is True
    assert delivered.header["kind"] == "response"
    assert delivered.header["correlation_id"] == json.loads(sent.header_bytes)["message_id"]
    assert delivered.header["sender"] == world["partners"]["police"].uscc
    row = ExchangeMessage.objects.get(pk=delivered.message_pk)
    assert (
        row.direction == Direction.INBOUND and str(row.correlation_id) == delivered.header["correlation_id"]
    )


def test_the_simulator_answers_from_its_data(world, police, allow):
    transport = HttpTransport()
    record = sorted(CRIMINAL_RECORDS)[0]
    answer = transport.deliver(
        endpoint(world),
        request(world, "criminal-record.check", {"name": "李四", "id_number": record}),
        timeout=5,
    )
    assert answer.body["has_record"] is True
    clean = transport.deliver(endpoint(world), request(world, "criminal-record.check"), timeout=5)
    assert clean.body["has_record"] is False
    other = {"name": "张三", "id_number": id_number("33010619900101995")}  # 顺序码 995: someone else
    assert transport.deliver(endpoint(world), request(world, body=other), timeout=5).body["match"] is False
    bad = {
        "name": "张三",
        "id_number": APPLICANT["id_number"][:17] + ("0" if APPLICANT["id_number"][17] != "0" else "1"),
    }
    with pytest.raises(PartnerRefused) as refused:
        transport.deliver(endpoint(world), request(world, body=bad), timeout=5)
    assert refused.value.partner_code == "partner.id_number_invalid" and not refused.value.retryable


def test_a_killed_and_restarted_simulator_answers_the_same_message_the_same(world, police, allow):
    sent = request(world)
    message_id = json.loads(sent.header_bytes)["message_id"]
    first = HttpTransport().deliver(endpoint(world), sent, timeout=5)
    police.kill()
    police.start()
    again = HttpTransport().deliver(endpoint(world), sent, timeout=5)
    assert again.envelope == first.envelope  # byte for byte: header, body and signature
    assert again.duplicate is True  # and Sifa's log holds it once
    assert police.copies(message_id) == 1


def test_an_unreachable_partner_is_a_retryable_error(world, police):
    closed = simulator_endpoint(free_port())
    with override_settings(EXCHANGE_ENDPOINTS=[f"{world['partners']['police'].uscc}={closed}"]):
        with pytest.raises(PartnerUnreachable) as error:
            HttpTransport().deliver(closed, request(world), timeout=2)
    assert isinstance(error.value, TransportError) and error.value.retryable
    assert error.value.code == "exchange.partner_unreachable"


def test_only_allow_listed_endpoints(world, police, allow):
    with pytest.raises(ServiceError) as error:
        HttpTransport().send("http://127.0.0.1:9/exchange/", request(world), timeout=1)
    assert error.value.code == "exchange.endpoint_not_allowed"


def test_the_partner_refuses_a_tampered_request_with_its_code(world, police, allow):
    sent = request(world)
    body = json.loads(sent.body_bytes) | {"name": "李四"}
    tampered = Envelope(sent.header_bytes, json.dumps(body, ensure_ascii=False).encode(), sent.signature)
    with pytest.raises(PartnerRefused) as error:
        HttpTransport().deliver(endpoint(world), tampered, timeout=5)
    assert error.value.partner_code == "exchange.digest_mismatch" and error.value.http_status == 400
    assert isinstance(error.value, EnvelopeError) and not isinstance(error.value, TransportError)


def stub(handler: Callable[[BaseHTTPRequestHandler], None]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            handler(self)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, simulator_endpoint(server.server_address[1])


def test_a_tampered_answer_is_refused_and_logged(world, police, allow):
    sent = request(world)
    real = HttpTransport().deliver(endpoint(world), sent, timeout=5)
    wire = real.envelope.as_wire()
    wire["body"]["match"] = False

    def answer(handler: BaseHTTPRequestHandler) -> None:
        payload = json.dumps(wire).encode()
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    server, url = stub(answer)
    try:
        with override_settings(EXCHANGE_ENDPOINTS=[f"{world['partners']['police'].uscc}={url}"]):
            with pytest.raises(BadAnswer) as error:
                HttpTransport().deliver(url, sent, timeout=5)
    finally:
        server.shutdown()
    assert error.value.reason == "exchange.digest_mismatch"
    assert error.value.retryable and not isinstance(error.value, TransportError)  # retried, 24 h at most
    assert Rejection.objects.filter(
        code="exchange.digest_mismatch", sender=world["partners"]["police"].uscc
    ).exists()


def test_a_slow_partner_is_a_retryable_timeout(world, police):
    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(1.0)
        handler.send_response(200)
        handler.end_headers()

    server, url = stub(slow)
    try:
        with override_settings(EXCHANGE_ENDPOINTS=[f"{world['partners']['police'].uscc}={url}"]):
            with pytest.raises(PartnerTimeout) as error:
                HttpTransport().deliver(url, request(world), timeout=0.2)
    finally:
        server.shutdown()
    assert isinstance(error.value, TransportError) and error.value.retryable


@pytest.mark.parametrize("status", [503, 429, 408])
def test_a_5xx_too_many_requests_or_request_timeout_is_retryable(world, police, status):
    def busy(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server, url = stub(busy)
    try:
        with override_settings(EXCHANGE_ENDPOINTS=[f"{world['partners']['police'].uscc}={url}"]):
            with pytest.raises(PartnerUnreachable):
                HttpTransport().deliver(url, request(world), timeout=2)
    finally:
        server.shutdown()


def test_the_dev_allow_list_names_the_simulators():
    entries = simulator_allow_list(["police=8101", "court=8102", "nobody=1", "procuratorate=x"])
    assert entries == [
        "11330100002493988P=http://127.0.0.1:8101/exchange/",
        "11330100002501925N=http://127.0.0.1:8102/exchange/",
    ]


def test_another_message_under_a_seen_id_is_a_replay(world, police, allow):
    first = request(world)
    header = json.loads(first.header_bytes)
    HttpTransport().deliver(endpoint(world), first, timeout=5)
    fields = {k: header[k] for k in ("kind", "issue", "purpose", "service", "sender", "receiver", "user_id")}
    other = envelopes.seal(
        {**fields, "message_id": header["message_id"]}, {"name": "李四", "id_number": APPLICANT["id_number"]}
    )
    with pytest.raises(PartnerRefused) as error:
        HttpTransport().deliver(endpoint(world), other, timeout=5)
    assert error.value.partner_code == "exchange.replay" and error.value.http_status == 409


def test_send_checks_sifas_signed_answer(world, tmp_path):
    """``partner-sim … send``: the court's request goes out signed; Sifa's answer is verified with
    Sifa's published key, and a tampered answer is refused."""
    from sifa.exchange.simulator import client
    from sifa.exchange.simulator.protocol import SifaKeys
    from sifa.exchange.simulator.server import Simulator, load_partner_signer
    from sifa.exchange.simulator.store import Store

    world["ring"].signer()
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(world["ring"].public_keys()), encoding="utf-8")
    sim = Simulator(
        kind="court",
        signer=load_partner_signer(world["key_dir"], "court"),
        store=Store(tmp_path / "court.sqlite3"),
        keys=SifaKeys(str(keys)),
    )
    seen: list[dict[str, Any]] = []
    tamper = {"on": False}

    def inbox(handler: BaseHTTPRequestHandler) -> None:
        request = seen[-1] if seen else {}
        header = request["header"]
        answer = envelopes.seal(
            {
                "kind": "response",
                "correlation_id": header["message_id"],
                "issue": header["issue"],
                "purpose": header["purpose"],
                "service": header["service"],
                "sender": header["receiver"],
                "receiver": header["sender"],
                "user_id": {"official": "sifa-gateway", "organisation": "杭州市司法局"},
            },
            {"licence_number": "13301202610123456", "status": "valid"},
        ).as_wire()
        if tamper["on"]:
            answer["body"]["status"] = "revoked"
        payload = json.dumps(answer).encode()
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    class Recording(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            inbox(self)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/exchange/inbox/"
    receiver = world["orgs"]["hz"].uscc
    try:
        result = client.send(
            sim, url, "lawyer-status", {"licence_number": "13301202610123456"}, receiver=receiver
        )
        assert result["status"] == 200 and result["verified"] is True
        assert result["answer"] == {"licence_number": "13301202610123456", "status": "valid"}
        assert seen[-1]["header"]["service"] == {"code": "lawyer.status", "version": "1"}
        assert seen[-1]["header"]["sender"] == partners.DEMO_PARTNERS[1].uscc
        tamper["on"] = True
        from sifa.exchange.envelope import EnvelopeError

        with pytest.raises(EnvelopeError) as error:
            client.send(sim, url, "lawyer-status", {"licence_number": "13301202610123456"}, receiver=receiver)
        assert error.value.code == "exchange.digest_mismatch"
    finally:
        server.shutdown()


def test_sigterm_stops_the_simulator_cleanly(police):
    """Last in the module: the simulator stops with status 0 on SIGTERM."""
    assert police.stop() == 0


# --- kept-alive connections ------------------------------------------------------------------


def test_the_simulator_keeps_the_connection_and_the_transport_reuses_it(world, police, allow):
    from sifa.exchange.http_transport import POOL

    POOL.clear()
    transport = HttpTransport()
    transport.deliver(endpoint(world), request(world), timeout=5)
    (idle,) = POOL._idle[("http", "127.0.0.1", police.port)]
    local = idle.sock.getsockname()
    second = transport.deliver(endpoint(world), request(world), timeout=5)
    assert second.body["match"] is True
    (again,) = POOL._idle[("http", "127.0.0.1", police.port)]
    assert again is idle and again.sock.getsockname() == local  # the same TCP connection


class KeepAliveStub:
    """An HTTP/1.1 partner that answers 503 and keeps the connection, except that the requests
    numbered in ``drop`` (1-based, over all connections) are read and the connection then closed
    without a byte of answer: what a partner closing an idle connection as a request arrives does."""

    def __init__(self, drop: set[int]) -> None:
        self.drop, self.requests, self.connections = drop, 0, 0
        stub_self = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                stub_self.connections += 1

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub_self.requests += 1
                if stub_self.requests in stub_self.drop:
                    self.close_connection = True
                    return
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = simulator_endpoint(self.server.server_address[1])


@pytest.mark.parametrize(
    ("drop", "requests", "connections", "error"),
    [
        ({2}, 3, 2, "HTTP 503"),  # a reused connection closed: once more on a new one, answered
        ({2, 3}, 3, 2, "RemoteDisconnected"),  # closed again on the new one: no second retry
        ({1}, 1, 1, "RemoteDisconnected"),  # a new connection is never retried here (the relay does)
    ],
)
def test_a_kept_alive_connection_the_partner_closed_is_retried_once(
    world, police, drop, requests, connections, error
):
    from sifa.exchange.http_transport import POOL

    POOL.clear()
    partner = KeepAliveStub(drop)
    try:
        with override_settings(EXCHANGE_ENDPOINTS=[f"{world['partners']['police'].uscc}={partner.url}"]):
            if 1 not in drop:
                with pytest.raises(PartnerUnreachable):  # the first request: 503, connection kept
                    HttpTransport().deliver(partner.url, request(world), timeout=2)
            with pytest.raises(PartnerUnreachable) as raised:
                HttpTransport().deliver(partner.url, request(world), timeout=2)
    finally:
        partner.server.shutdown()
        POOL.clear()
    assert error in raised.value.message
    assert (partner.requests, partner.connections) == (requests, connections)


def test_an_idle_connection_the_partner_closed_is_not_used(world, police, allow):
    from sifa.exchange.http_transport import POOL

    POOL.clear()
    HttpTransport().deliver(endpoint(world), request(world), timeout=5)
    (idle,) = POOL._idle[("http", "127.0.0.1", police.port)]
    police.stop()
    police.start()  # the old connection is closed by the stopped process
    delivered = HttpTransport().deliver(endpoint(world), request(world), timeout=5)
    assert delivered.body["match"] is True
    (fresh,) = POOL._idle[("http", "127.0.0.1", police.port)]
    assert fresh is not idle


def test_the_simulator_closes_a_connection_whose_body_it_did_not_read(world, police):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", police.port, timeout=5)
    connection.request("GET", "/healthz")
    first = connection.getresponse()
    assert first.status == 200 and not first.will_close
    first.read()
    sock = connection.sock
    connection.request("GET", "/healthz")  # the same connection
    second = connection.getresponse()
    assert second.status == 200 and connection.sock is sock
    second.read()
    connection.request(
        "POST", "/nowhere/", body=b'{"unread": true}', headers={"Content-Type": "application/json"}
    )
    refused = connection.getresponse()
    assert refused.status == 404
    refused.read()
    sock.settimeout(5)
    assert sock.recv(1) == b""  # closed: the unread body is never taken for a request
    connection.close()


def _raw_exchange(port: int, request: bytes) -> tuple[bytes, bool]:
    """Send raw bytes to the simulator; (what it answered, whether it then closed the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                return answer, True
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        length = int(
            next(
                line.split(b":")[1]
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
        )
        while len(body) < length:
            body += sock.recv(65536)
        sock.settimeout(2)
        try:
            closed = sock.recv(1) == b""
        except TimeoutError:
            closed = False
        return head + b"\r\n\r\n" + body, closed


def test_the_simulator_answers_http_10_and_bad_requests_and_closes(world, police):
    answer, closed = _raw_exchange(police.port, b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ") and b'"status": "ok"' in answer and closed
    answer, closed = _raw_exchange(police.port, b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ") and not closed
    answer, closed = _raw_exchange(police.port, b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ") and closed
    answer, closed = _raw_exchange(police.port, b"NONSENSE\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ") and closed
    answer, closed = _raw_exchange(police.port, b"GET /healthz HTTP/1.1\r\n" + b"X-A: b\r\n" * 101 + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ") and closed


class _Capture:
    """A socket that keeps what is sent."""

    def __init__(self) -> None:
        self.sent = b""

    def sendall(self, data: bytes) -> None:
        self.sent += data

    def close(self) -> None:
        pass


@pytest.mark.parametrize("host", ["127.0.0.1", "partner.example.cn", "::1", "例子.cn"])
@pytest.mark.parametrize("port", [None, 80, 443, 8101])
def test_the_request_head_from_its_template_is_http_clients_own(host, port):
    """``post_json`` writes what ``request("POST", …)`` with the transport's headers wrote, byte
    for byte (the request line, Host with or without the port, Accept-Encoding, Content-Length,
    the three headers), for HTTP and HTTPS, and leaves the connection waiting for the answer."""
    import http.client

    from sifa.exchange import http_transport

    pairs = (
        (http.client.HTTPConnection, http_transport._HTTPConnection),
        (http.client.HTTPSConnection, http_transport._HTTPSConnection),
    )
    for plain_class, our_class in pairs:
        for path, body in (("/exchange/", b'{"header":{}}'), ("/", b""), ("/a/b", "中".encode() * 5000)):
            plain, ours = plain_class(host, port), our_class(host, port)
            plain.sock, ours.sock = _Capture(), _Capture()
            plain.request("POST", path, body=body, headers=http_transport.REQUEST_HEADERS)
            ours.post_json(path, body)
            assert ours.sock.sent == plain.sock.sent
            assert ours._method == "POST"
            assert ours._HTTPConnection__state == plain._HTTPConnection__state == http.client._CS_REQ_SENT
