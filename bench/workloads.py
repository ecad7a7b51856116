"""The benchmark workloads. Each is a small entry: how to measure it, and its denominator.

To add a workload (W1–W10 of shared/reference/scale.md §7.2), write a ``prepare`` function that
returns the :class:`~bench.sides.Side` to measure — an HTTP request wrk repeats, a multi-step
flow, pgbench, a command — or raises :class:`Skip` with the reason when the feature it needs is
not there yet, and append a :class:`Workload` to ``WORKLOADS``. Its ``baseline`` names an entry of
``BASELINES`` (or another workload) measured in the same run. The application workloads W1–W6
are in :mod:`bench.app_workloads`, W7 (the law library, which measures itself with ``run``) in
:mod:`bench.law_workloads`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.loadgen import FlowRunner, LoadGenerator, Request
from bench.report import Row
from bench.sides import HttpSide, Side


class Skip(Exception):
    """The workload cannot run in this build; the message says why and is printed in the report."""


@dataclass
class Context:
    host: str
    port: int
    seed_env: dict[str, str]
    gen: LoadGenerator | None = None
    runner: FlowRunner | None = None
    data: dict = field(default_factory=dict)
    """What ``bench.seed_data`` made (tokens, cases, codes); empty with ``data_error`` if it failed."""
    data_error: str = ""
    database_url: str = ""
    server_pid: int = 0
    cache: dict[str, object] = field(default_factory=dict)

    def need(self, key: str) -> object:
        """A seeded value, or Skip saying why the bench data is missing."""
        if key not in self.data:
            raise Skip(f"bench data has no {key!r}: {self.data_error or 'bench.seed_data did not make it'}")
        return self.data[key]

    def http(self, title: str, request: Request) -> HttpSide:
        return HttpSide(title, gen=self.gen, host=self.host, port=self.port, request=request)

    def call(
        self, method: str, path: str, body: dict | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            all_headers = (
                {"Content-Type": "application/json", **(headers or {})} if payload else headers or {}
            )
            conn.request(method, path, body=payload, headers=all_headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def sifa(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [sys.executable, "-m", "sifa", *args],
            env=self.seed_env,
            capture_output=True,
            text=True,
            check=False,
        )


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    prepare: Callable[[Context], Side] | None = None
    baseline: str = "hello"
    run: Callable[[Context, float, int], list[Row]] | None = None
    """A workload that is not one same-run pair (W7 imports the library at two sizes) measures
    itself: ``run(ctx, seconds, pairs)`` returns its report rows; ``prepare`` is then unused."""
    block: str = ""
    """The results block of docs/performance.md its rows go to (see ``bench.report``)."""
    needs_data: bool = True
    """Whether it reads what ``bench.seed_data`` makes (cases, tokens, a licence) or pages that
    need the collected static files. A run whose workloads all say no skips both steps, the
    slowest of the seeding (W10, in-process, needs only the migrations and the loaders)."""
    latency: bool = True
    """Whether ``--latency`` measures its open-loop p50/p95/p99 after the pairs (when its side can:
    a single request, or a flow with an open-loop job such as W4's). Off for rows that repeat
    another row's numerator (W4r, W4s)."""


def get(path: str, title: str = "") -> Callable[[Context], Side]:
    def prepare(ctx: Context) -> Side:
        status, body = ctx.call("GET", path)
        if status == 404 and body.lstrip().startswith(b"<"):
            raise Skip(f"GET {path} answered Django's 404 page: the route is not mounted (yet)")
        if status != 200:
            raise Skip(f"GET {path} answered {status}: {body[:200].decode(errors='replace')}")
        return ctx.http(title or f"GET {path}", Request("GET", path, {}))

    return prepare


def totp_now(secret: str, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 TOTP (SHA-1) for a hex (django-otp) or base32 (authenticator app) secret."""
    try:
        key = bytes.fromhex(secret)
    except ValueError:
        key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(time.time()) // step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(code).zfill(digits)


def _bearer_token(ctx: Context) -> str:
    if "token" in ctx.cache:
        return str(ctx.cache["token"])
    listing = ctx.sifa("demo-accounts", "--json")
    if listing.returncode != 0:
        first_line = (listing.stderr.strip().splitlines() or [""])[0][:160]
        raise Skip(f"`sifa demo-accounts --json` is not available yet ({first_line})")
    accounts = json.loads(listing.stdout)
    if not accounts:
        raise Skip("`sifa demo-accounts --json` listed no account")
    # A staff account (they carry a TOTP secret), so the read goes through the data-scope path.
    account = next((a for a in accounts if a.get("totp_secret")), accounts[0])
    credentials = {"username": account["username"], "password": account["password"]}
    if account.get("totp_secret"):
        credentials["totp"] = totp_now(account["totp_secret"])
    status, body = ctx.call("POST", "/api/v1/auth/token/", credentials)
    if status == 404:
        raise Skip("POST /api/v1/auth/token/ does not exist yet")
    if status not in (200, 201):
        raise Skip(f"POST /api/v1/auth/token/ answered {status}: {body[:200]!r}")
    ctx.cache["token"] = json.loads(body)["token"]
    return str(ctx.cache["token"])


def _me(ctx: Context) -> Side:
    headers = {"Authorization": f"Bearer {_bearer_token(ctx)}"}
    status, body = ctx.call("GET", "/api/v1/me/", headers=headers)
    if status != 200:
        raise Skip(f"GET /api/v1/me/ answered {status}: {body[:200]!r}")
    return ctx.http("GET /api/v1/me/", Request("GET", "/api/v1/me/", headers))


BASELINES: dict[str, Workload] = {
    "hello": Workload(
        "hello", "Django hello view `GET /bench/hello` (framework floor)", get("/bench/hello"), ""
    ),
}

WORKLOADS: list[Workload] = [
    Workload("W0", "`GET /healthz` (one `SELECT 1`)", get("/healthz")),
    Workload("me", "`GET /api/v1/me/` with a bearer token: single-object scoped read", _me),
]

# Imported last: bench.app_workloads and bench.law_workloads build on Context, Skip, Workload and
# get defined above.
from bench.app_workloads import APP_BASELINES, APP_WORKLOADS  # noqa: E402
from bench.exchange_workloads import EXCHANGE_WORKLOADS  # noqa: E402
from bench.indicator_workloads import INDICATOR_BASELINES, INDICATOR_WORKLOADS  # noqa: E402
from bench.law_workloads import LAW_WORKLOADS  # noqa: E402

BASELINES.update(APP_BASELINES)
BASELINES.update(INDICATOR_BASELINES)
WORKLOADS.extend(APP_WORKLOADS)
WORKLOADS.extend(INDICATOR_WORKLOADS)
WORKLOADS.extend(LAW_WORKLOADS)
WORKLOADS.extend(EXCHANGE_WORKLOADS)
