"""W1–W6 of shared/reference/scale.md §7.2 and their same-run denominators.

| key | numerator | denominator |
|---|---|---|
| W1 / W1h | catalogue list, JSON API / HTML page, uncached (``/bench/nocache/…``) | Django hello (issue 16) |
| W2 | guide page ``/guides/<implementation_code>/``, uncached | Django hello (R2) |
| W1c / W1hc / W2c | the same three answered from the public page cache (anonymous) | Django hello |
| W1cd / W1hcd / W2cd | the same from the database store when the server caches in Redis (``BENCH_CACHE_URL``) | Django hello |
| W3 | draft → 2 MB PDF upload → submit with Idempotency-Key (flow) | min(fsync'd 2 MB writes/s, pgbench -N c8) (R3) |
| W4 | suspend/resume pairs on accepted cases, city reviewer (flow) | pgbench simple-update c8 (PostgreSQL) or raw Django write (SQLite) (R4) |
| W4r | W4 | raw Django write (PostgreSQL only: comparable with SQLite's R4) |
| W4s | W4 as the city reviewer | W4 as a superuser with the same role (scoped ÷ superuser) |
| W5 | public progress query | db1: raw-SQL single-row JSON view (R5) |
| W6a | licence verification JSON | W5 (R6a) |
| W6b | SM2 verifies/s of ``sifa.core.signing``, one thread | ``openssl speed sm2`` verify/s (R6b) |
| W10 | ratings written through ``sifa.evaluation.services.ratings.record`` (8 processes on PostgreSQL, 1 on SQLite) | pgbench -N c8 TPS (PostgreSQL) or raw SQLite WAL+FULL commits/s (R10) |

Everything a flow needs (tokens, case numbers, query codes) comes from ``bench.seed_data``.
"""

from __future__ import annotations

import http.client
import json
import queue
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from functools import cache

from bench.loadgen import Flow, FlowError, Job, send
from bench.seed_data import two_megabyte_pdf
from bench.sides import CommandSide, FlowSide, MinSide, PgbenchSide, Side, process_tree
from bench.workloads import Context, Skip, Workload, get

API = "/api/v1"


@cache
def _pdf() -> bytes:
    return two_megabyte_pdf()


