"""W7 of shared/reference/scale.md §7.2: article search over the law library, and its growth.

The library is the real corpus (``SIFA_LAWS_DIR``, 1,524 files), imported by ``sifa import-laws``
into the bench database. One ``run`` makes two rows of the ``W7`` results block:

| key | numerator | denominator |
|---|---|---|
| W7a | ``GET /api/v1/laws/search/?q=`` over the full library, the query set in turn (rps) | W5, same run, same generator (R7a) |
| W7b | p95 at the full library, open loop at half W7a's saturation | p95 at 10 % of the files (``--limit``), same query set and rate (R7b) |

Order: empty the library and import it all (the index build time at 100 %), measure W7a A B A B A B
against W5, then p95 at 100 %; empty it again, import the first 10 % of the files (the build time
at 10 %), p95 at 10 %; finally import the rest, so the bench database ends with the full library.
The laws API's 60/min per-address limit is raised for the bench server only (``bench/urls.py``).
"""

from __future__ import annotations

import json
import math
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from bench.app_workloads import API, _track
from bench.loadgen import Latencies, Request, open_loop_latencies
from bench.report import Row
from bench.sides import cv, measure_pair
from bench.workloads import Context, Skip, Workload

QUERIES: tuple[str, ...] = (
    # one or two characters: the hardest for an index (a trigram index cannot serve them)
    "法",
    "公证",
    "合同",
    "律师",
    "仲裁",
    "婚姻",
    # several words
    "律师执业 申请",
    "行政许可 听证",
    "劳动合同 解除",
    "法律援助 条件",
    "商标 侵权 赔偿",
    "未成年人 保护",
    # statute names
    "律师法",
    "公证法",
    "行政复议法",
    "劳动合同法",
    # selective phrases
    "公证债权文书",
    "吊销执业证书",
    "司法鉴定",
    "居民身份证",
)
SEARCH = f"{API}/laws/search/"
SHARE_AT_SMALL = 10  # percent of the files imported for the small library
LOAD = 0.5  # the open-loop rate, as a share of the measured saturation (scale.md §7.1.2)


def query_path(query: str) -> str:
    return f"{SEARCH}?q={quote(query)}"


def search_request() -> Request:
    paths = tuple(query_path(q) for q in QUERIES)
    return Request("GET", paths[0], {}, paths=paths)


def _laws_dir() -> Path:
    from sifa.conf.env import env

    return Path(env("SIFA_LAWS_DIR"))


def _corpus(ctx: Context, action: str) -> dict[str, int]:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.laws_corpus", action],
        env=ctx.seed_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise Skip(
            f"bench.laws_corpus {action} failed: {(done.stderr.strip().splitlines() or [''])[-1][:200]}"
        )
    return json.loads(done.stdout)


def _import(ctx: Context, *args: str) -> float:
    """Run ``sifa import-laws`` and return the time it reports (its own clock, no start-up)."""
    started = time.perf_counter()
    done = ctx.sifa("import-laws", "--verbosity", "0", *args)
    if done.returncode != 0:
        raise Skip(f"sifa import-laws failed: {(done.stderr.strip().splitlines() or [''])[-1][:200]}")
    reported = re.search(r"用时 ([\d.]+) 秒", done.stdout)
    return float(reported.group(1)) if reported else time.perf_counter() - started


def _check_queries(ctx: Context) -> dict[str, int]:
    """Every query answers 200; returns its hit count (at most 20)."""
    hits = {}
    for query in QUERIES:
        status, body = ctx.call("GET", query_path(query))
        if status == 404 and body.lstrip().startswith(b"<"):
            raise Skip(f"GET {SEARCH} answered Django's 404 page: the route is not mounted")
        if status != 200:
            raise Skip(f"GET {query_path(query)} ({query}) answered {status}: {body[:200]!r}")
        hits[query] = json.loads(body)["count"]
    return hits


def _p95s(ctx: Context, rate: float, seconds: float, samples: int) -> list[Latencies]:
    request = search_request()
    open_loop_latencies(ctx.host, ctx.port, request, rate, min(2.0, seconds))  # warm-up, discarded
    return [open_loop_latencies(ctx.host, ctx.port, request, rate, seconds) for _ in range(samples)]


def _slowest(runs: list[Latencies], n: int = 3) -> str:
    by_query: dict[str, list[float]] = {}
    for run in runs:
        for path, seconds in zip(run.paths, run.seconds, strict=True):
            by_query.setdefault(path, []).append(seconds)
    names = {query_path(q): q for q in QUERIES}
    p95 = {
        names[path]: 1000 * sorted(values)[max(0, math.ceil(0.95 * len(values)) - 1)]
        for path, values in by_query.items()
    }
    worst = sorted(p95.items(), key=lambda item: -item[1])[:n]
    return ", ".join(f"{query} {ms:.0f} ms" for query, ms in worst)


