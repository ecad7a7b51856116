"""Benchmark harness: same-run ratios, per shared/reference/scale.md §7.1. Run with ``make bench``.

For each workload the harness measures the workload (A) and its denominator (B, by default the
Django hello view) with the same server, the same settings and the same load generator,
alternating A B A B A B (3 pairs × ``BENCH_SECONDS``, 5 s by default) after a discarded warm-up.
It reports the median ratio A/B with its min–max and the coefficient of variation of each side,
and flags a row whose CV is above 10 %. The server is granian started exactly as ``sifa serve``
starts it (same flags, workers and threads), DEBUG off, serving ``bench.wsgi`` (Sifa plus the bare
WSGI route) against a bench database the harness seeds itself: a SQLite file under var/bench/ by
default, or ``BENCH_DATABASE_URL`` (e.g. ``postgres://postgres@127.0.0.1:5432/sifa_bench``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))  # run as a script: make the `bench` package importable
# The checkout's own code is measured, not whatever `sifa` the virtualenv was installed from
# (a second worktree sharing one virtualenv would otherwise benchmark the first one's code).
sys.path.insert(0, str(ROOT / "src"))

from bench.loadgen import FlowRunner, Latencies, pick_generator  # noqa: E402
from bench.report import Row, growth_rows, write_growth, write_report  # noqa: E402
from bench.sides import cv, measure_pair  # noqa: E402
from bench.workloads import BASELINES, WORKLOADS, Context, Skip  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench"
CV_LIMIT = 0.10
LOADERS = [
    ("import-regions", "import_regions"),
    ("build-organisations", "build_organisations"),
    ("seed-calendar", "seed_calendar"),
    ("load-catalogue", "load_catalogue"),
    ("load-licence-types", "load_licence_types"),
]
DEMO_LOADERS = [("load-demo", "load_demo")]


def _bench_keys() -> dict[str, str]:
    """Bench-only secrets, kept in var/bench so seeded encrypted data stays readable across runs."""
    path = BENCH_DIR / "keys.env"
    if not path.exists():
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"SIFA_SECRET_KEY={secrets.token_hex(32)}\n"
            f"SIFA_FIELD_KEYS=bench1:{secrets.token_hex(16)}\n"
            f"SIFA_BLIND_INDEX_KEY={secrets.token_hex(32)}\n"
        )
        path.chmod(0o600)
    return dict(line.split("=", 1) for line in path.read_text().split())


def server_env() -> dict[str, str]:
    env = {
        **os.environ,
        **_bench_keys(),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH")])
        ),
        "SIFA_DEBUG": "0",
        "SIFA_VAR_DIR": str(BENCH_DIR),
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", ""),
        # The public page cache's store, stated, never inherited: Redis when BENCH_CACHE_URL names
        # one (the production shape of a PostgreSQL deployment, docs/deploy.md), else the database.
        "SIFA_CACHE_URL": os.environ.get("BENCH_CACHE_URL", ""),
        "SIFA_LOG_LEVEL": "WARNING",
        # With DEBUG off the key ring must be configured: use the SM2 key that seeding (DEBUG on)
        # generated into SIFA_VAR_DIR/keys/signing/, unless the caller points elsewhere.
        "SIFA_SIGNING_KEY_DIR": os.environ.get("SIFA_SIGNING_KEY_DIR") or str(BENCH_DIR / "keys" / "signing"),
    }
    env.pop("SIFA_TESTING", None)
    return env


def seed_env() -> dict[str, str]:
    # Demo data is a development feature, so seeding runs with DEBUG on (same keys, same database).
    env = {**server_env(), "SIFA_DEBUG": "1"}
    if not os.environ.get("SIFA_SIGNING_KEY_DIR"):
        env.pop("SIFA_SIGNING_KEY_DIR")  # development generates the key on first use
    return env


class SeedFailed(Exception):
    """A ``sifa`` command of the seeding failed: its message is the command and what it printed."""


def sifa(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "sifa", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip())[-2000:]
        raise SeedFailed(f"sifa {' '.join(args)} failed (exit {done.returncode}):\n{said}")
    return done


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database ``url`` names when it does not exist yet (a fresh machine has
    only ``postgres``): connected to the server's maintenance database with the same credentials."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    name = params.get("dbname") or ""
    if not name:
        return
    try:
        psycopg.connect(url, connect_timeout=10).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise SeedFailed(f"PostgreSQL at {url} does not answer: {exc}") from exc
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(name))
        )
    print(f"  seed: created the PostgreSQL database {name}")


def seed(data: bool = True) -> tuple[dict, str]:
    """Migrate, run the loaders that exist, then make the bench data through the services
    (unless ``data`` is false: no selected workload reads it).

    Returns the bench data (see ``bench.seed_data``) and, if making it failed, why.
    """
    env = seed_env()
    if env["DATABASE_URL"]:
        ensure_database(env["DATABASE_URL"])
    available = set(sifa(env, "help", "--commands").stdout.split())
    sifa(env, "migrate", "--noinput")
    for spellings in LOADERS + DEMO_LOADERS:
        name = next((s for s in spellings if s in available), None)
        if name is None:
            print(f"  seed: {spellings[0]} does not exist yet, skipped")
            continue
        started = time.perf_counter()
        sifa(env, name)
        print(f"  seed: {name} ({time.perf_counter() - started:.1f} s)")
    if data:
        sifa(env, "collectstatic", "--noinput")
    if env["DATABASE_URL"]:
        # pgbench's own tables (scale 1) in the bench database: same server, same placement.
        subprocess.run(  # noqa: S603
            ["pgbench", "-i", "-q", "-s", "1", env["DATABASE_URL"]],  # noqa: S607
            capture_output=True,
            check=True,
        )
    if not data:
        print("  seed: bench data skipped (no selected workload reads it)")
        return {}, "bench.seed_data was not run: no selected workload reads it"
    started = time.perf_counter()
    made = subprocess.run(
        [sys.executable, "-m", "bench.seed_data"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if made.returncode != 0:
        reason = (made.stderr.strip().splitlines() or ["no output"])[-1][:300]
        print(f"  seed: bench data FAILED ({reason}); the workloads that need it are skipped")
        return {}, f"bench.seed_data failed: {reason}"
    print(f"  seed: bench data via the services ({time.perf_counter() - started:.1f} s)")
    # Seeding rewrites rows again and again (each catalogue load publishes, so the page cache's
    # generation row alone had ≈ 270 dead versions): leave the database as autovacuum would, which
    # is off on this machine kind, so no row measures the seeding's dead rows or missing statistics.
    started = time.perf_counter()
    sifa(env, "shell", "-c", _VACUUM)
    print(f"  seed: VACUUM ANALYZE ({time.perf_counter() - started:.1f} s)")
    return json.loads(made.stdout), ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def granian_command(port: int) -> list[str]:
    """``sifa serve``'s exact granian command line, serving ``bench.wsgi`` instead of
    ``sifa.conf.wsgi`` (which it wraps) so the bare WSGI route shares the server."""
    os.environ.setdefault("SIFA_VAR_DIR", str(BENCH_DIR))
    from sifa.conf.env import env
    from sifa.conf.management.commands.serve import granian_argv

    argv = granian_argv("127.0.0.1", port, env("SIFA_WEB_WORKERS"), env("SIFA_WEB_THREADS"))
    return [("bench.wsgi:application" if a == "sifa.conf.wsgi:application" else a) for a in argv]


class Server:
    def __init__(self, port: int) -> None:
        self.port = port
        self.log = open(BENCH_DIR / "server.log", "w")
        self.process = subprocess.Popen(  # noqa: S603
            granian_command(port),
            env=server_env(),
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            process_group=0,
        )

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited with {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"server not healthy after {timeout:.0f} s; see {self.log.name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(2)  # SIGINT: granian drains and exits
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        self.log.close()


def measure_workload(workload, ctx: Context, args: argparse.Namespace) -> list[Row]:
    """The rows of one workload: its same-run pairs, then (``--latency``) its open-loop latencies."""
    runner = ctx.runner
    if workload.run is not None:  # measures itself (W7: two library sizes, its own rows)
        print(f"{workload.key}: {args.pairs} samples × {args.seconds:g} s per side …", flush=True)
        try:
            made = workload.run(ctx, args.seconds, args.pairs)
        except Skip as reason:
            print(f"{workload.key}: skipped — {reason}")
            made = [Row(workload.key, workload.title, "", skipped=str(reason), block=workload.block)]
        for row in made:
            print(f"  {row.key}: " + (row.skipped or row.summary()))
        return made
    baseline = BASELINES[workload.baseline]
    try:
        a, b = workload.prepare(ctx), baseline.prepare(ctx)
    except Skip as reason:
        print(f"{workload.key}: skipped — {reason}")
        return [Row(workload.key, workload.title, baseline.title, skipped=str(reason), block=workload.block)]
    print(f"{workload.key}: {args.pairs} pairs × {args.seconds:g} s vs {baseline.key} …", flush=True)
    m = measure_pair(a, b, args.seconds, args.pairs)
    row = Row(
        workload.key,
        workload.title,
        baseline.title,
        ratio_median=statistics.median(m.ratios),
        ratio_min=min(m.ratios),
        ratio_max=max(m.ratios),
        cv_numerator=cv(m.numerator_rps),
        cv_denominator=cv(m.denominator_rps),
        rps_numerator=statistics.median(m.numerator_rps),
        rps_denominator=statistics.median(m.denominator_rps),
        errors=m.errors,
        flagged=max(cv(m.numerator_rps), cv(m.denominator_rps)) > CV_LIMIT or m.errors > 0,
        notes=tuple(a.notes() + b.notes()),
        block=workload.block,
    )
    print("  " + row.summary())
    if m.errors and runner.last_error:
        print(f"  last flow error: {runner.last_error}")
    if args.latency and workload.latency and row.rps_numerator > 0:
        rate = latency_rate(row.rps_numerator)
        measured = a.latencies(rate, latency_seconds(rate, args.latency_seconds))
        if measured is not None:
            row = with_latencies(row, measured)
            print("  " + row.latency_summary())
            if measured.errors and measured.last_error:
                print(f"  last open-loop error: {measured.last_error}")
    return [row]


def latency_rate(saturation: float) -> float:
    """Half the measured saturation rate (scale.md §7.1.2), at most ``BENCH_LATENCY_MAX_RATE``
    (400/s by default: the Python sender shares the 2 cores; the report shows the rate used)."""
    return min(saturation / 2, float(os.environ.get("BENCH_LATENCY_MAX_RATE", "400")))


def latency_seconds(rate: float, seconds: float) -> float:
    """Long enough for 100 answers (a p99 that is not just the maximum), at most 3 × ``seconds``."""
    return min(max(seconds, 100 / rate), 3 * seconds)


def with_latencies(row: Row, measured: Latencies) -> Row:
    return dataclasses.replace(
        row,
        p50_ms=measured.percentile(50),
        p95_ms=measured.percentile(95),
        p99_ms=measured.percentile(99),
        latency_rate=measured.rate,
        latency_count=len(measured.seconds),
        latency_errors=measured.errors,
        latency_late=measured.late,
        flagged=row.flagged or measured.errors > 0,
    )


def run_pass(selected: list, data: dict, data_error: str, args: argparse.Namespace, gen, runner) -> list[Row]:
    """Start the server, measure ``selected`` against it, stop it."""
    server = Server(free_port())
    rows: list[Row] = []
    try:
        server.wait_healthy()
        ctx = Context(
            "127.0.0.1",
            server.port,
            seed_env(),
            gen=gen,
            runner=runner,
            data=data,
            data_error=data_error,
            database_url=server_env()["DATABASE_URL"],
            server_pid=server.process.pid,
        )
        for workload in selected:
            rows.extend(measure_workload(workload, ctx, args))
    finally:
        server.stop()
    return rows


def bench_data(*args: str) -> dict:
    """``python -m bench.seed_data <args>`` in the seeding environment; its JSON answer."""
    made = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.seed_data", *args],
        env=seed_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        reason = (made.stderr.strip().splitlines() or ["no output"])[-1][:300]
        raise RuntimeError(f"bench.seed_data {' '.join(args)} failed: {reason}")
    return json.loads(made.stdout or "{}")


def reusable(found: dict, cases: int, seed: int) -> bool:
    """The marker names these ``cases`` and ``seed``, and the count of generated cases agrees."""
    return found.get("cases") == cases and found.get("seed") == seed and found.get("present") == cases


@dataclasses.dataclass(frozen=True)
class Plan:
    """How one run orders its passes so that the demo-data pass never sees generated cases.

    ``reuse``: the bench database already holds exactly the N cases of this seed, so the pass at N
    runs first on them, then they are purged and the demo-data pass runs without them (the next
    run generates them again). Otherwise ``purge_first`` (generated cases of another size or seed,
    or without a marker, are present) purges them before the demo-data pass, and the cases are
    generated after it. With ``cases`` 0 there is no second pass and nothing is purged: the
    demo-data pass runs on whatever the database holds, as it always did."""

    reuse: bool = False
    purge_first: bool = False

    @property
    def n_first(self) -> bool:
        return self.reuse


def plan(found: dict, cases: int, seed: int) -> Plan:
    if not cases:
        return Plan()
    if reusable(found, cases, seed):
        return Plan(reuse=True)
    return Plan(purge_first=bool(found.get("present")))


_VACUUM = (
    "from django.db import connection\n"
    "with connection.cursor() as cursor:\n"
    "    cursor.execute('VACUUM ANALYZE' if connection.vendor == 'postgresql' else 'ANALYZE')"
)


def purge_cases(found: dict, why: str) -> float:
    """Remove the marker, the generated cases the bench accepted (``bench.seed_data --release``),
    then the rest (``sifa generate-cases --purge``), rebuild the roll-ups from the facts left
    (``sifa rebuild-indicators``: the accepted ones had entered them), then ``VACUUM ANALYZE``
    (SQLite: ``ANALYZE``); the seconds taken."""
    bench_data("--unmark")
    print(f"  cases: purging {found['present']:,} generated cases ({why}) …", flush=True)
    started = time.perf_counter()
    bench_data("--release")
    env = seed_env()
    sifa(env, "generate-cases", "--purge")
    sifa(env, "rebuild-indicators")
    # The purge leaves millions of dead rows and the statistics of the N cases: without autovacuum
    # (off on some machines) the demo-data pass would plan and scan over them.
    sifa(env, "shell", "-c", _VACUUM)
    seconds = time.perf_counter() - started
    print(f"  cases: purged in {seconds:.1f} s")
    return seconds


def ensure_cases(cases: int, seed: int) -> str:
    """Make sure the bench database holds exactly the ``cases`` generated with ``seed``: reuse them
    when the marker says so (and the count agrees), else purge what is there and generate, with
    ``sifa generate-cases``'s progress bar on the terminal. Returns how (for the report)."""
    found = bench_data("--marker")
    if reusable(found, cases, seed):
        print(f"  cases: reusing {cases:,} generated cases (seed {seed}, made {found['made_at']})")
        return f"reused, generated {found['made_at']} in {found['seconds'] / 60:.1f} min"
    env = seed_env()
    if found.get("present"):
        purge_cases(found, "of another size or seed")
    else:
        bench_data("--unmark")
    print(f"  cases: sifa generate-cases --cases {cases} --seed {seed} …", flush=True)
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 — progress bar on stderr, left on the terminal
        [sys.executable, "-m", "sifa", "generate-cases", "--cases", str(cases), "--seed", str(seed)],
        env=env,
        cwd=ROOT,
        check=True,
    )
    seconds = time.perf_counter() - started
    bench_data("--mark", str(cases), str(seed), f"{seconds:.1f}")
    return f"generated by this run in {seconds / 60:.1f} min"