def _bearer(ctx: Context, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {ctx.need('tokens')[who]}"}


def _flow_side(
    ctx: Context,
    title: str,
    make_flow: Callable[[int], Flow],
    *,
    rss: bool = False,
    open_job: Callable[[], tuple[Job, Callable[[], None]]] | None = None,
) -> FlowSide:
    pids = (lambda: process_tree(ctx.server_pid)) if rss and ctx.server_pid else None
    return FlowSide(
        title,
        runner=ctx.runner,
        host=ctx.host,
        port=ctx.port,
        make_flow=make_flow,
        server_pids=pids,
        open_job=open_job,
    )


def _probe(ctx: Context, make_flow: Callable[[int], Flow]) -> None:
    """Run one iteration before measuring, so a missing feature is a Skip with the server's answer."""
    conn = http.client.HTTPConnection(ctx.host, ctx.port, timeout=60)
    try:
        make_flow(0)(conn)
    except FlowError as failure:
        raise Skip(str(failure)) from None
    finally:
        conn.close()


# --- W1, W2: catalogue and guide --------------------------------------------------------------


NO_CACHE = "/bench/nocache"  # bench.wsgi: past the public page cache, for this request only
DATABASE_CACHE = "/bench/dbcache"  # bench.wsgi: the page cache in the database store, this request only


def _database_store(path: Callable[[Context], str]) -> Callable[[Context], Side]:
    """A cached row again with the database store, when the server caches in Redis."""

    def prepare(ctx: Context) -> Side:
        if not ctx.seed_env.get("SIFA_CACHE_URL"):
            raise Skip("the configured store is the database (no BENCH_CACHE_URL): the row above")
        return get(DATABASE_CACHE + path(ctx))(ctx)

    return prepare


def _guide(prefix: str) -> Callable[[Context], Side]:
    def prepare(ctx: Context) -> Side:
        code = ctx.need("implementation_code")
        return get(f"{prefix}/guides/{code}/", "guide page")(ctx)

    return prepare


# --- W3: submit with a 2 MB upload ------------------------------------------------------------


def _multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = f"----sifabench{uuid.uuid4().hex}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _submit_flow(ctx: Context) -> Callable[[int], Flow]:
    auth = _bearer(ctx, "citizen")
    draft_body = json.dumps(
        {"entry": ctx.need("implementation_code"), "form_data": ctx.need("form_data")}
    ).encode()
    upload, upload_type = _multipart({"material": str(ctx.need("upload_material"))}, "扫描件.pdf", _pdf())
    json_headers = {**auth, "Content-Type": "application/json"}

    def make_flow(_slot: int) -> Flow:
        def flow(conn: http.client.HTTPConnection) -> int:
            draft = json.loads(send(conn, "POST", f"{API}/applications/drafts/", draft_body, json_headers))
            ref = draft["id"]
            send(
                conn,
                "POST",
                f"{API}/applications/{ref}/materials/",
                upload,
                {**auth, "Content-Type": upload_type},
            )
            key = {"Idempotency-Key": uuid.uuid4().hex}
            send(conn, "POST", f"{API}/applications/{ref}/submit/", b"{}", {**json_headers, **key})
            return 1

        return flow

    return make_flow


def _w3(ctx: Context) -> Side:
    make_flow = _submit_flow(ctx)
    _probe(ctx, make_flow)
    return _flow_side(ctx, "submit with a 2 MB upload", make_flow, rss=True)


def _fsync_flow(ctx: Context) -> Callable[[int], Flow]:
    headers = {"Content-Type": "application/octet-stream"}

    def make_flow(_slot: int) -> Flow:
        def flow(conn: http.client.HTTPConnection) -> int:
            send(conn, "POST", "/bench/fsync-write", _pdf(), headers, expect=(200,))
            return 1

        return flow

    return make_flow


def _upload_floor(ctx: Context) -> Side:
    parts: list[Side] = [_flow_side(ctx, "fsync'd 2 MB writes/s", _fsync_flow(ctx))]
    if ctx.database_url:
        parts.append(PgbenchSide("pgbench -N c8 TPS", url=ctx.database_url, script="simple-update"))
    return MinSide("min(" + ", ".join(p.title for p in parts) + ")", parts=parts)


# --- W4: staff workflow transitions -----------------------------------------------------------

SUSPEND = json.dumps({"kind": "expert_review", "reason": "组织专家评审"}, ensure_ascii=False).encode()


def _transition_flow(ctx: Context, who: str) -> Callable[[int], Flow]:
    """Connection ``slot`` owns every 8th case, so no two connections contend for one case; each
    iteration suspends then resumes one case (2 transitions), leaving it as it was."""
    cases: list[str] = list(ctx.need("w4_cases"))
    headers = {**_bearer(ctx, who), "Content-Type": "application/json"}

    def make_flow(slot: int) -> Flow:
        mine = cases[slot::8] or cases
        turn = [0]

        def flow(conn: http.client.HTTPConnection) -> int:
            number = mine[turn[0] % len(mine)]
            turn[0] += 1
            base = f"{API}/cases/{number}/commands"
            send(conn, "POST", f"{base}/suspend/", SUSPEND, headers, expect=(200,))
            send(conn, "POST", f"{base}/resume/", b"{}", headers, expect=(200,))
            return 2

        return flow

    return make_flow


def _transition_jobs(ctx: Context, who: str) -> Callable[[], tuple[Job, Callable[[], None]]]:
    """Open-loop W4: job *i* is **one** transition (suspend or resume, whichever the case it takes
    is ready for) on a case no other job holds at that moment, on a connection of its own; the
    clean-up resumes every case the run left suspended."""
    cases: list[str] = list(ctx.need("w4_cases"))
    headers = {**_bearer(ctx, who), "Content-Type": "application/json", "Connection": "close"}

    def command(number: str, resume: bool) -> None:
        conn = http.client.HTTPConnection(ctx.host, ctx.port, timeout=60)
        try:
            verb, body = ("resume", b"{}") if resume else ("suspend", SUSPEND)
            send(conn, "POST", f"{API}/cases/{number}/commands/{verb}/", body, headers, expect=(200,))
        finally:
            conn.close()

    def make() -> tuple[Job, Callable[[], None]]:
        free: queue.Queue[str] = queue.Queue()
        suspended = dict.fromkeys(cases, False)
        for number in cases:
            free.put(number)

        def job(_i: int) -> str:
            number = free.get()
            try:
                command(number, suspended[number])
                suspended[number] = not suspended[number]
            finally:
                free.put(number)
            return "suspend" if suspended[number] else "resume"

        def finish() -> None:
            for number, is_suspended in suspended.items():
                if is_suspended:
                    try:
                        command(number, True)
                    except (OSError, http.client.HTTPException, FlowError):
                        pass

        return job, finish

    return make


def _w4(who: str, title: str) -> Callable[[Context], Side]:
    def prepare(ctx: Context) -> Side:
        make_flow = _transition_flow(ctx, who)
        _probe(ctx, make_flow)
        return _flow_side(ctx, title, make_flow, open_job=_transition_jobs(ctx, who))

    return prepare


def _write_flow(_ctx: Context) -> Callable[[int], Flow]:
    def make_flow(slot: int) -> Flow:
        def flow(conn: http.client.HTTPConnection) -> int:
            send(conn, "POST", f"/bench/write?slot={slot}", b"", {}, expect=(200,))
            return 1

        return flow

    return make_flow


def _django_write(ctx: Context) -> Side:
    _probe(ctx, _write_flow(ctx))
    return _flow_side(ctx, "raw Django write", _write_flow(ctx))


def _write_floor(ctx: Context) -> Side:
    if ctx.database_url:
        return PgbenchSide("pgbench simple-update c8 TPS", url=ctx.database_url)
    return _django_write(ctx)


def _w4_vs_django(ctx: Context) -> Side:
    if not ctx.database_url:
        raise Skip("on SQLite W4 is already divided by the raw Django write")
    return _w4("reviewer", "transition")(ctx)


# --- W5, W6: public reads and verification ----------------------------------------------------


def _track(ctx: Context) -> Side:
    case = ctx.need("w5_cases")[0]
    return get(f"{API}/track/{case['number']}/?code={case['code']}", "progress query")(ctx)


def _verify(ctx: Context) -> Side:
    identifier = ctx.data.get("licence_identifier")
    if not identifier:
        raise Skip(ctx.data.get("licence_skip") or ctx.data_error or "no licence was issued for the bench")
    return get(f"{API}/licences/verify/{identifier}/", "licence verification")(ctx)


def _sm2_library(ctx: Context) -> Side:
    return CommandSide(
        "sifa.core.signing SM2 verify/s",
        argv=lambda seconds: [sys.executable, "-m", "bench.sm2speed", str(seconds)],
        parse=lambda out: float(re.search(r"verify/s: ([\d.]+)", out).group(1)),
        env=ctx.seed_env,
    )


def _openssl_sm2(_ctx: Context) -> Side:
    def parse(out: str) -> float:
        match = re.search(r"SM2 \(CurveSM2\)\s+[\d.]+s\s+[\d.]+s\s+[\d.]+\s+([\d.]+)", out)
        if match is None:
            raise Skip("openssl speed printed no SM2 line")
        return float(match.group(1))

    # openssl signs for the interval, then verifies for it: half each keeps the pair balanced.
    return CommandSide(
        "openssl speed sm2 verify/s",
        argv=lambda seconds: ["openssl", "speed", "-seconds", str(max(1, round(seconds / 2))), "sm2"],
        parse=parse,
    )


# --- W10: satisfaction rating write ------------------------------------------------------------


def _ratespeed(ctx: Context, title: str, args: list[str], pattern: str) -> Side:
    """An in-process loop of ``bench.ratespeed``, probed once so a failure is a Skip."""

    def argv(seconds: float) -> list[str]:
        return [sys.executable, "-m", "bench.ratespeed", args[0], str(seconds), *args[1:]]

    probe = subprocess.run(argv(0.5), env=ctx.seed_env, capture_output=True, text=True, check=False)  # noqa: S603
    if probe.returncode != 0 or not re.search(pattern, probe.stdout):
        reason = (probe.stderr.strip().splitlines() or [probe.stdout.strip() or "no output"])[-1][:200]
        raise Skip(f"bench.ratespeed {args[0]} failed: {reason}")
    return CommandSide(
        title,
        argv=argv,
        parse=lambda out: float(re.search(pattern, out).group(1)),
        env=ctx.seed_env,
    )


def _ratings(ctx: Context) -> Side:
    clients = "8" if ctx.database_url else "1"
    return _ratespeed(
        ctx,
        f"ratings/s via the rating service, {clients} process(es)",
        ["ratings", clients],
        r"ratings/s: ([\d.]+)",
    )


def _rating_floor(ctx: Context) -> Side:
    if ctx.database_url:
        return PgbenchSide("pgbench -N c8 TPS", url=ctx.database_url, script="simple-update")
    return _ratespeed(ctx, "raw SQLite WAL+FULL commits/s", ["sqlite-commit"], r"commits/s: ([\d.]+)")


APP_BASELINES: dict[str, Workload] = {
    "bare": Workload("bare", "bare WSGI hello `GET /bench/bare` (no Django)", get("/bench/bare"), ""),
    "db1": Workload("db1", "db1: Django view, one raw-SQL single-row read as JSON", get("/bench/db1"), ""),
    "upload-floor": Workload(
        "upload-floor",
        "min(fsync'd 2 MB file writes/s via `POST /bench/fsync-write`, pgbench -N c8 TPS on PostgreSQL)",
        _upload_floor,
        "",
    ),
    "write-floor": Workload(
        "write-floor",
        "pgbench simple-update c8 TPS (PostgreSQL) / raw Django UPDATE+INSERT `POST /bench/write` (SQLite)",
        _write_floor,
        "",
    ),
    "django-write": Workload(
        "django-write", "raw Django UPDATE+INSERT `POST /bench/write`", _django_write, ""
    ),
    "W4-superuser": Workload(
        "W4-superuser", "W4 as a superuser holding the same reviewer role", _w4("superuser", "transition"), ""
    ),
    "W5": Workload("W5", "W5 public progress query", _track, ""),
    "openssl-sm2": Workload(
        "openssl-sm2", "`openssl speed sm2` verify/s (per CPU second), same machine", _openssl_sm2, ""
    ),
    "rating-floor": Workload(
        "rating-floor",
        "pgbench -N c8 TPS (PostgreSQL) / raw SQLite WAL+FULL single-row commits/s (SQLite)",
        _rating_floor,
        "",
    ),
}

APP_WORKLOADS: list[Workload] = [
    Workload(
        "W1",
        "catalogue list `GET /api/v1/catalogue/items/` (JSON), uncached",
        get(f"{NO_CACHE}{API}/catalogue/items/"),
    ),
    Workload(
        "W1c",
        "catalogue list `GET /api/v1/catalogue/items/` (JSON), public page cache",
        get(f"{API}/catalogue/items/"),
    ),
    Workload("W1h", "catalogue page `GET /catalogue/` (HTML), uncached", get(f"{NO_CACHE}/catalogue/")),
    Workload("W1hc", "catalogue page `GET /catalogue/` (HTML), public page cache", get("/catalogue/")),
    Workload(
        "W2", "guide page `GET /guides/<implementation_code>/` (律师执业许可), uncached", _guide(NO_CACHE)
    ),
    Workload(
        "W2c", "guide page `GET /guides/<implementation_code>/` (律师执业许可), public page cache", _guide("")
    ),
    Workload(
        "W1cd",
        "W1c with the page cache in the database store (`/bench/dbcache/…`)",
        _database_store(lambda ctx: f"{API}/catalogue/items/"),
    ),
    Workload(
        "W1hcd",
        "W1hc with the page cache in the database store",
        _database_store(lambda ctx: "/catalogue/"),
    ),
    Workload(
        "W2cd",
        "W2c with the page cache in the database store",
        _database_store(lambda ctx: f"/guides/{ctx.need('implementation_code')}/"),
    ),
    Workload(
        "W3",
        "submit with a 2 MB upload: draft → upload PDF → submit with Idempotency-Key (transactions/s)",
        _w3,
        "upload-floor",
    ),
    Workload(
        "W4",
        "workflow transition: suspend/resume pairs on accepted cases, city reviewer (transitions/s)",
        _w4("reviewer", "transition"),
        "write-floor",
    ),
    Workload(
        "W4r", "W4 (city reviewer) against the raw Django write", _w4_vs_django, "django-write", latency=False
    ),
    Workload(
        "W4s",
        "W4 scoped (city reviewer) ÷ superuser",
        _w4("reviewer", "transition"),
        "W4-superuser",
        latency=False,
    ),
    Workload("W5", "public progress query `GET /api/v1/track/{number}/?code=`", _track, "db1"),
    Workload("W6a", "licence verification `GET /api/v1/licences/verify/{identifier}/`", _verify, "W5"),
    Workload(
        "W6b",
        "SM2 verifies per CPU second of `sifa.core.signing` (OpenSSL libcrypto), one thread, in-process",
        _sm2_library,
        "openssl-sm2",
    ),
    Workload(
        "W10",
        "satisfaction rating write: `ratings.record` (rating + audit event; 差评 → rectification), "
        "in-process, 8 processes on PostgreSQL / 1 on SQLite (ratings/s)",
        _ratings,
        "rating-floor",
        block="W10",
        needs_data=False,
    ),
]
