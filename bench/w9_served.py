"""W9's signed side as ``bench.run`` serves it, with the CPU of every process per round trip.

``python -m bench.w9_served [SECONDS] [--clients N] [--rounds R] [--openssl]`` (with ``BENCH_DATABASE_URL``
for PostgreSQL) uses the bench database as ``python -m bench.run --only W9`` left it (run that
once first). It starts the partner simulator as W9 does (its own process, ``--latency-ms 0``) and
N client processes (default ``W9_CLIENTS``, 4) that run ``bench.exchangespeed.Signed.once`` back to
back, exactly W9's signed side. Over the measured seconds it reads, from ``/proc``:

* the CPU (user, system) of the clients, of the simulator and, on PostgreSQL, of each client's
  server backend; their voluntary and involuntary context switches and file read/write system
  calls;
* the machine's idle and I/O-wait time (``/proc/stat``), and the load average;

and prints each per round trip (``--openssl``: after each round ``openssl speed sm2`` as W9 runs
it, and the quotient, W9b's), so that the served round trip's time can be told apart: the
CPU of each peer, the database server's, and the time no process could run (waits: the WAL's
fsync, a lock, the other peer). A measuring tool only: it writes W9-shaped rows into the bench
database, as W9 does.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> tuple[float, float]:
    """(user, system) seconds of a process, from ``/proc/PID/stat``."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def _proc_switches(pid: int) -> tuple[int, int]:
    """(voluntary, involuntary) context switches of a process, all its threads."""
    voluntary = involuntary = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("voluntary_ctxt_switches"):
                    voluntary += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    involuntary += int(line.split()[1])
    return voluntary, involuntary


def _machine() -> tuple[float, float, float]:
    """(total, idle, iowait) seconds of all CPUs, from ``/proc/stat``."""
    with open("/proc/stat", encoding="ascii") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    return sum(values[:8]) / TICK, values[3] / TICK, values[4] / TICK


def _proc_syscalls(pid: int) -> tuple[int, int]:
    """(read, write) system calls of a process on files (``/proc/PID/io``: ``syscr``, ``syscw``:
    ``read``/``pread``/``write``/``pwrite`` and the like; a socket's ``recv``/``send`` are not
    counted there): the database files' I/O of a peer or a backend."""
    with open(f"/proc/{pid}/io", encoding="ascii") as handle:
        found = dict(line.split(":") for line in handle if ":" in line)
    return int(found["syscr"]), int(found["syscw"])


def _sample(pid: int) -> tuple[float, float, int, int, int, int]:
    return (*_proc_cpu(pid), *_proc_switches(pid), *_proc_syscalls(pid))


def _worker(base: str, seconds: float, barrier, results) -> None:
    from bench.exchangespeed import Signed, _setup

    _setup()
    from django.db import connection

    client = Signed(base)
    client.once(0)
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
    barrier.wait()
    started = time.perf_counter()
    mine, theirs = _sample(os.getpid()), _sample(backend) if backend else None
    count, deadline = 0, started + seconds
    while time.perf_counter() < deadline:
        client.once(count)
        count += 1
    elapsed = time.perf_counter() - started
    mine_after = _sample(os.getpid())
    theirs_after = _sample(backend) if backend else None
    results.put(
        (
            count,
            elapsed,
            [b - a for a, b in zip(mine, mine_after, strict=True)],
            [b - a for a, b in zip(theirs, theirs_after, strict=True)] if backend else None,
        )
    )


