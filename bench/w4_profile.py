"""Profile W4's workflow transition in this process (docs/performance.md, "W4 profile").

``python -m bench.w4_profile [N] [--cprofile]`` (with ``BENCH_DATABASE_URL`` for PostgreSQL) uses
the bench database as ``python -m bench.run --only W4`` left it (run that once first). As the bench
reviewer (a fresh bearer token, through the whole middleware stack and the API view, exactly the
requests of W4) it runs N suspend/resume pairs on one accepted bench case, one after the other,
and prints: the SQL queries of one suspend and of one resume (grouped by table and kind), the
median wall time and the mean CPU time (``time.process_time``) of a transition, and with
``--cprofile`` the 30 most expensive functions (cumulative) over the N pairs. It then runs N more
pairs and prints the median again, so a cost that grows with the case's history shows up as a
slower second half. Last, the CPU time of W4's denominator, the raw Django write
(``POST /bench/write``, UPDATE + INSERT in one transaction), and of the Django hello view, measured
the same way in this process, and W4's CPU ratio to the raw write (R4 if CPU were the only cost).
"""

from __future__ import annotations

import collections
import cProfile
import os
import pstats
import re
import statistics
import sys
import time

SUSPEND = {"kind": "expert_review", "reason": "组织专家评审"}


def _setup() -> None:
    from bench.run import server_env

    os.environ.update(server_env())
    os.environ["SIFA_DEBUG"] = "0"
    import django

    django.setup()


def _shape(sql: str) -> str:
    sql = sql.strip()
    verb = sql.split(None, 1)[0].upper()
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?([\w]+)"?', sql, re.IGNORECASE)
    return f"{verb} {table.group(1) if table else sql[:60]}"


def main(argv: list[str]) -> int:
    count = int(next((a for a in argv if a.isdigit()), "200"))
    _setup()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from sifa.accounts.models import User
    from sifa.accounts.services.auth import issue_api_token
    from sifa.applications.models import Application, ApplicationStatus

    reviewer = User.objects.get(username="bench-reviewer")
    token = issue_api_token(reviewer)[0]
    case = (  # the accepted case with the shortest history
        Application.objects.filter(status=ApplicationStatus.ACCEPTED, accepting_organisation__isnull=False)
        .annotate(entries=Count("timeline"))
        .order_by("entries", "id")
        .first()
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    base = f"/api/v1/cases/{case.number}/commands"

    cpu: list[float] = []

    def pair() -> tuple[float, float]:
        cpu_started = time.process_time()
        started = time.perf_counter()
        response = client.post(f"{base}/suspend/", SUSPEND, content_type="application/json")
        assert response.status_code == 200, response.content[:300]
        middle = time.perf_counter()
        response = client.post(f"{base}/resume/", {}, content_type="application/json")
        assert response.status_code == 200, response.content[:300]
        cpu.append(time.process_time() - cpu_started)
        return middle - started, time.perf_counter() - middle

    pair()  # warm up
    for name, path, body in (("suspend", "suspend", SUSPEND), ("resume", "resume", {})):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(f"{base}/{path}/", body, content_type="application/json")
            assert response.status_code == 200, response.content[:300]
        shapes = collections.Counter(_shape(q["sql"]) for q in queries.captured_queries)
        print(f"{name}: {len(queries.captured_queries)} queries, response {len(response.content)} bytes")
        for shape, n in shapes.most_common():
            print(f"  {n:3d}  {shape}")
    print(f"case {case.number} ({connection.vendor}, {case.entries} timeline entries before)")
    profiler = cProfile.Profile(time.process_time) if "--cprofile" in argv else None
    times: list[float] = []
    if profiler:
        profiler.enable()
    for _ in range(count):
        times.extend(pair())
    if profiler:
        profiler.disable()
    first_cpu = sum(cpu) / (2 * len(cpu)) * 1000
    print(
        f"first {count} pairs: median transition {statistics.median(times) * 1000:.2f} ms,"
        f" CPU {first_cpu:.2f} ms per transition"
    )
    cpu.clear()
    later = [t for _ in range(count) for t in pair()]
    transition_cpu = sum(cpu) / (2 * len(cpu)) * 1000
    print(
        f"next {count} pairs: median transition {statistics.median(later) * 1000:.2f} ms,"
        f" CPU {transition_cpu:.2f} ms per transition"
    )
    plain = Client(HTTP_HOST="127.0.0.1")
    floors = {}
    for name, call in (
        ("raw Django write (POST /bench/write)", lambda i: plain.post(f"/bench/write?slot={i % 100}")),
        ("Django hello (GET /bench/hello)", lambda i: plain.get("/bench/hello")),
    ):
        for i in range(20):  # warm up
            call(i)
        started = time.process_time()
        for i in range(4 * count):
            assert call(i).status_code == 200
        floors[name] = (time.process_time() - started) / (4 * count) * 1000
        print(f"{name}: CPU {floors[name]:.3f} ms per request")
    write_cpu = floors["raw Django write (POST /bench/write)"]
    print(f"W4 CPU ratio to the raw write: {write_cpu / transition_cpu:.3f} (target R4 >= 0.25)")
    if profiler:
        profiler.dump_stats(os.environ.get("W4_PROFILE_OUT", "/dev/null"))
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(
            r"sifa/(?!core/middleware)", 40
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
