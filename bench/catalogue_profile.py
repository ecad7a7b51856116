"""Profile W1, W1h and W2 in-process (docs/performance.md, "W1/W1h/W2 profiles").

``python -m bench.catalogue_profile [N] [--cprofile] [--cached]`` (with ``BENCH_DATABASE_URL`` for
PostgreSQL) uses the bench database as ``python -m bench.run --only W1,W1h,W2`` left it (run that
once first), with the server's settings (``bench.settings``, DEBUG off), and requests each page N
times (default 200) — and W0's ``/healthz`` — through Django's test client, anonymously, as wrk does. For each page it
prints the SQL queries of one request (count and statements) and the median **CPU time** of a
request (``time.process_time`` of this one thread: other processes on the machine do not count,
unlike wall-clock rates), next to the Django hello view ``/bench/hello`` measured the same way —
their quotient is an in-process estimate of the bench's ratio that a loaded machine barely moves.
With ``--cprofile`` it also prints the 25 most expensive functions (own CPU time) over N requests.
``--cached`` leaves the public page cache on (by default it is off for this process,
``SIFA_PUBLIC_CACHE_SECONDS=0``, so the profile is of the uncached path).
``--no-cookies`` forgets the answer's cookies after every request, so each request comes from a
new visitor as with wrk (which keeps no cookies): an HTML page then makes a new CSRF secret every
time. Without it the client keeps the ``csrftoken`` cookie of its first page, as a browser does.

``--rounds R`` (with ``--only hello,W1h,…`` to pick pages) only times: the pages' loops of N requests
alternate R times, so hello and each page see the same load, and the median over the rounds of each
page's CPU time per request is printed with the median of the rounds' ratios hello ÷ page, and
the same for each round's 10th percentile (less moved by other processes on a loaded machine).
``--server-connections`` runs ``close_old_connections()`` before each request, as the server's
request signals do (the test client skips them), so the first statement of each request pays
``CONN_HEALTH_CHECKS`` as it does in the server. On PostgreSQL the rounds also print the CPU time of
the connection's PostgreSQL backend per request (``utime + stime`` of ``/proc/<pid>/stat`` over
each loop; 10 ms ticks): it shares the machine's cores with the web server, so the bench pays it.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import sys
import time


def main(argv: list[str]) -> int:
    count = int(next((a for a in argv if a.isdigit()), "200"))
    from bench.run import server_env

    os.environ.update(server_env())
    if "--cached" not in argv:
        os.environ["SIFA_PUBLIC_CACHE_SECONDS"] = "0"
    import django

    django.setup()
    from django.db import connections
    from django.test import Client

    from bench.seed_data import _entry

    code = _entry().implementation_code  # the entry W2 reads (the seeded city entry)
    pages = {
        "hello": "/bench/hello",
        "W0": "/healthz",
        "W1": "/api/v1/catalogue/items/",
        "W1h": "/catalogue/",
        "W2": f"/guides/{code}/",
    }

    class Cookieless(Client):
        def request(self, **request):
            response = super().request(**request)
            self.cookies.clear()  # as wrk: every request from a visitor without cookies
            return response

    client = (Cookieless if "--no-cookies" in argv else Client)(HTTP_HOST="127.0.0.1")
    rounds = next((int(argv[i + 1]) for i, a in enumerate(argv) if a == "--rounds"), 0)
    if rounds:
        only = next((argv[i + 1].split(",") for i, a in enumerate(argv) if a == "--only"), list(pages))
        chosen = {k: pages[k] for k in ["hello", *only] if k in pages}
        return _rounds(client, chosen, count, rounds, "--server-connections" in argv)
    cpu: dict[str, float] = {}
    for key, path in pages.items():
        for _ in range(3):
            assert client.get(path).status_code == 200, path
        queries: list[str] = []

        def record(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connections["default"].execute_wrapper(record):
            client.get(path)
        times = []
        for _ in range(count):
            started = time.process_time()
            client.get(path)
            times.append(time.process_time() - started)
        cpu[key] = statistics.median(times)
        ratio = f", hello ÷ this {cpu['hello'] / cpu[key]:.3f}" if key != "hello" else ""
        print(f"## {key} GET {path}: {len(queries)} queries, CPU {cpu[key] * 1000:.2f} ms/request{ratio}")
        for sql in queries:
            print("   ", sql[:200])
        if "--cprofile" in argv and key != "hello":
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for _ in range(count):
                client.get(path)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
            print(out.getvalue())
    return 0


def _backend_ticks() -> int | None:
    """The CPU ticks (utime + stime) of this connection's PostgreSQL backend, or None elsewhere."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:  # not on this machine
        return None
    return int(fields[11]) + int(fields[12])


def _rounds(client, pages: dict[str, str], count: int, rounds: int, server_connections: bool = False) -> int:
    from django.db import close_old_connections

    for path in pages.values():
        for _ in range(3):
            assert client.get(path).status_code == 200, path
    medians: dict[str, list[float]] = {key: [] for key in pages}
    lows: dict[str, list[float]] = {key: [] for key in pages}
    backend: dict[str, list[float]] = {key: [] for key in pages}
    tick = os.sysconf("SC_CLK_TCK")
    for _ in range(rounds):
        for key, path in pages.items():
            times = []
            ticks = _backend_ticks()
            for _ in range(count):
                started = time.process_time()
                if server_connections:
                    close_old_connections()  # request_started's, inside the timed request
                client.get(path)
                times.append(time.process_time() - started)
            after = _backend_ticks()
            if ticks is not None and after is not None:
                backend[key].append((after - ticks) / tick / count)
            medians[key].append(statistics.median(times))
            lows[key].append(statistics.quantiles(times, n=10)[0])
    for key, values in medians.items():
        ratios = [hello / value for hello, value in zip(medians["hello"], values, strict=True)]
        low_ratios = [hello / value for hello, value in zip(lows["hello"], lows[key], strict=True)]
        print(
            f"## {key} GET {pages[key]}: CPU {statistics.median(values) * 1000:.3f} ms/request"
            f" (rounds {min(values) * 1000:.3f}–{max(values) * 1000:.3f}),"
            f" hello ÷ this {statistics.median(ratios):.3f} ({min(ratios):.3f}–{max(ratios):.3f});"
            f" 10th percentiles: {statistics.median(lows[key]) * 1000:.3f} ms,"
            f" hello ÷ this {statistics.median(low_ratios):.3f}"
            + (
                f"; PostgreSQL backend CPU {statistics.median(backend[key]) * 1000:.3f} ms/request"
                if backend[key]
                else ""
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
