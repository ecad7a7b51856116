"""Profile W3 in this process: a citizen's draft, the 2 MB PDF upload, the submit (docs/performance.md).

``python -m bench.w3_profile [N] [--cprofile]`` (with ``BENCH_DATABASE_URL`` for PostgreSQL) uses
the bench database as ``python -m bench.run --only W3`` left it (run that once first). As the bench
citizen (a fresh bearer token, through the whole middleware stack and the API views, exactly the
requests of W3: the draft as JSON, the upload as a multipart body, the submit with a new
``Idempotency-Key``) it runs N flows one after the other and prints, per request: its SQL queries
(grouped by table and kind) and the median **CPU** time (``time.process_time``) — and the same for
Django's hello view, measured the same way, as the yardstick. With ``--cprofile`` it also prints
the 30 most expensive functions (cumulative, CPU time) over the N flows; ``--cprofile=upload``
(or ``draft``, ``submit``) profiles that request only. ``--locks`` also prints, per request, how
long it holds what serializes writers (median wall ms): SQLite's write lock (``BEGIN IMMEDIATE`` to
the end of ``COMMIT``, and writes made outside a transaction); on PostgreSQL the audit chain's
advisory lock and the number counter's row lock (from the statement that takes it to the end of
``COMMIT``). One request after another holds them for at least that long, however many cores.
``--phases`` prints, per request, the median CPU and wall ms of each named phase
(``bench/w3_phases.py``: multipart parse, SM3, file write, type checks, PDF screen, fsyncs,
SQL, commit, the rest).

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


class LockClock:
    """Time spent holding what serializes concurrent writers, per request (see ``--locks``)."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.held: dict[str, float] = collections.defaultdict(float)
        self._since: dict[str, float] = {}

    def _take(self, name: str) -> None:
        self._since.setdefault(name, (time.perf_counter(), time.process_time()))

    def _release(self) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        for name, (since, since_cpu) in self._since.items():
            self.held[name] += now - since
            self.held[name + " (CPU)"] += cpu - since_cpu
        self._since.clear()

    def install(self) -> None:
        connection = self.connection
        clock = self
        if connection.vendor == "sqlite":
            begin = type(connection)._start_transaction_under_autocommit

            def start(wrapper):
                clock._take("sqlite write lock")
                return begin(wrapper)

            type(connection)._start_transaction_under_autocommit = start
        for name in ("_commit", "_rollback"):
            original = getattr(type(connection), name)

            def ended(wrapper, _original=original, _name=name):
                started = time.perf_counter()
                try:
                    return _original(wrapper)
                finally:
                    clock.held[_name.strip("_") + " (wall, in the above)"] += time.perf_counter() - started
                    clock._release()

            setattr(type(connection), name, ended)

        def wrapper(execute, sql, params, many, context):
            text = sql.lstrip()[:60].upper()
            write = text.startswith(("INSERT", "UPDATE", "DELETE"))
            if connection.vendor == "sqlite" and write and not connection.in_atomic_block:
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    clock.held["sqlite write lock"] += time.perf_counter() - started
            if connection.vendor == "postgresql":
                if "PG_ADVISORY_XACT_LOCK" in sql.upper():
                    clock._take("audit chain lock")
                elif "applications_numbercounter" in sql and write:
                    clock._take("number counter row")
            return execute(sql, params, many, context)

        connection.execute_wrappers.append(wrapper)

    def take(self) -> dict[str, float]:
        held, self.held = dict(self.held), collections.defaultdict(float)
        return held


def main(argv: list[str]) -> int:
    count = int(next((a for a in argv if a.isdigit()), "30"))
    option = next((a for a in argv if a.startswith("--cprofile")), None)
    profiler = cProfile.Profile(time.process_time) if option else None
    profile_step = option.partition("=")[2] or None if option else None
    locks = "--locks" in argv
    with_phases = "--phases" in argv
    _setup()
    from django.db import connection, connections
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

    clock = LockClock(connections["default"]) if locks else None
    phases = None
    if with_phases:
        from bench import w3_phases

        phases = w3_phases.Phases()
        w3_phases.install(phases, connections["default"])
    by_phase: dict[str, dict[str, list[tuple[float, float]]]] = collections.defaultdict(
        lambda: collections.defaultdict(list)
    )
    held: dict[str, dict[str, list[float]]] = collections.defaultdict(lambda: collections.defaultdict(list))

    def flow(timed: dict[str, list[float]] | None, captured: dict[str, list] | None) -> None:
        steps = []

        def step(name: str, call, expect: int):
            context = CaptureQueriesContext(connection) if captured is not None else None
            if context is not None:
                context.__enter__()
            profiling = profiler is not None and timed is not None and profile_step in (None, name)
            if profiling:
                profiler.enable()
            if clock is not None:
                clock.take()
            if phases is not None:
                phases.take()
            started, started_wall = time.process_time(), time.perf_counter()
            response = call()
            spent = time.process_time() - started
            if phases is not None and timed is not None:
                named = phases.take()
                for phase in w3_phases.ORDER[:-1]:
                    by_phase[name][phase].append(named.get(phase, (0.0, 0.0)))
                wall = time.perf_counter() - started_wall
                rest = (
                    spent - sum(cpu for cpu, _ in named.values()),
                    wall - sum(w for _, w in named.values()),
                )
                by_phase[name]["the rest"].append(rest)
                by_phase[name]["whole request"].append((spent, wall))
            if clock is not None and timed is not None:
                for lock, seconds in clock.take().items():
                    held[name][lock].append(seconds)
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

    if clock is not None:
        clock.install()
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
    if clock is not None:
        print("held per request, median wall ms (what one writer at a time holds):")
        per_lock: dict[str, float] = collections.defaultdict(float)
        for name in ("draft", "upload", "submit"):
            for lock, values in sorted(held[name].items()):
                values = values + [0.0] * (count - len(values))
                ms = statistics.median(values) * 1000
                per_lock[lock] += ms
                print(f"  {name:7s} {lock:20s} {ms:8.2f} ms")
        for lock, ms in per_lock.items():
            bound = f"  (at most {1000 / ms:.0f} flows/s, any core count)" if "(" not in lock else ""
            print(f"  flow    {lock:20s} {ms:8.2f} ms{bound}")
    if phases is not None:
        print(f"per phase, median of {count}: CPU ms / wall ms (self time; 'the rest': routing, middleware,")
        print("authentication, DRF, views, services' Python, ORM)")
        for name in ("draft", "upload", "submit"):
            print(f"  {name}")
            for phase in (*w3_phases.ORDER, "whole request"):
                values = by_phase[name].get(phase)
                if not values or not any(cpu or wall for cpu, wall in values):
                    continue
                cpu = statistics.median(v[0] for v in values) * 1000
                wall = statistics.median(v[1] for v in values) * 1000
                print(f"    {phase:20s} {cpu:8.2f} {wall:8.2f}")
    if profiler:
        profiler.dump_stats(os.environ.get("W3_PROFILE_OUT", "/dev/null"))
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
