"""The web server against idle, slow and dying parts (issue 14 point 2; docs/performance.md,
"The web server").

Real processes on loopback, on the test database: ``sifa serve --workers 2`` as production runs it.

* **Slow clients.** 16 connections are opened and left idle — 8 after one complete request
  (keep-alive), 4 in the middle of a request head, 4 that never send a byte — then 100 ordinary
  ``GET /healthz`` from 4 visitors, each on a new connection: the p95 must stay under 200 ms. The
  same scenario against the server with the old connection budget (``--connections 4``, one per
  thread) must fail the check, so the check can see a starved server.
* **A dying worker.** 4 clients load the site while one granian worker is killed (SIGKILL): every
  answer that came back is a complete 200, the only failures are connection errors at the kill, a
  new worker is respawned and listening, the site answers afterwards and the ``sifa serve`` process
  — the web child ``sifa run`` watches (``run.web_child``) — never exits.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from sifa.conf.management.commands import run

# The mark makes pytest-django create the test database the servers use (they only read it).
pytestmark = [pytest.mark.django_db, pytest.mark.slow(seconds=30)]

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
IDLE_COMPLETE, IDLE_PARTIAL, IDLE_SILENT = 8, 4, 4
REQUESTS, VISITORS = 100, 4
P95_LIMIT_MS = 200.0
START_TIMEOUT = 60.0
LOAD_CLIENTS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (granian's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid …": comm may hold spaces, so split after its closing bracket.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def listening_sockets(port: int) -> set[int]:
    """The inodes of the sockets listening on ``port`` (granian: one per worker, ``SO_REUSEPORT``)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                found.add(int(fields[9]))
    return found