def _w7(ctx: Context, seconds: float, pairs: int) -> list[Row]:
    root = _laws_dir()
    if not root.is_dir():
        raise Skip(f"the law library folder {root} does not exist (SIFA_LAWS_DIR)")
    files = sum(1 for p in root.rglob("*.md") if p.is_file())
    small = math.ceil(files * SHARE_AT_SMALL / 100)

    _corpus(ctx, "clear")
    build_full = _import(ctx)
    full = _corpus(ctx, "count")
    hits_full = _check_queries(ctx)
    search = ctx.http("article search (query set in turn)", search_request())
    w5 = _track(ctx)
    m = measure_pair(search, w5, seconds, pairs)
    saturation = statistics.median(m.numerator_rps)
    rate = max(1.0, LOAD * saturation)
    at_full = _p95s(ctx, rate, seconds, pairs)

    _corpus(ctx, "clear")
    build_small = _import(ctx, "--limit", str(small))
    part = _corpus(ctx, "count")
    hits_small = _check_queries(ctx)
    at_small = _p95s(ctx, rate, seconds, pairs)
    build_rest = _import(ctx)  # the bench database keeps the full library

    corpus = (
        f"library: {files} files; 100 % = {full['statutes']} statutes, {full['articles']} articles; "
        f"{SHARE_AT_SMALL} % = first {small} files = {part['statutes']} statutes, {part['articles']} articles"
    )
    builds = (
        f"import (index build) from empty: 100 % {build_full:.1f} s, {SHARE_AT_SMALL} % {build_small:.1f} s; "
        f"the other {100 - SHARE_AT_SMALL} % added to it {build_rest:.1f} s"
    )
    empty_full = [q for q, n in hits_full.items() if n == 0]
    queries = (
        f"{len(QUERIES)} queries in turn (1–2 characters, several words, statute names, phrases); "
        f"without hits at 100 %: {', '.join(empty_full) or 'none'}; "
        f"at {SHARE_AT_SMALL} %: {sum(1 for n in hits_small.values() if n == 0)}"
    )
    row_a = Row(
        "W7a",
        f"article search `GET {SEARCH}?q=` over the full library, {len(QUERIES)} queries in turn",
        "W5 public progress query",
        ratio_median=statistics.median(m.ratios),
        ratio_min=min(m.ratios),
        ratio_max=max(m.ratios),
        cv_numerator=cv(m.numerator_rps),
        cv_denominator=cv(m.denominator_rps),
        rps_numerator=saturation,
        rps_denominator=statistics.median(m.denominator_rps),
        errors=m.errors,
        flagged=max(cv(m.numerator_rps), cv(m.denominator_rps)) > 0.10 or m.errors > 0,
        notes=(corpus, builds, queries),
        block="W7",
    )
    p_full = [run.percentile(95) for run in at_full]
    p_small = [run.percentile(95) for run in at_small]
    ratios = [f / s for f, s in zip(p_full, p_small, strict=True)]
    errors = sum(run.errors for run in at_full + at_small)
    late = sum(run.late for run in at_full + at_small)
    row_b = Row(
        "W7b",
        f"p95 of the same search at 100 % of the library, open loop at {rate:.0f} rps "
        f"({LOAD:.0%} of W7a's saturation)",
        f"p95 at {SHARE_AT_SMALL} % of the library, same queries and rate",
        ratio_median=statistics.median(p_full) / statistics.median(p_small),
        ratio_min=min(ratios),
        ratio_max=max(ratios),
        cv_numerator=cv(p_full),
        cv_denominator=cv(p_small),
        rps_numerator=statistics.median(p_full),
        rps_denominator=statistics.median(p_small),
        errors=errors,
        flagged=max(cv(p_full), cv(p_small)) > 0.10 or errors > 0,
        notes=(
            f"p50 {statistics.median(r.percentile(50) for r in at_full):.1f} ms at 100 %, "
            f"{statistics.median(r.percentile(50) for r in at_small):.1f} ms at {SHARE_AT_SMALL} %",
            f"slowest p95 at 100 %: {_slowest(at_full)}",
            f"requests sent over 100 ms late (all 16 threads busy): {late}",
        ),
        block="W7",
        unit="ms",
    )
    return [row_a, row_b]


LAW_WORKLOADS: list[Workload] = [
    Workload(
        "W7",
        "article search over the law library: rps ÷ W5 (R7a), p95 at 100 % ÷ p95 at 10 % (R7b)",
        run=_w7,
        block="W7",
    ),
]
