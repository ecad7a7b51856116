"""The message log's durable request commit under concurrency: where its fsync happens (ADR 0020).

``python -m bench.log_fsync MODE PROCESSES COUNT [SEND_MS]`` (Django settings and database from the
environment; a migrated SQLite file) runs PROCESSES worker processes that each log COUNT request
rows as a relay does before sending: MODE ``atomic`` commits each in ``transaction.atomic()`` (the
connection's ``synchronous=FULL``: the fsync under SQLite's write lock, as before ADR 0020),
``deferred`` in ``log.durable_before_sending()`` (committed at ``NORMAL``, the WAL's ``fdatasync``
after the lock is released). Each row is followed by SEND_MS of sleep standing in for the
exchange (default 0). It prints the rows per second of wall time (all workers) and the CPU per
row (``os.times`` of the workers, user and system). Run under ``strace -f -tt -T -y -e
trace=fdatasync,fsync,fcntl -o FILE`` and give the trace to ``python -m bench.log_fsync trace FILE``
to count the fsyncs per row, how many ran while the process held the WAL write lock, how long the
lock was held, and how many WAL fsyncs began while another was running. A measuring tool: the
rows it writes are W9-shaped requests without a partner, in whatever database it is pointed at.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
import time
import uuid


def _worker(mode: str, count: int, send_ms: float, barrier, results) -> None:
    import django

    django.setup()
    from django.db import transaction

    from sifa.exchange.envelope import Envelope
    from sifa.exchange.services import log

    def row() -> None:
        header = {
            "message_id": str(uuid.uuid4()),
            "correlation_id": None,
            "kind": "request",
            "issue": "",
            "purpose": "身份核验（基准）",
            "service": {"code": "identity.verify", "version": "1"},
            "sender": "11330100MB0000000X",
            "receiver": "11330100002500000Y",
            "timestamp": "2026-12-07T08:00:00.000+08:00",
            "key_id": "k",
            "body_digest": "0" * 64,
        }
        envelope = Envelope(b"{}", '{"name":"张三"}'.encode(), b"s" * 64)
        block = log.durable_before_sending() if mode == "deferred" else transaction.atomic()
        with block:
            log.append(
                envelope,
                header,
                {"name": "张三"},
                direction="out",
                status="sent",
                partner=None,
                scope_path="/1/",
            )
        if send_ms:
            time.sleep(send_ms / 1000)

    row()  # the connection, the statement, the WAL descriptor
    barrier.wait()
    started, before = time.monotonic(), os.times()
    for _ in range(count):
        row()
    after = os.times()
    results.put((time.monotonic() - started, after.user - before.user, after.system - before.system))


def run(mode: str, processes: int, count: int, send_ms: float) -> None:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(target=_worker, args=(mode, count, send_ms, barrier, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    done = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    rows = processes * count
    wall = max(seconds for seconds, _, _ in done)
    user, system = (sum(spent[i] for spent in done) / rows * 1000 for i in (1, 2))
    print(
        f"{mode}: {rows / wall:.0f} rows/s, CPU {user + system:.2f} ms/row (user {user:.2f}, system {system:.2f})"
    )


_CALL = re.compile(r"^(\d+)\s+(\d\d:\d\d:\d\d\.\d+)\s+(\w+)\((\d+)<([^>]*)>(.*)")
_RESUMED = re.compile(r"^(\d+)\s+\S+\s+<\.\.\. f(?:data)?sync resumed>.*<(\d+\.\d+)>\s*$")
WAL_WRITE_LOCK = "l_start=120, l_len=1"
"""SQLite's WAL write lock: byte 120 of the ``-shm`` file (``WAL_WRITE_LOCK``, lock 0)."""


def _seconds(clock: str) -> float:
    hours, minutes, seconds = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def trace(path: str) -> None:
    """Counts the fsyncs of a trace (``strace -f -tt -T -y``): of the WAL or another file, while the
    process held the WAL write lock or not; the time the lock was held per acquisition; and how
    many WAL fsyncs were running at once when each began (the overlap of several processes)."""
    held: dict[str, float] = {}
    holds: list[float] = []
    syncs = {"wal, lock held": 0, "wal, lock free": 0, "other, lock held": 0, "other, lock free": 0}
    wal_syncs: list[tuple[float, float]] = []
    running: dict[str, float] = {}  # pid → start of its WAL fsync that strace split in two
    with open(path, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            resumed = _RESUMED.match(line)
            if resumed and resumed.group(1) in running:
                start = running.pop(resumed.group(1))
                wal_syncs.append((start, start + float(resumed.group(2))))
                continue
            found = _CALL.match(line)
            if not found:
                continue
            pid, clock, call, _, file, rest = found.groups()
            at = _seconds(clock)
            if call == "fcntl" and file.endswith("-shm") and WAL_WRITE_LOCK in rest and "F_SETLK" in rest:
                if "F_WRLCK" in rest and re.search(r"\) = 0 <", rest):
                    held[pid] = at
                elif "F_UNLCK" in rest and pid in held:
                    holds.append(at - held.pop(pid))
            elif call in ("fdatasync", "fsync"):
                where = "wal" if file.endswith("-wal") else "other"
                syncs[f"{where}, {'lock held' if pid in held else 'lock free'}"] += 1
                took = re.search(r"<(\d+\.\d+)>$", rest.strip())
                if where == "wal" and took:
                    wal_syncs.append((at, at + float(took.group(1))))
                elif where == "wal" and "unfinished" in rest:
                    running[pid] = at
    for key, value in syncs.items():
        print(f"{key}: {value}")
    if holds:
        holds.sort()
        print(
            f"WAL write lock held: {len(holds)} times, median {holds[len(holds) // 2] * 1000:.2f} ms, "
            f"mean {sum(holds) / len(holds) * 1000:.2f} ms"
        )
    if wal_syncs:
        overlapping = sum(
            1
            for start, end in wal_syncs
            if any(s < start < e for s, e in wal_syncs if (s, e) != (start, end))
        )
        mean = sum(end - start for start, end in wal_syncs) / len(wal_syncs)
        print(
            f"WAL fsyncs: {len(wal_syncs)}, mean {mean * 1000:.2f} ms, begun while another ran: {overlapping}"
        )


if __name__ == "__main__":
    if sys.argv[1] == "trace":
        trace(sys.argv[2])
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sifa.conf.settings")
        run(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 0.0)