def get(port: int, path: str = "/healthz", timeout: float = 10.0) -> tuple[int, bytes]:
    """One visitor: a new connection, one GET, closed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def server_env(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, str]:
    """The environment of a server on the test database (committed data only: it reads)."""
    folder = tmp_path_factory.mktemp("server")
    with django_db_blocker.unblock():
        name = str(connection.settings_dict["NAME"])
    (folder / "server_settings.py").write_text(
        "from sifa.conf.test_settings import *  # noqa: F403\n"
        f"DATABASES['default']['NAME'] = {name!r}  # noqa: F405\n",
        encoding="utf-8",
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "server_settings",
        "PYTHONPATH": os.pathsep.join([str(folder), str(SRC), os.environ.get("PYTHONPATH", "")]),
        "SIFA_SIGNING_KEY_DIR": str(settings.SIGNING_KEY_DIR),
        "SIFA_LOG_LEVEL": "WARNING",
        "SIFA_SERVER_LOG": str(folder),
    }


class Server:
    """``sifa serve`` (which execs granian: its pid is granian's main process)."""

    def __init__(self, env: dict[str, str], *args: str, workers: int = 2) -> None:
        self.port = free_port()
        self.workers = workers
        self.log = Path(env["SIFA_SERVER_LOG"]) / f"serve-{self.port}.log"
        argv = [sys.executable, "-m", "sifa", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [*argv, "--workers", str(workers), *args], env=env, stdout=out, stderr=out, process_group=0
            )

    def wait_ready(self) -> None:
        """Both workers listen and the site answers."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.tail()
            if len(listening_sockets(self.port)) >= self.workers:
                try:
                    if all(get(self.port, timeout=5)[0] == 200 for _ in range(4)):
                        return
                except OSError:
                    pass
            time.sleep(0.2)
        raise AssertionError(f"sifa serve not ready after {START_TIMEOUT:.0f} s\n{self.tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def idle_connections(port: int) -> list[socket.socket]:
    """16 connections left idle: after a complete request, in the middle of a head, silent."""
    idle = []
    for _ in range(IDLE_COMPLETE):
        sock = socket.create_connection(("127.0.0.1", port), timeout=1)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        try:
            sock.recv(65536)  # the answer (or its start) or nothing: a starved worker sends nothing
        except TimeoutError:
            pass
        idle.append(sock)
    for _ in range(IDLE_PARTIAL):
        sock = socket.create_connection(("127.0.0.1", port), timeout=1)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        idle.append(sock)
    idle += [socket.create_connection(("127.0.0.1", port), timeout=1) for _ in range(IDLE_SILENT)]
    return idle


def visitor_latencies(port: int, timeout: float, requests: int) -> tuple[list[float], int]:
    """``requests`` GETs from VISITORS threads, each on a new connection: latencies (ms), failures."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def visitor() -> None:
        for _ in range(requests // VISITORS):
            started = time.perf_counter()
            try:
                ok = get(port, timeout=timeout)[0] == 200
            except OSError:
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                failures[0] += 0 if ok else 1

    threads = [threading.Thread(target=visitor) for _ in range(VISITORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(latencies), failures[0]


def p95(latencies: list[float]) -> float:
    return latencies[max(0, int(len(latencies) * 0.95) - 1)]


def slow_client_run(server: Server, timeout: float, requests: int = REQUESTS) -> tuple[float, int]:
    idle = idle_connections(server.port)
    try:
        time.sleep(0.3)
        latencies, failures = visitor_latencies(server.port, timeout, requests)
    finally:
        for sock in idle:
            sock.close()
    return p95(latencies), failures


@pytest.fixture(scope="module")
def server(server_env) -> Iterator[Server]:
    started = Server(server_env)
    try:
        started.wait_ready()
        yield started
    finally:
        started.stop()


def test_idle_and_slow_clients_do_not_starve_the_server(server):
    figure, failures = slow_client_run(server, timeout=10)
    print(
        f"\nslow clients: {IDLE_COMPLETE + IDLE_PARTIAL + IDLE_SILENT} idle connections, then "
        f"{REQUESTS} GET /healthz: p95 {figure:.1f} ms, failures {failures}"
    )
    assert failures == 0
    assert figure < P95_LIMIT_MS


def test_the_check_sees_a_starved_server(server_env):
    """The mutation: one connection per thread (the budget before issue 14) fails the check
    (one worker: it starts faster, and 4 slots are as easy to fill as 2 × 4)."""
    starved = Server(server_env, "--connections", "4", "--threads", "4", workers=1)
    try:
        starved.wait_ready()
        figure, failures = slow_client_run(starved, timeout=0.5, requests=24)  # it fails fast
    finally:
        starved.stop()
    print(f"\nstarved server (4 connections per worker): p95 {figure:.1f} ms, failures {failures}")
    assert failures > 0 or figure >= P95_LIMIT_MS


def test_a_killed_worker_is_respawned_and_no_answered_request_is_lost(server):
    """A worker killed under load; the ``sifa serve`` process (``sifa run``'s web child) stays."""
    port = server.port
    main = server.process.pid  # sifa serve exec'd granian: its main process
    outcomes: list[tuple[float, str]] = []  # (time, "ok" | an error's name | "status N")
    stop_at = [time.monotonic() + START_TIMEOUT]

    def client() -> None:
        conn: http.client.HTTPConnection | None = None
        while time.monotonic() < stop_at[0]:
            at = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200 and b'"status": "ok"' in body
                outcomes.append((at, "ok" if ok else f"status {response.status}"))
            except (OSError, http.client.HTTPException) as error:
                outcomes.append((at, type(error).__name__))
                if conn is not None:
                    conn.close()
                conn = None

    before = children_of(main)
    sockets = listening_sockets(port)
    threads = [threading.Thread(target=client) for _ in range(LOAD_CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    killed_at = time.monotonic()
    os.kill(before[0], signal.SIGKILL)
    # The load runs on until the new worker listens (it starts Django first), then 2 s more.
    respawned_in = None
    while time.monotonic() < stop_at[0]:
        now = listening_sockets(port)
        if len(now) == 2 and now != sockets:
            respawned_in = time.monotonic() - killed_at
            break
        time.sleep(0.1)
    stop_at[0] = min(stop_at[0], time.monotonic() + 2)
    for thread in threads:
        thread.join()
    after = children_of(main)

    assert server.process.poll() is None, "sifa serve exited: sifa run would have stopped everything"
    assert len(before) == 2 and len(after) == 2, (before, after)
    assert before[0] not in after, "the killed worker is still listed"
    assert respawned_in is not None, "no new worker listens"
    assert [get(port)[0] for _ in range(10)] == [200] * 10
    answered = [at for at, what in outcomes if what == "ok"]
    failed = [(at - killed_at, what) for at, what in outcomes if what != "ok"]
    print(
        f"\nworker killed under load: respawned and listening after {respawned_in:.1f} s; "
        f"{len(answered)} answered, {len(failed)} failed ({sorted({what for _, what in failed})}), "
        f"at {[round(at, 2) for at, _ in failed][:10]} s from the kill"
    )
    # An answer that came back is whole: a bad status or body would be listed as "status N".
    assert not [what for _, what in failed if what.startswith("status")], failed
    # The only failures: requests the dead worker held, at the kill. A request's time is when it
    # was sent, so one sent shortly before the kill and still in the worker fails too: on a loaded
    # machine (CI's two xdist workers) that was seen 70 ms before it; a second bounds it.
    assert all(-1.0 <= offset < 2.0 for offset, _ in failed), failed
    assert len(failed) <= 2 * LOAD_CLIENTS, failed
    assert any(at > killed_at + 2 for at in answered), "nothing answered after the kill"


def test_sifa_run_serves_the_web_through_sifa_serve():
    """``sifa run``'s web child is ``sifa serve``, so it gets the respawn tested above."""
    argv = run.web_child(8123).argv
    assert argv == [sys.executable, "-m", "sifa", "serve", "--port", "8123"]
