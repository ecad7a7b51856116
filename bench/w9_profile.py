"""Profile W9's signed round trip at one client (docs/performance.md, "W9").

``python -m bench.w9_profile [N] [--cprofile]`` (with ``BENCH_DATABASE_URL`` for PostgreSQL) uses
the bench database as ``python -m bench.run --only W9`` left it (run that once first), starts the
real partner simulator (its own process and SQLite file), then runs N signed round trips
(default 300) in this process, one after the other, exactly as ``bench.exchangespeed signed``
does, and prints the median time of each part: seal, the request's log append and commit, the
HTTP call, and the opening and logging of the answer (wall time; with ``--cpu`` this process's CPU
time instead, which a loaded machine distorts far less: the HTTP part is then the client's own
share of the call, without the simulator's). With ``--cprofile`` it also prints the 25
most expensive functions (cumulative) over the N round trips, and the number of SQL queries of
one round trip (a CPU-time profile: on a shared machine a wall-clock one charges other processes'
turns to whatever was running). Both peers' CPU per round trip (user + system, the simulator's from
``/proc``) is printed first. The simulator is not profiled function by function: it answers in
its server's connection threads, which ``python -m cProfile`` does not see.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    count = int(next((a for a in argv if a.isdigit()), "300"))
    profile = "--cprofile" in argv
    clock = time.process_time if "--cpu" in argv else time.perf_counter
    from bench.run import BENCH_DIR, seed_env
    from bench.workloads import Context  # before bench.exchange_workloads (a circular import)

    # isort: split
    from bench.exchange_workloads import _free_port, client_env

    seed = seed_env()
    keys_file = BENCH_DIR / "w9-sifa-keys.json"
    prepared = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.exchangespeed", "prepare", str(keys_file)],
        env=seed,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    parties = json.loads(prepared.stdout)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    db = Path(tempfile.mkdtemp()) / "w9-profile.sqlite3"
    sim = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "sifa",
            "partner-sim",
            "--as",
            "police",
            "--port",
            str(port),
            "--db",
            str(db),
            "--sifa-keys",
            str(keys_file),
            "--latency-ms",
            "0",
        ],
        env=seed,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        ctx = Context("127.0.0.1", 0, seed)
        os.environ.update(client_env(ctx, f"{parties['receiver']}={base}/exchange/"))
        import urllib.request

        for _ in range(600):  # up to 2 minutes on a loaded machine
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        return _profile(base, count, profile, sim.pid, clock)
    finally:
        sim.terminate()
        sim.wait(timeout=30)


def _cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of a process so far (/proc/PID/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _profile(base: str, count: int, profile: bool, sim_pid: int, now=time.perf_counter) -> int:
    from bench.exchangespeed import Signed, _setup

    _setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from sifa.exchange import http_transport
    from sifa.exchange.models import Direction, MessageStatus
    from sifa.exchange.services import envelopes, log

    client = Signed(base)
    for i in range(20):  # warm: imports, connections, caches
        client.once(i)
    parts: dict[str, list[float]] = {"seal": [], "log request": [], "HTTP": [], "open + log answer": []}
    post, open_ = http_transport.HttpTransport._post, http_transport.HttpTransport._open
    clock: dict[str, float] = {}  # the last round trip's parts

    def timed_post(self, *args, **kwargs):
        started = now()
        try:
            return post(self, *args, **kwargs)
        finally:
            clock["HTTP"] = now() - started

    def timed_open(*args, **kwargs):
        started = now()
        try:
            return open_(*args, **kwargs)
        finally:
            clock["open + log answer"] = now() - started

    chain_pending = log.chain_pending
    batches: list[tuple[int, float]] = []

    def timed_chain(*args, **kwargs):
        started = now()
        chained = chain_pending(*args, **kwargs)
        batches.append((chained, now() - started))
        return chained

    log.chain_pending = timed_chain
    http_transport.HttpTransport._post = timed_post
    http_transport.HttpTransport._open = staticmethod(timed_open)

    def once(index: int) -> None:
        from bench.exchangespeed import _body, _header

        body = _body(index)
        started = now()
        envelope = envelopes.seal(_header(client.organisation, client.partner), body)
        clock["seal"] = now() - started
        started = now()
        with transaction.atomic():
            log.append(
                envelope,
                json.loads(envelope.header_bytes),
                body,
                direction=Direction.OUTBOUND,
                status=MessageStatus.SENT,
                partner=client.partner,
                scope_path=client.organisation.path,
            )
        clock["log request"] = now() - started
        client.transport.deliver(client.endpoint, envelope, timeout=30)

    totals = []
    # CPU time, not wall time: on a shared machine a wall-clock profile charges other processes' turns
    # (and every fsync wait) to whatever function was running.
    profiler = cProfile.Profile(time.process_time) if profile else None
    cpu_client, cpu_sim = os.times(), _cpu_seconds(sim_pid)
    for i in range(count):
        started = now()
        if profiler:
            profiler.enable()
        once(1000 + i)
        if profiler:
            profiler.disable()
        totals.append(now() - started)
        for name in parts:
            parts[name].append(clock[name])
    after = os.times()
    client_cpu = (after.user + after.system - cpu_client.user - cpu_client.system) / count * 1000
    sim_cpu = (_cpu_seconds(sim_pid) - cpu_sim) / count * 1000
    from sifa.core.signing.sm2 import backend_name

    kind = "CPU time of the client process" if now is time.process_time else "wall time"
    print(f"{connection.vendor}: {count} signed round trips, one client, median per part (ms, {kind}):")
    print(
        f"  CPU per round trip (user+system, mean): client {client_cpu:.2f} ms, simulator {sim_cpu:.2f} ms, "
        f"both {client_cpu + sim_cpu:.2f} ms (SM2 backend: {backend_name()}"
        f"{', under cProfile' if profile else ''})"
    )
    for name, values in parts.items():
        print(f"  {name:20s} {statistics.median(values) * 1000:7.2f}")
    rate = "" if now is time.process_time else f"  ({1 / statistics.median(totals):.0f}/s)"
    print(f"  {'total':20s} {statistics.median(totals) * 1000:7.2f}{rate}")
    if batches:
        rows = sum(n for n, _ in batches)
        spent = sum(t for _, t in batches)
        print(
            f"  chaining: {len(batches)} batches of {rows / len(batches):.0f} rows, "
            f"{spent / len(batches) * 1000:.1f} ms each, {spent / count * 1000:.2f} ms per round trip"
        )
    with CaptureQueriesContext(connection) as queries:
        once(999_999)
    print(f"  SQL statements in one round trip: {len(queries.captured_queries)}")
    for query in queries.captured_queries:
        print("    ", query["sql"][:110])
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        pstats.Stats(profiler).sort_stats("cumulative").print_callees(
            "_open|append|deliver|chain_pending|bulk_update"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