def default_cases() -> int:
    """``BENCH_CASES``, else 0 (no second pass; ``make bench`` sets it, see the Makefile)."""
    return int(os.environ.get("BENCH_CASES", "0").replace("_", "") or 0)


def scaled_data(data: dict) -> dict:
    """The first pass's bench data with W4's and W5's cases taken among the generated ones."""
    generated = bench_data("--generated")
    scaled = dict(data)
    if "w5_cases" in generated:
        scaled["w5_cases"] = generated["w5_cases"]
    else:
        scaled.pop("w5_cases", None)
        print(f"  cases: W5 has no generated case ({generated.get('w5_skip')}): skipped at N")
    if "w4_cases" in generated:
        scaled["w4_cases"] = generated["w4_cases"]
        scaled["tokens"] = {**data.get("tokens", {}), **generated["w4_tokens"]}
        print(f"  cases: W4 at N: {generated['w4_how']}")
    else:
        scaled.pop("w4_cases", None)
        print(f"  cases: W4 has no generated case ({generated.get('w4_skip')}): skipped at N")
    return scaled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "5")))
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated workload keys, e.g. W0,W3")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    parser.add_argument(
        "--latency",
        action=argparse.BooleanOptionalAction,
        default=os.environ.get("BENCH_LATENCY", "1") != "0",
        help="after each workload's pairs, measure p50/p95/p99 open loop at half its rate (default on)",
    )
    parser.add_argument(
        "--latency-seconds",
        type=float,
        default=float(os.environ.get("BENCH_LATENCY_SECONDS", "10")),
        help="length of each open-loop latency run (default 10 s)",
    )
    parser.add_argument(
        "--cases",
        type=lambda v: int(v.replace("_", "")),
        default=default_cases(),
        help="also measure on N generated cases (BENCH_CASES; 0: no): after the demo-data pass, "
        "generating them; or, when the bench database holds them already, before it, then purging them",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated cases (default 1)")
    args = parser.parse_args(argv)
    selected = [w for w in WORKLOADS if not args.only or w.key in args.only.split(",")]

    cache_url = server_env()["SIFA_CACHE_URL"]
    if cache_url:
        # A Redis that does not answer would make every cached row measure the uncached path
        # (the cache answers uncached when its store is down): stop instead.
        import redis

        try:
            redis.Redis.from_url(cache_url, socket_timeout=2, socket_connect_timeout=2).ping()
        except redis.RedisError as error:
            print(f"BENCH_CACHE_URL={cache_url}: Redis does not answer ({error}); start it, or set")
            print("BENCH_CACHE_URL= (empty) to measure the page cache in the database store only")
            return 2
        print(f"public page cache: Redis {cache_url} (BENCH_CACHE_URL); W1cd/W1hcd/W2cd: the database store")
    print("seeding the bench database …")
    started = time.perf_counter()
    try:
        data, data_error = seed(data=any(w.needs_data for w in selected))
    except SeedFailed as failed:
        print(f"seeding the bench database failed: {failed}")
        return 2
    print(f"  seeding took {time.perf_counter() - started:.0f} s")
    gen = pick_generator()
    runner = FlowRunner()
    generators = f"{gen.name} (single requests); {runner.name} (W3, W4 and their HTTP denominators)"
    if args.latency:
        generators += "; open-loop latencies: python, 32 threads, one connection per request"
    # Workloads that measure themselves (W7: the law library, W8: its own case sizes) are not
    # repeated at N: they do not read the cases, or generate and purge their own.
    again = [w for w in selected if w.run is None]
    found = bench_data("--marker") if args.cases else {}
    order = plan(found, args.cases, args.seed)
    scaled: list[Row] = []
    if order.n_first:
        # The cases are already there (a generation takes ≈ 32 min at 1 M on PostgreSQL): measure
        # them first, then purge them so that the demo-data pass does not run over them.
        print(f"pass at N first: reusing {args.cases:,} generated cases (seed {args.seed}) …", flush=True)
        generation = (
            f"reused (generated {found['made_at']} in {found['seconds'] / 60:.1f} min), measured before "
            "the demo-data pass, then purged"
        )
        scaled = run_pass(again, scaled_data(data), data_error, args, gen, runner)
        generation += f" in {purge_cases(found, 'so that the demo-data pass runs without them'):.0f} s"
    elif order.purge_first:
        purge_cases(found, "of another size or seed, before the demo-data pass")
    print("demo-data pass …", flush=True)
    rows = run_pass(selected, data, data_error, args, gen, runner)
    if not args.no_write:
        write_report(args.output, rows, generators, args.seconds, args.pairs, server_env())
        print(f"wrote {args.output}")
    if args.cases:
        if not order.n_first:
            print(f"second pass: {args.cases:,} generated cases (seed {args.seed}) …", flush=True)
            started = time.perf_counter()
            generation = ensure_cases(args.cases, args.seed)
            data_n = scaled_data(data)
            print(f"  preparing the cases took {time.perf_counter() - started:.0f} s")
            scaled = run_pass(again, data_n, data_error, args, gen, runner)
        growths = growth_rows(rows, scaled)
        for g in growths:
            growth = (
                "–" if g.growth is None else f"{g.growth:.2f}" + ("  ⚠ outside ±10 %" if g.flagged else "")
            )
            print(f"  growth {g.key}: {growth}")
        if not args.no_write:
            write_growth(args.output, growths, args.cases, args.seed, generation, server_env())
            print(f"wrote the growth table into {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
