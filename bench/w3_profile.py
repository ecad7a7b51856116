"""Profile W3 in this process: a citizen's draft, the 2 MB PDF upload, the submit (docs/performance.md).

``python -m bench.w3_profile [N] [--cprofile]`` (with ``BENCH_DATABASE_URL`` for PostgreSQL) uses
the bench database as ``python -m bench.run --only W3`` left it (run that once first). As the bench
citizen (a fresh bearer token, through the whole middleware stack and the API views, exactly the
requests of W3: the draft as JSON, the upload as a multipart body, the submit with a new
``Idempotency-Key``) it runs N flows one after the other and prints, per request: its SQL queries
(grouped by table and kind) and the median **CPU** time (``time.process_time``) — and the same for
Django's hello view, measured the same way, as the yardstick. With ``--cprofile`` it also prints
the 30 most expensive functions (cumulative, CPU time) over the N flows; ``--cprofile=upload``
(or ``draft``, ``submit``) profiles that request only.

Every flow leaves a submitted application in the bench database (as ``make bench`` W3 does).
"""

from __future__ import annotations

import collections
import cProfile
import json
import os
import pstats
import re
import statistics
import sys
import time
import uuid

API = "/api/v1/applications"


def _setup() -> None:
    from bench.run import server_env

    os.environ.update(server_env())
    os.environ["SIFA_DEBUG"] = "0"
    os.environ.setdefault("SIFA_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    import django

    django.setup()


def _shape(sql: str) -> str:
    sql = sql.strip()
    verb = sql.split(None, 1)[0].upper()
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?([\w]+)"?', sql, re.IGNORECASE)
    return f"{verb} {table.group(1) if table else sql[:60]}"


def main(argv: list[str]) -> int:
    count = int(next((a for a in argv if a.isdigit()), "30"))
    option = next((a for a in argv if a.startswith("--cprofile")), None)
    profiler = cProfile.Profile(time.process_time) if option else None
    profile_step = option.partition("=")[2] or None if option else None
    _setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.app_workloads import _multipart
    from bench.seed_data import _citizen, _entry, _form, _required_materials_for_new_draft, two_megabyte_pdf
    from sifa.accounts.services.auth import issue_api_token

    citizen, id_number = _citizen()
    entry = _entry()
    token = issue_api_token(citizen)[0]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")
    draft_body = json.dumps({"entry": entry.implementation_code, "form_data": _form(id_number)})
    material = _required_materials_for_new_draft(entry, citizen, id_number)
    upload, upload_type = _multipart({"material": str(material)}, "扫描件.pdf", two_megabyte_pdf())

    def draft():
        return client.post(f"{API}/drafts/", draft_body, content_type="application/json")

    def flow(timed: dict[str, list[float]] | None, captured: dict[str, list] | None) -> None:
        steps = []

        def step(name: str, call, expect: int):
            context = CaptureQueriesContext(connection) if captured is not None else None
            if context is not None:
                context.__enter__()
            profiling = profiler is not None and timed is not None and profile_step in (None, name)
            if profiling:
                profiler.enable()
            started = time.process_time()
            response = call()
            spent = time.process_time() - started
            if profiling:
                profiler.disable()
            if context is not None:
                context.__exit__(None, None, None)
                captured[name] = context.captured_queries
            assert response.status_code == expect, (name, response.status_code, response.content[:300])
            if timed is not None:
                timed[name].append(spent)
            steps.append(response)
            return response

        ref = step("draft", draft, 201).json()["id"]
        step(
            "upload",
            lambda: client.generic("POST", f"{API}/{ref}/materials/", upload, upload_type),
            201,
        )
        step(
            "submit",
            lambda: client.post(
                f"{API}/{ref}/submit/",
                "{}",
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            ),
            201,
        )

    for _ in range(3):  # warm up: the token's first use, URL resolver, caches, connection
        flow(None, None)
    captured: dict[str, list] = {}
    flow(None, captured)
    print(f"W3 flow ({connection.vendor}), citizen {citizen.username}, material {material}")
    for name, queries in captured.items():
        shapes = collections.Counter(_shape(q["sql"]) for q in queries)
        print(f"{name}: {len(queries)} queries")
        for shape, n in shapes.most_common():
            print(f"  {n:3d}  {shape}")
    hello = []
    for _ in range(max(count, 50) + 20):
        started = time.process_time()
        response = client.get("/bench/hello")
        hello.append(time.process_time() - started)
    assert response.status_code == 200, response.status_code
    hello_ms = statistics.median(hello[20:]) * 1000
    timed: dict[str, list[float]] = collections.defaultdict(list)
    for _ in range(count):
        flow(timed, None)
    print(f"CPU ms per request, median of {count} (hello {hello_ms:.2f} ms):")
    total = 0.0
    for name in ("draft", "upload", "submit"):
        ms = statistics.median(timed[name]) * 1000
        total += ms
        print(f"  {name:7s} {ms:8.2f} ms  ({ms / hello_ms:6.1f} × hello)")
    print(f"  flow    {total:8.2f} ms  ({total / hello_ms:6.1f} × hello)")
    if profiler:
        profiler.dump_stats(os.environ.get("W3_PROFILE_OUT", "/dev/null"))
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
