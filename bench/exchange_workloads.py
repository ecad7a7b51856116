"""W9 of shared/reference/scale.md §7.2: the exchange gateway's signed round trip.

One ``run`` starts the real partner simulator (``sifa partner-sim --as police --latency-ms 0
--unsigned-bench``, its own process and SQLite file, Sifa's public keys from a file) and makes three
rows of the ``W9`` results block, all from one alternation A B B′ C, A B B′ C … after a warm-up:

| key | numerator (A) | denominator |
|---|---|---|
| W9a | signed round trips/s, CLIENTS client processes (``bench.exchangespeed signed``) | the same round trips with SM2 taken out (``logged-unsigned``: same log, same checks), same clients, payload and simulator process (B, R9a: "no signing/verifying") |
| W9c | the same signed samples (A) | unsigned round trips without the gateway (``unsigned``: no SM3/SM2, no registry checks, no message log; B′, the X-Road users' comparison) |
| W9b | the same signed samples (A) | the OpenSSL SM2 sign+verify pair rate (C): ``openssl speed sm2``, 1 ÷ (1/sign/s + 1/verify/s) (R9b) |

The clients are ``W9_CLIENTS`` processes (default 4): a pool of relays, each with its own database
connection, sending back to back (closed loop). Four keep both cores busy while one waits on the
network or a commit; the simulator is one process with a thread per connection, as in tests.
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.report import Row
from bench.sides import CommandSide, cv
from bench.workloads import Context, Skip, Workload

CLIENTS = int(os.environ.get("W9_CLIENTS", "4"))
CV_LIMIT = 0.10


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client_env(ctx: Context, endpoint: str) -> dict[str, str]:
    """The clients run as production does (DEBUG off) with the bench key ring and the simulator
    as the one allow-listed endpoint."""
    var_dir = Path(ctx.seed_env.get("SIFA_VAR_DIR", "var/bench"))
    return {
        **ctx.seed_env,
        "SIFA_DEBUG": "0",
        "SIFA_SIGNING_KEY_DIR": ctx.seed_env.get("SIFA_SIGNING_KEY_DIR") or str(var_dir / "keys" / "signing"),
        "SIFA_EXCHANGE_ENDPOINTS": endpoint,
        "SIFA_LOG_LEVEL": "WARNING",
    }


class Simulator:
    def __init__(self, ctx: Context, keys_file: Path, db: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        self.log = open(db.with_suffix(".log"), "w")
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "sifa",
                "partner-sim",
                "--as",
                "police",
                "--port",
                str(self.port),
                "--db",
                str(db),
                "--sifa-keys",
                str(keys_file),
                "--latency-ms",
                "0",
                "--unsigned-bench",
            ],
            env=ctx.seed_env,  # development settings: --unsigned-bench is refused otherwise
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Skip(
                    f"the partner simulator exited with {self.process.returncode}; see {self.log.name}"
                )
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise Skip(f"the partner simulator was not healthy after {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: the simulator stops cleanly
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def openssl_pair_rate(out: str) -> float:
    """1 ÷ (1/sign/s + 1/verify/s) from ``openssl speed sm2``: one sign and one verify, in turn."""
    match = re.search(r"SM2 \(CurveSM2\)\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+([\d.]+)", out)
    if match is None:
        raise Skip("openssl speed printed no SM2 line")
    sign, verify = float(match.group(1)), float(match.group(2))
    return 1 / (1 / sign + 1 / verify)


def _round_trips(kind: str, env: dict[str, str], base: str) -> CommandSide:
    return CommandSide(
        kind,
        argv=lambda seconds: [
            sys.executable,
            "-m",
            "bench.exchangespeed",
            kind,
            str(seconds),
            str(CLIENTS),
            base,
        ],
        parse=lambda out: float(re.search(r"round trips/s: ([\d.]+)", out).group(1)),
        env=env,
    )


def _w9(ctx: Context, seconds: float, pairs: int) -> list[Row]:
    loaded = ctx.sifa("exchange", "load-partners")
    if loaded.returncode != 0:
        reason = (loaded.stderr.strip().splitlines() or ["no output"])[-1][:200]
        raise Skip(f"`sifa exchange load-partners` failed: {reason}")
    var_dir = Path(ctx.seed_env.get("SIFA_VAR_DIR", "var/bench"))
    keys_file = var_dir / "w9-sifa-keys.json"
    sim: Simulator | None = None
    try:
        # With development settings, as seeding: the key ring makes Sifa's key on first use.
        prepared = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.exchangespeed", "prepare", str(keys_file)],
            env=ctx.seed_env,
            capture_output=True,
            text=True,
            check=False,
        )
        if prepared.returncode != 0:
            reason = (prepared.stderr.strip().splitlines() or ["no output"])[-1][:200]
            raise Skip(f"W9 preparation failed: {reason}")
        parties = json.loads(prepared.stdout)
        sim = Simulator(ctx, keys_file, var_dir / "w9-police.sqlite3")
        sim.wait_healthy()
        env = client_env(
            ctx,
            f"{parties['receiver']}={sim.base}/exchange/,{parties['receiver']}={sim.base}/bench/unsigned/",
        )
        signed = _round_trips("signed", env, sim.base)
        logged = _round_trips("logged-unsigned", env, sim.base)
        unsigned = _round_trips("unsigned", env, sim.base)
        openssl = CommandSide(
            "openssl",
            # openssl signs for the interval, then verifies for it: half each.
            argv=lambda s: ["openssl", "speed", "-seconds", str(max(1, round(s / 2))), "sm2"],
            parse=openssl_pair_rate,
        )
        for side in (signed, logged, unsigned):  # warm-up, discarded
            side.measure(min(2.0, seconds))
        a, b, u, c = [], [], [], []
        for _ in range(pairs):  # A B B' C, A B B' C, …
            a.append(signed.measure(seconds).requests_per_second)
            b.append(logged.measure(seconds).requests_per_second)
            u.append(unsigned.measure(seconds).requests_per_second)
            c.append(openssl.measure(seconds).requests_per_second)
        received = _received(sim.base)
    finally:
        if sim is not None:
            sim.stop()
    notes = (
        f"{CLIENTS} client processes (a relay pool), closed loop; one simulator process "
        f"(`sifa partner-sim --as police --latency-ms 0 --unsigned-bench`), {received} messages "
        "received by it in the run",
        "signed = seal (SM3 digest, SM2 sign) → log request (commit) → HTTP → simulator verifies, "
        "stores, answers, signs → open answer (SM2 verify, registry checks) → log answer (commit), "
        "chained in batches",
        f"openssl pair rate median {statistics.median(c):.0f}/s (one core); a signed round trip makes "
        "2 signatures and 2 verifications, on the same 2 cores as both sides",
    )
    return [
        _row("W9a", "signed", "logged-unsigned", a, b, notes),
        _row("W9c", "signed", "unsigned", a, u, ()),
        _row("W9b", "signed", "openssl", a, c, ()),
    ]


TITLES = {
    "signed": "signed round trips/s (`identity.verify` to the police simulator)",
    "logged-unsigned": "the same round trip with SM2 taken out (placeholder signatures, no "
    "verification), same message log, same simulator process (R9a)",
    "unsigned": "unsigned round trips/s without the gateway: same request and simulator process, "
    "no SM3/SM2, no registry checks, no message log (X-Road's comparison)",
    "openssl": "`openssl speed sm2` sign+verify pair rate, same machine (R9b)",
}


def _row(
    key: str, numerator: str, denominator: str, a: list[float], b: list[float], notes: tuple[str, ...]
) -> Row:
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    return Row(
        key,
        TITLES[numerator],
        TITLES[denominator],
        ratio_median=statistics.median(ratios),
        ratio_min=min(ratios),
        ratio_max=max(ratios),
        cv_numerator=cv(a),
        cv_denominator=cv(b),
        rps_numerator=statistics.median(a),
        rps_denominator=statistics.median(b),
        flagged=max(cv(a), cv(b)) > CV_LIMIT,
        notes=notes,
        block="W9",
    )


def _received(base: str) -> int:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:  # noqa: S310
            return int(json.loads(response.read())["received"])
    except (OSError, ValueError, KeyError):
        return -1


EXCHANGE_WORKLOADS: list[Workload] = [
    Workload(
        "W9",
        "exchange gateway: signed ÷ unsigned round trips (R9a), signed ÷ OpenSSL SM2 pair rate (R9b)",
        run=_w9,
        block="W9",
        needs_data=False,
    ),
]
