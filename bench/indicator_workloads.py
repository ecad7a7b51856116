"""W8 of shared/reference/scale.md §7.2: the performance dashboard and its roll-up maintenance.

| key | numerator | denominator |
|---|---|---|
| W8d | W4 (suspend/resume pairs, city reviewer) with the indicators' roll-up maintenance | the same W4 flow served under ``/bench/norollup/`` (maintenance off for that request), same server, alternating (R8d) |
| W8b | t(dashboard: one month's subtree figures + children, via the selectors — the kept answer, ADR 0013) at the ministry, the busiest province, county and 司法所 | t(raw GROUP BY over the application facts for the same month and children), same run (R8b); ``W8b-<level>-miss`` beside it: the same dashboard computed (a cache miss) |
| W8c | roll-up rows per organisation level | fact rows (R8c) |
| W8a | t(dashboard) at the larger size | t(dashboard) at the smaller size (R8a) |

W8b/W8c/W8a measure inside the bench database (``bench.indicator_scale``). ``BENCH_W8_CASES`` (e.g.
``1000000`` or ``1000000,10000000``) fills it first with ``sifa generate-cases`` and rebuilds the
roll-ups; without it the seeded bench data is measured (small: stated in the notes).
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Callable

from bench.app_workloads import API, _bearer, _flow_side, _probe
from bench.app_workloads import SUSPEND as _SUSPEND
from bench.loadgen import Flow, send
from bench.report import Row
from bench.sides import Side
from bench.workloads import Context, Skip, Workload

NO_ROLLUP = "/bench/norollup"


def _transition_flow(ctx: Context, prefix: str) -> Callable[[int], Flow]:
    cases: list[str] = list(ctx.need("w4_cases"))
    headers = {**_bearer(ctx, "reviewer"), "Content-Type": "application/json"}

    def make_flow(slot: int) -> Flow:
        mine = cases[slot::8] or cases
        turn = [0]

        def flow(conn: http.client.HTTPConnection) -> int:
            number = mine[turn[0] % len(mine)]
            turn[0] += 1
            base = f"{prefix}{API}/cases/{number}/commands"
            send(conn, "POST", f"{base}/suspend/", _SUSPEND, headers, expect=(200,))
            send(conn, "POST", f"{base}/resume/", b"{}", headers, expect=(200,))
            return 2

        return flow

    return make_flow


def _with(ctx: Context) -> Side:
    make_flow = _transition_flow(ctx, "")
    _probe(ctx, make_flow)
    return _flow_side(ctx, "transition with roll-up maintenance", make_flow)


def _without(ctx: Context) -> Side:
    make_flow = _transition_flow(ctx, NO_ROLLUP)
    _probe(ctx, make_flow)
    return _flow_side(ctx, "transition without roll-up maintenance", make_flow)


def _scale(ctx: Context, cases: int) -> dict:
    args = [sys.executable, "-m", "bench.indicator_scale"] + (["--cases", str(cases)] if cases else [])
    done = subprocess.run(args, env=ctx.seed_env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise Skip("bench.indicator_scale failed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:300])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if "error" in result:
        raise Skip(result["error"])
    return result


def _w8(ctx: Context, seconds: float, pairs: int) -> list[Row]:
    sizes = [int(s) for s in os.environ.get("BENCH_W8_CASES", "").split(",") if s.strip()]
    runs = [_scale(ctx, n) for n in sizes] if sizes else [_scale(ctx, 0)]
    base = runs[-1]
    where = "PostgreSQL" if ctx.database_url else "SQLite"
    size = f"{base['facts']:,} submitted cases ({where}), month {base['month'][:7]}"
    rows: list[Row] = []
    cache = (
        f"answer cache on ({base.get('cache_store', '?')} store)"
        if base.get("cache_seconds")
        else "answer cache off (SIFA_INDICATORS_CACHE_SECONDS=0)"
    )
    for level, m in base["levels"].items():
        rows.append(
            Row(
                f"W8b-{level}",
                f"dashboard (subtree figures + children, one month) at the {level} ({m['organisation']}): "
                "kept answer (cache hit)",
                "raw GROUP BY over the facts, same month and children",
                ratio_median=m["r8b"],
                ratio_min=m["r8b"],
                ratio_max=m["r8b"],
                rps_numerator=m["dashboard_ms"],
                rps_denominator=m["raw_ms"],
                notes=(
                    size,
                    cache,
                    f"{m.get('queries', '?')} queries, {m.get('children', '?')} children"
                    + (
                        (
                            " (a leaf: its hot month read from its row)"
                            if m.get("hot")
                            else " (a leaf: read from its facts)"
                        )
                        if level == "township"
                        else ""
                    ),
                ),
                block="W8",
                unit="ms",
            )
        )
        if m.get("miss_ms") is not None:
            rows.append(
                Row(
                    f"W8b-{level}-miss",
                    f"the same dashboard computed (cache miss: validator, look-up, computation, save) "
                    f"at the {level}",
                    "raw GROUP BY over the facts, same month and children",
                    ratio_median=m["r8b_miss"],
                    ratio_min=m["r8b_miss"],
                    ratio_max=m["r8b_miss"],
                    rps_numerator=m["miss_ms"],
                    rps_denominator=m["raw_ms"],
                    notes=(
                        size,
                        cache,
                        f"{m.get('miss_queries', '?')} queries; a miss follows a change of a figure in the "
                        "subtree or of the tree (ADR 0013); not the R8b target",
                    ),
                    block="W8",
                    unit="ms",
                )
            )
    r8c = {level: value for level, value in base["r8c"].items() if base["rows"][level]}  # levels served
    worst = max(r8c.values())
    rows.append(
        Row(
            "W8c",
            "roll-up rows ÷ fact rows, worst level served from the roll-up",
            "fact rows",
            ratio_median=worst,
            ratio_min=min(r8c.values()),
            ratio_max=worst,
            rps_numerator=max(base["rows"].values()),
            rps_denominator=base["facts"],
            notes=(
                size,
                "per level (1 部 … 5 乡): "
                + ", ".join(f"{k}: {base['rows'][k]} rows = {v:.4f}" for k, v in sorted(base["r8c"].items())),
                f"leaves (司法所, 法律援助中心 …) keep a row only for a hot month (> {base.get('hot_leaf_facts', '?')} "
                f"facts, ADR 0010): {base.get('hot_leaf_rows', '?')} such rows; the others are read from their facts",
            ),
            block="W8",
            unit="rows",
        )
    )
    if len(runs) > 1:
        small, large = runs[0], runs[-1]
        for level in large["levels"]:
            if level in small["levels"]:
                a, b = large["levels"][level]["dashboard_ms"], small["levels"][level]["dashboard_ms"]
                rows.append(
                    Row(
                        f"W8a-{level}",
                        f"dashboard at the {level}, {large['facts']:,} cases",
                        f"the same at {small['facts']:,} cases",
                        ratio_median=a / b,
                        ratio_min=a / b,
                        ratio_max=a / b,
                        rps_numerator=a,
                        rps_denominator=b,
                        notes=(
                            f"generate {large.get('generate_s', 0):.0f} s, rebuild {large.get('rebuild_s', 0):.0f} s",
                        ),
                        block="W8",
                        unit="ms",
                    )
                )
    return rows


INDICATOR_BASELINES: dict[str, Workload] = {
    "W4-no-rollups": Workload(
        "W4-no-rollups", "W4 with the roll-up maintenance switched off (`/bench/norollup/`)", _without, ""
    ),
}

INDICATOR_WORKLOADS: list[Workload] = [
    Workload(
        "W8d",
        "W4 transitions with the indicators' roll-up maintenance ÷ without (R8d)",
        _with,
        "W4-no-rollups",
        block="W8",
    ),
    Workload(
        "W8",
        "performance dashboard: R8b dashboard ÷ raw GROUP BY, R8c rows ÷ facts, R8a",
        run=_w8,
        block="W8",
    ),
]
