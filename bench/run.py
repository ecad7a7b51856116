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

from bench.loadgen import FlowRunner, pick_generator  # noqa: E402
from bench.report import Row, write_report  # noqa: E402
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


def sifa(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "sifa", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=check
    )


def seed(data: bool = True) -> tuple[dict, str]:
    """Migrate, run the loaders that exist, then make the bench data through the services
    (unless ``data`` is false: no selected workload reads it).

    Returns the bench data (see ``bench.seed_data``) and, if making it failed, why.
    """
    env = seed_env()
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "5")))
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated workload keys, e.g. W0,W3")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    args = parser.parse_args(argv)
    selected = [w for w in WORKLOADS if not args.only or w.key in args.only.split(",")]

    print("seeding the bench database …")
    started = time.perf_counter()
    data, data_error = seed(data=any(w.needs_data for w in selected))
    print(f"  seeding took {time.perf_counter() - started:.0f} s")
    gen = pick_generator()
    runner = FlowRunner()
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
            if workload.run is not None:  # measures itself (W7: two library sizes, its own rows)
                print(f"{workload.key}: {args.pairs} samples × {args.seconds:g} s per side …", flush=True)
                try:
                    made = workload.run(ctx, args.seconds, args.pairs)
                except Skip as reason:
                    print(f"{workload.key}: skipped — {reason}")
                    made = [Row(workload.key, workload.title, "", skipped=str(reason), block=workload.block)]
                for row in made:
                    print(f"  {row.key}: " + (row.skipped or row.summary()))
                rows.extend(made)
                continue
            baseline = BASELINES[workload.baseline]
            try:
                a, b = workload.prepare(ctx), baseline.prepare(ctx)
            except Skip as reason:
                print(f"{workload.key}: skipped — {reason}")
                rows.append(
                    Row(
                        workload.key,
                        workload.title,
                        baseline.title,
                        skipped=str(reason),
                        block=workload.block,
                    )
                )
                continue
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
            rows.append(row)
            print("  " + row.summary())
            if m.errors and runner.last_error:
                print(f"  last flow error: {runner.last_error}")
    finally:
        server.stop()
    if not args.no_write:
        generators = f"{gen.name} (single requests); {runner.name} (W3, W4 and their HTTP denominators)"
        write_report(args.output, rows, generators, args.seconds, args.pairs, server_env())
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
