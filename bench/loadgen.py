"""Closed-loop HTTP load generators: wrk when installed, else a small threaded Python client, and a
threaded Python *flow* runner for multi-step workloads that wrk cannot drive (W3, W4).

Both sides of a ratio always use the same generator with the same settings, so the generator's own
cost (it shares the 2 cores with the server) cancels out of the ratio.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CONNECTIONS = 8


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class Sample:
    requests_per_second: float
    errors: int


class LoadGenerator:
    name = "abstract"

    def measure(self, host: str, port: int, request: Request, seconds: float) -> Sample:
        raise NotImplementedError


class Wrk(LoadGenerator):
    """wrk -t1 -c8 (scale.md §7.1.2); non-2xx/3xx answers and socket errors count as errors."""

    name = f"wrk -t1 -c{CONNECTIONS}"

    def __init__(self, binary: str) -> None:
        self.binary = binary

    def measure(self, host: str, port: int, request: Request, seconds: float) -> Sample:
        argv = [self.binary, "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s"]
        for key, value in request.headers.items():
            argv += ["-H", f"{key}: {value}"]
        with tempfile.TemporaryDirectory() as tmp:
            if request.method != "GET" or request.body:
                script = Path(tmp) / "request.lua"
                body = request.body.decode().replace("\\", "\\\\").replace('"', '\\"')
                script.write_text(f'wrk.method = "{request.method}"\nwrk.body = "{body}"\n')
                argv += ["-s", str(script)]
            argv.append(f"http://{host}:{port}{request.path}")
            out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout  # noqa: S603
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
        socket_errors = re.search(
            r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
        )
        if socket_errors:
            errors += sum(int(n) for n in socket_errors.groups())
        return Sample(rps, errors)


class PythonClosedLoop(LoadGenerator):
    """CONNECTIONS threads, each with one keep-alive connection, sending back-to-back requests."""

    name = f"python http.client, {CONNECTIONS} keep-alive connections"

    def measure(self, host: str, port: int, request: Request, seconds: float) -> Sample:
        counts = [0] * CONNECTIONS
        errors = [0] * CONNECTIONS
        start_gate = threading.Barrier(CONNECTIONS + 1)
        deadline: list[float] = []

        def loop(slot: int) -> None:
            conn = http.client.HTTPConnection(host, port, timeout=30)
            start_gate.wait()
            while time.perf_counter() < deadline[0]:
                try:
                    conn.request(
                        request.method, request.path, body=request.body or None, headers=request.headers
                    )
                    response = conn.getresponse()
                    response.read()
                    if response.status >= 400:
                        errors[slot] += 1
                    counts[slot] += 1
                except (OSError, http.client.HTTPException):
                    errors[slot] += 1
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=30)
            conn.close()

        threads = [threading.Thread(target=loop, args=(slot,), daemon=True) for slot in range(CONNECTIONS)]
        for thread in threads:
            thread.start()
        started = time.perf_counter()
        deadline.append(started + seconds)
        start_gate.wait()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        return Sample(sum(counts) / elapsed, sum(errors))


class FlowError(Exception):
    """A step of a flow got an unexpected answer; the iteration counts as an error."""


Flow = Callable[[http.client.HTTPConnection], int]
"""One iteration of a multi-step workload over a keep-alive connection; returns the units done
(e.g. 1 submission, 2 transitions) or raises :class:`FlowError`."""


def send(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    expect: tuple[int, ...] = (200, 201),
) -> bytes:
    """One request of a flow; raises FlowError on an unexpected status."""
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    if response.status not in expect:
        raise FlowError(f"{method} {path} answered {response.status}: {data[:200]!r}")
    return data


class FlowRunner:
    """CONNECTIONS threads, each running its own flow back to back on one keep-alive connection.

    ``make_flow(slot)`` builds the flow of connection ``slot`` (so each connection can own its own
    cases). The rate is units per second over the measured interval.
    """

    name = f"python flow runner, {CONNECTIONS} keep-alive connections"

    def __init__(self) -> None:
        self.last_error = ""

    def measure(self, host: str, port: int, make_flow: Callable[[int], Flow], seconds: float) -> Sample:
        units = [0] * CONNECTIONS
        errors = [0] * CONNECTIONS
        start_gate = threading.Barrier(CONNECTIONS + 1)
        deadline: list[float] = []
        flows = [make_flow(slot) for slot in range(CONNECTIONS)]

        def loop(slot: int) -> None:
            conn = http.client.HTTPConnection(host, port, timeout=60)
            start_gate.wait()
            while time.perf_counter() < deadline[0]:
                try:
                    units[slot] += flows[slot](conn)
                except (OSError, http.client.HTTPException, FlowError) as failure:
                    errors[slot] += 1
                    self.last_error = str(failure)[:300]
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=60)
            conn.close()

        threads = [threading.Thread(target=loop, args=(slot,), daemon=True) for slot in range(CONNECTIONS)]
        for thread in threads:
            thread.start()
        started = time.perf_counter()
        deadline.append(started + seconds)
        start_gate.wait()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        return Sample(sum(units) / elapsed, sum(errors))


def pick_generator() -> LoadGenerator:
    """wrk when installed; ``BENCH_LOADGEN=python`` forces the Python generator."""
    binary = shutil.which("wrk")
    if binary and os.environ.get("BENCH_LOADGEN") != "python":
        return Wrk(binary)
    return PythonClosedLoop()