def _round(base: str, sim_pid: int, seconds: float, clients: int) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(clients + 1), context.Queue()
    workers = [
        context.Process(target=_worker, args=(base, seconds, barrier, results)) for _ in range(clients)
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    sim, machine = _sample(sim_pid), _machine()
    time.sleep(seconds)
    sim_after, machine_after = _sample(sim_pid), _machine()
    done = [results.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join()
    rate = sum(count / elapsed for count, elapsed, _, _ in done)
    trips = sum(count for count, _, _, _ in done)
    per = 1000 / trips  # ms per round trip, of a total over all round trips
    out = {
        "round trips/s": rate,
        "clients user": sum(d[2][0] for d in done) * per,
        "clients system": sum(d[2][1] for d in done) * per,
        "clients vol. switches": sum(d[2][2] for d in done) / trips,
        "clients invol. switches": sum(d[2][3] for d in done) / trips,
        "clients read calls": sum(d[2][4] for d in done) / trips,
        "clients write calls": sum(d[2][5] for d in done) / trips,
    }
    sim_delta = [b - a for a, b in zip(sim, sim_after, strict=True)]
    sim_trips = rate * seconds  # the simulator and the machine were sampled over the parent's window
    out |= {
        "simulator user": sim_delta[0] * 1000 / sim_trips,
        "simulator system": sim_delta[1] * 1000 / sim_trips,
        "simulator vol. switches": sim_delta[2] / sim_trips,
        "simulator invol. switches": sim_delta[3] / sim_trips,
    }
    if done[0][3] is not None:
        out |= {
            "backends user": sum(d[3][0] for d in done) * per,
            "backends system": sum(d[3][1] for d in done) * per,
            "backends vol. switches": sum(d[3][2] for d in done) / trips,
            "backends read calls": sum(d[3][4] for d in done) / trips,
            "backends write calls": sum(d[3][5] for d in done) / trips,
        }
    total, idle, iowait = (b - a for a, b in zip(machine, machine_after, strict=True))
    out |= {
        "machine busy": (total - idle - iowait) * 1000 / sim_trips,
        "machine idle": idle * 1000 / sim_trips,
        "machine iowait": iowait * 1000 / sim_trips,
        "idle + iowait %": (idle + iowait) / total * 100 if total else 0.0,
        "load average": os.getloadavg()[0],
    }
    return out


def _openssl_pairs(seconds: float) -> float:
    """W9's denominator (R9b): ``openssl speed sm2`` as W9 runs it, its sign+verify pair rate."""
    from bench.exchange_workloads import openssl_pair_rate

    out = subprocess.run(  # noqa: S603
        ["openssl", "speed", "-seconds", str(max(1, round(seconds / 2))), "sm2"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return openssl_pair_rate(out)


def main(argv: list[str]) -> int:
    seconds = float(argv[0]) if argv and not argv[0].startswith("-") else 5.0
    clients = (
        int(argv[argv.index("--clients") + 1])
        if "--clients" in argv
        else int(os.environ.get("W9_CLIENTS", "4"))
    )
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    from bench.run import BENCH_DIR, seed_env
    from bench.workloads import Context  # before bench.exchange_workloads (a circular import)

    # isort: split
    from bench.exchange_workloads import Simulator, client_env

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
    ctx = Context("127.0.0.1", 0, seed)
    sim = Simulator(ctx, keys_file, BENCH_DIR / "w9-served-police.sqlite3")
    measured = []
    try:
        sim.wait_healthy()
        os.environ.update(client_env(ctx, f"{parties['receiver']}={sim.base}/exchange/"))
        _round(sim.base, sim.process.pid, min(2.0, seconds), clients)  # warm-up, discarded
        for _ in range(rounds):  # A C, A C, … as W9 alternates its signed side and OpenSSL's
            measured.append(_round(sim.base, sim.process.pid, seconds, clients))
            if "--openssl" in argv:
                pairs = _openssl_pairs(seconds)
                measured[-1] |= {"openssl pairs/s": pairs, "R9b": measured[-1]["round trips/s"] / pairs}
    finally:
        sim.stop()
    print(
        f"W9 signed side, {clients} clients, {rounds} × {seconds:g} s (per round trip: ms of CPU, switches)"
    )
    for key in measured[0]:
        values = [m[key] for m in measured]
        print(f"  {key:28s} {statistics.median(values):9.3f}   ({', '.join(f'{v:.3f}' for v in values)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
