"""How long W4's transitions hold SQLite's write lock, against the raw Django write, in this process
(docs/performance.md, "2026-12-06 (session 6): W4").

``python -m bench.w4_locks [PAIRS] [ROUNDS]`` (SQLite: the bench database as ``python -m bench.run
--only W4`` left it). SQLite has one writer at a time: a transaction opened with ``BEGIN
IMMEDIATE`` (Sifa's ``transaction_mode``) holds the database's write lock until its ``COMMIT``
returns, and no other process writes meanwhile, however many cores there are. As the bench
reviewer (a fresh bearer token, the whole middleware stack, W4's requests) it runs PAIRS
suspend/resume pairs, then 2 × PAIRS raw Django writes (``POST /bench/write``), ROUNDS times, and
prints per round: the CPU time (``time.process_time``) per request, and the wall and CPU time from
the ``BEGIN IMMEDIATE`` to the end of the ``COMMIT`` (medians over the round's transactions); the
raw write's lock-held CPU ÷ W4's is the ratio a saturated single writer allows (the wall time
includes waiting for a core on a loaded machine). With ``--profile`` a cProfile runs only while a
transition holds the lock (not the raw writes') and its 40 most expensive functions under the lock
are printed at the end (docs/performance.md, "2026-12-07 (session 7): W4").
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import sys
import time

from bench.w4_profile import SUSPEND, _setup


def main(argv: list[str]) -> int:
    profiling = "--profile" in argv
    argv = [a for a in argv if a != "--profile"]
    pairs, rounds = (int(a) for a in ([*argv, "60", "3"][:2]))
    profiler = cProfile.Profile(time.process_time)
    profile_now: list[bool] = [False]
    _setup()
    from django.db import connections
    from django.db.models import Count
    from django.test import Client

    from sifa.accounts.models import User
    from sifa.accounts.services.auth import issue_api_token
    from sifa.applications.models import Application, ApplicationStatus

    wrapper = type(connections["default"])
    if connections["default"].vendor != "sqlite":
        print("SQLite only: PostgreSQL locks rows, not the database")
        return 2
    held: list[tuple[float, float]] = []
    started: dict[str, float] = {}
    begin, commit = wrapper._start_transaction_under_autocommit, wrapper._commit

    def timed_begin(self):
        started["wall"], started["cpu"] = time.perf_counter(), time.process_time()
        if profile_now[0]:
            profiler.enable()
        return begin(self)

    def timed_commit(self):
        done = commit(self)
        if profile_now[0]:
            profiler.disable()
        if "wall" in started:
            held.append((time.perf_counter() - started.pop("wall"), time.process_time() - started.pop("cpu")))
        return done

    wrapper._start_transaction_under_autocommit, wrapper._commit = timed_begin, timed_commit
    reviewer = User.objects.get(username="bench-reviewer")
    token = issue_api_token(reviewer)[0]
    case = (  # the accepted case with the shortest history
        Application.objects.filter(status=ApplicationStatus.ACCEPTED, accepting_organisation__isnull=False)
        .annotate(entries=Count("timeline"))
        .order_by("entries", "id")
        .first()
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    plain = Client(HTTP_HOST="127.0.0.1")
    base = f"/api/v1/cases/{case.number}/commands"

    def transitions(n: int) -> float:
        cpu = time.process_time()
        for _ in range(n):
            assert (
                client.post(f"{base}/suspend/", SUSPEND, content_type="application/json").status_code == 200
            )
            assert client.post(f"{base}/resume/", {}, content_type="application/json").status_code == 200
        return (time.process_time() - cpu) / (2 * n) * 1000

    def raw(n: int) -> float:
        cpu = time.process_time()
        for i in range(n):
            assert plain.post(f"/bench/write?slot={i % 100}").status_code == 200
        return (time.process_time() - cpu) / n * 1000

    def lock() -> tuple[float, float]:
        found = (statistics.median(h[0] for h in held) * 1000, statistics.median(h[1] for h in held) * 1000)
        held.clear()
        return found

    transitions(10)
    raw(20)
    held.clear()
    print(f"case {case.number}, {pairs} pairs and {2 * pairs} raw writes per round")
    for _ in range(rounds):
        profile_now[0] = profiling
        w4 = transitions(pairs)
        profile_now[0] = False
        w4_wall, w4_cpu = lock()
        write = raw(2 * pairs)
        write_wall, write_cpu = lock()
        print(
            f"W4 {w4:.2f} ms CPU per transition, lock held {w4_cpu:.2f} ms CPU ({w4_wall:.1f} ms wall);"
            f" raw write {write:.2f} ms CPU, lock held {write_cpu:.2f} ms CPU ({write_wall:.1f} ms wall);"
            f" ratio: CPU {write / w4:.3f}, lock-held CPU {write_cpu / w4_cpu:.3f}"
        )
    if profiling:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
