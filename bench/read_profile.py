"""Profile the small reads in-process: ``me``, W5 (public progress query), W6a (licence verification).

Runs against the bench database that ``python -m bench.run`` seeded (same settings, keys and data
as the benchmarked server), through Django's test client with the full middleware stack, and prints
per workload the queries of one request, the wall and CPU (``time.process_time``) milliseconds per
request, and a cProfile summary of N requests::

    PYTHONPATH=src .venv/bin/python -m bench.read_profile [--requests 300] [--top 25]

``--rounds N --only me,hello`` only times: the workloads' loops alternate N times and the median
CPU time per request (``time.process_time``) of each is printed with its ratio to hello; add
``--server-connections`` to run ``close_old_connections()`` before each request as the server does
(the first query then pays ``CONN_HEALTH_CHECKS``), and ``--no-health-checks`` to turn the check off.

With ``BENCH_DATABASE_URL`` set it reads the PostgreSQL bench database instead. It makes its own
bearer token (for a bench staff account) and gives one accepted bench case a new query code (the
seeded code is not kept), in the bench database only.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time


def _setup() -> None:
    from bench.run import server_env

    os.environ.update(server_env())
    os.environ.setdefault("SIFA_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    import django

    django.setup()


def _fixtures() -> dict[str, tuple[str, dict]]:
    from sifa.accounts.models import User
    from sifa.accounts.services.auth import issue_api_token
    from sifa.applications.models import Application
    from sifa.applications.query_codes import new_query_code, query_code_digest
    from sifa.licences.models import Licence

    staff = User.objects.get(username="bench-reviewer")
    token, _ = issue_api_token(staff)
    case = (
        Application.objects.filter(number__isnull=False).exclude(query_code_digest="").order_by("-pk").first()
    )
    code = new_query_code()
    Application.objects.filter(pk=case.pk).update(query_code_digest=query_code_digest(code))
    licence = Licence.objects.order_by("-pk").first()
    return {
        "me": ("/api/v1/me/", {"HTTP_AUTHORIZATION": f"Bearer {token}"}),
        "W5": (f"/api/v1/track/{case.number}/?code={code}", {}),
        "W6a": (f"/api/v1/licences/verify/{licence.identifier}/", {}),
        "db1": ("/bench/db1", {}),
        "hello": ("/bench/hello", {}),
    }


def _rounds(
    client,
    fixtures,
    keys: list[str],
    rounds: int,
    requests: int,
    vendor: str,
    server_connections: bool = False,
) -> int:
    """CPU ms per request (``time.process_time``) of each workload, its loops alternated with the
    others' so a change in the machine's load touches all of them; medians of ``rounds``.

    With ``server_connections`` every request is preceded by ``close_old_connections()``, as the
    server's ``request_started``/``request_finished`` signals do (the test client skips them): with
    ``CONN_HEALTH_CHECKS`` the first query of each request then pays the ``SELECT 1`` check."""
    import statistics

    from django.db import close_old_connections

    times: dict[str, list[float]] = {key: [] for key in keys}
    walls: dict[str, list[float]] = {key: [] for key in keys}
    for key in keys:
        path, headers = fixtures[key]
        for _ in range(30):
            client.get(path, **headers)
    for _ in range(rounds):
        for key in keys:
            path, headers = fixtures[key]
            started, wall_started = time.process_time(), time.perf_counter()
            for _ in range(requests):
                if server_connections:
                    close_old_connections()
                client.get(path, **headers)
            times[key].append((time.process_time() - started) / requests * 1000)
            walls[key].append((time.perf_counter() - wall_started) / requests * 1000)
    hello = statistics.median(times["hello"]) if "hello" in times else None
    for key, values in times.items():
        ms = statistics.median(values)
        ratio = f"  {hello / ms:5.3f} × hello" if hello else ""
        wall = statistics.median(walls[key])
        print(
            f"{vendor:10} {key:6} {ms:7.3f} ms CPU, {wall:7.3f} ms wall per request (median of {rounds}){ratio}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", default="me,W5,W6a,db1,hello")
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="only time CPU: alternate the workloads' loops of --requests this many times, print medians",
    )
    parser.add_argument(
        "--server-connections",
        action="store_true",
        help="with --rounds: close_old_connections() before each request, as the server does",
    )
    parser.add_argument(
        "--no-health-checks",
        action="store_true",
        help="turn CONN_HEALTH_CHECKS off for this run (to measure what the check costs)",
    )
    args = parser.parse_args(argv)
    _setup()
    from django.db import connection

    if args.no_health_checks:
        connection.settings_dict["CONN_HEALTH_CHECKS"] = False
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")
    fixtures = _fixtures()
    if args.rounds:
        return _rounds(
            client,
            fixtures,
            args.only.split(","),
            args.rounds,
            args.requests,
            connection.vendor,
            server_connections=args.server_connections,
        )
    cpu: dict[str, float] = {}
    for key in args.only.split(","):
        path, headers = fixtures[key]
        for _ in range(20):  # warm up: URL resolver, caches, connection
            response = client.get(path, **headers)
        if response.status_code != 200:
            print(f"{key}: GET {path} answered {response.status_code}: {response.content[:200]!r}")
            continue
        queries: list[str] = []

        def note(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(note):
            client.get(path, **headers)
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(args.requests):
            client.get(path, **headers)
        plain = (time.perf_counter() - started) / args.requests * 1000
        cpu[key] = (time.process_time() - cpu_started) / args.requests * 1000
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.requests):
            client.get(path, **headers)
        profiler.disable()
        elapsed = time.perf_counter() - started
        print(f"\n=== {key}: GET {path.split('?')[0]}  {connection.vendor}")
        print(
            f"{len(queries)} queries per request; {cpu[key]:.2f} ms CPU, {plain:.2f} ms wall per request "
            f"({elapsed / args.requests * 1000:.2f} ms under cProfile)"
        )
        for sql in queries:
            print("   ", " ".join(sql.split())[:200])
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())
    if "hello" in cpu:
        print(
            "\nCPU per request (time.process_time), and hello's CPU ÷ the workload's (the ratio the harness targets):"
        )
        for key, ms in cpu.items():
            print(f"  {key:6} {ms:7.3f} ms  {cpu['hello'] / ms:5.3f} × hello")
    return 0


if __name__ == "__main__":
    sys.exit(main())
