"""Closed-loop HTTP load generators: wrk when installed, else a small threaded Python client, and a
threaded Python *flow* runner for multi-step workloads that wrk cannot drive (W3, W4); plus an
open-loop constant-rate client for latency percentiles (:func:`open_loop`: the p50/p95/p99 of
every HTTP workload at half its saturation, and W7's p95).

Both sides of a ratio always use the same generator with the same settings, so the generator's own
cost (it shares the 2 cores with the server) cancels out of the ratio.
"""

from __future__ import annotations

import http.client
import json
import math
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
    paths: tuple[str, ...] = ()
    """When set, successive requests take these paths in turn (a query set); ``path`` is ignored."""

    def path_at(self, n: int) -> str:
        return self.paths[n % len(self.paths)] if self.paths else self.path


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
            if request.method != "GET" or request.body or request.paths:
                script = Path(tmp) / "request.lua"
                body = request.body.decode().replace("\\", "\\\\").replace('"', '\\"')
                lua = f'wrk.method = "{request.method}"\nwrk.body = "{body}"\n'
                if request.paths:  # ASCII only (percent-encoded), so a JSON array is a Lua string list
                    lua += f"local paths = {{{json.dumps(list(request.paths))[1:-1]}}}\nlocal n = 0\n"
                    lua += "request = function()\n  n = n + 1\n  return wrk.format(nil, paths[(n - 1) % #paths + 1])\nend\n"
                script.write_text(lua)
                argv += ["-s", str(script)]
            argv.append(f"http://{host}:{port}{request.path_at(0)}")
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
                    path = request.path_at(slot + counts[slot] * CONNECTIONS)
                    conn.request(request.method, path, body=request.body or None, headers=request.headers)
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


@dataclass(frozen=True)
class Latencies:
    """Per-request latencies (seconds) of an open-loop run, and what went wrong."""

    seconds: list[float]
    paths: list[str]
    """The path of each latency in ``seconds`` (per-query percentiles)."""
    errors: int
    late: int
    """Requests sent more than 100 ms after their scheduled time (every worker was busy)."""
    rate: float = 0.0
    """The scheduled arrival rate (requests per second)."""
    last_error: str = ""

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds (inf when nothing was measured)."""
        return 1000 * nearest_rank(sorted(self.seconds), p)


def nearest_rank(ordered: list[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile of an ascending list: the smallest value with at least
    ``p`` % of the values at or below it (inf for an empty list)."""
    if not ordered:
        return math.inf
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def schedule(rate: float, seconds: float) -> list[float]:
    """The due times (seconds after the start) of a constant-rate open-loop run: request *i* is
    due at *i* ÷ ``rate``, whatever happened to the requests before it; at least one request."""
    if rate <= 0:
        raise ValueError("the arrival rate must be positive")
    return [i / rate for i in range(max(1, int(rate * seconds)))]


Job = Callable[[int], str]
"""Request *i* of an open-loop run, sent on a connection of its own: returns a label for the
latency (e.g. the path) or raises (OSError, HTTPException, FlowError) when it failed."""

OPEN_LOOP_WORKERS = 32


def open_loop(rate: float, seconds: float, job: Job, workers: int = OPEN_LOOP_WORKERS) -> Latencies:
    """Run ``job(i)`` at a constant ``rate`` per second for ``seconds`` from ``workers`` threads,
    whatever the answers' speed (open loop, scale.md §7.1.2).

    Job *i* is due at ``start + i / rate`` (:func:`schedule`); its latency runs from that due time
    to the end of the answer, so a job that waited for a free worker counts its wait (no
    coordinated omission: a slow answer cannot hold back the arrivals behind it, and the time they
    waited is measured). A job that raised counts as an error and not as a latency.
    """
    due_times = schedule(rate, seconds)
    lock = threading.Lock()
    turn = [0]
    latencies: list[float] = []
    labels: list[str] = []
    errors = [0]
    late = [0]
    last_error = [""]
    start = time.perf_counter() + 0.05

    def worker() -> None:
        while True:
            with lock:
                i = turn[0]
                turn[0] += 1
            if i >= len(due_times):
                break
            due = start + due_times[i]
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            elif wait < -0.1:
                with lock:
                    late[0] += 1
            try:
                label = job(i)
                ok = True
            except (OSError, http.client.HTTPException, FlowError) as failure:
                ok = False
                last_error[0] = str(failure)[:300]
            elapsed = time.perf_counter() - due
            with lock:
                if ok:
                    latencies.append(elapsed)
                    labels.append(label)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Latencies(latencies, labels, errors[0], late[0], rate, last_error[0])


def request_job(host: str, port: int, request: Request) -> Job:
    """Job *i*: ``request`` (its *i*-th path of a query set) on a new connection, closed after.

    Each request opens its own connection, as distinct visitors do: a keep-alive connection left
    idle between requests can hold one of the server's slots (granian ``--backpressure``), and a
    request on a connection beyond them waited for the whole run (seen: ~9.6 s in a 10 s run).
    An answer of 400 or more is a failure.
    """

    def job(i: int) -> str:
        path = request.path_at(i)
        conn = http.client.HTTPConnection(host, port, timeout=30)
        try:
            headers = {**request.headers, "Connection": "close"}
            conn.request(request.method, path, body=request.body or None, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status >= 400:
                raise FlowError(f"{request.method} {path} answered {response.status}: {body[:200]!r}")
        finally:
            conn.close()
        return path

    return job


def open_loop_latencies(
    host: str, port: int, request: Request, rate: float, seconds: float, workers: int = 16
) -> Latencies:
    """Send ``request`` (cycling its ``paths``) at a constant ``rate`` per second for ``seconds``
    (:func:`open_loop` with :func:`request_job`); ``paths`` of the result are the requests' paths."""
    return open_loop(rate, seconds, request_job(host, port, request), workers)


def pick_generator() -> LoadGenerator:
    """wrk when installed; ``BENCH_LOADGEN=python`` forces the Python generator."""
    binary = shutil.which("wrk")
    if binary and os.environ.get("BENCH_LOADGEN") != "python":
        return Wrk(binary)
    return PythonClosedLoop()
