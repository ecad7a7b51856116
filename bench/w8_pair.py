"""R8a with both sizes measured side by side: ``python -m bench.w8_pair SMALL_URL LARGE_URL``.

``bench.run`` with ``BENCH_W8_CASES=1000000,10000000`` measures the smaller size, purges it and
generates the larger one — an hour apart, so the two dashboard times (each under a millisecond: a
statement and a cache look-up) also compare the machine's load then and then. This tool keeps
the two sizes in two bench databases (each seeded by ``bench.run`` with its own
``BENCH_DATABASE_URL`` and ``BENCH_W8_CASES``) and alternates ``bench.indicator_scale
--dashboards-only`` between them, small, large, large, small …, each a fresh process with its own
answer cache (a Redis database per size: ``--small-cache``/``--large-cache``, or the database
store when not given), at the month and organisations the larger size's busiest are (a first,
untimed run picks them; the tree is the same in both databases). It prints one JSON object: per
level, each round's dashboard times (hit and miss) at both sizes, the medians and R8a =
median(large) ÷ median(small).

Run it from the checkout that seeded the databases (``var/bench/keys.env``: the bench's keys).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from bench.run import ROOT, seed_env

LEVELS = {"ministry": 1, "province": 2, "county": 4, "township": 5}


def _measure(url: str, cache: str, repeat: int, same: list[str]) -> dict:
    env = {**seed_env(), "DATABASE_URL": url, "SIFA_CACHE_URL": cache}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.indicator_scale", "--dashboards-only", "--repeat", str(repeat), *same],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench.indicator_scale failed on {url}: {done.stderr.strip()[-500:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if "error" in result:
        raise SystemExit(f"{url}: {result['error']}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("small", help="database URL of the smaller size (e.g. 1 M cases)")
    parser.add_argument("large", help="database URL of the larger size (e.g. 10 M cases)")
    parser.add_argument("--small-cache", default="", help="SIFA_CACHE_URL for the smaller size")
    parser.add_argument("--large-cache", default="", help="SIFA_CACHE_URL for the larger size")
    parser.add_argument("--rounds", type=int, default=4, help="pairs of runs (alternated)")
    parser.add_argument("--repeat", type=int, default=200, help="timed dashboards per level and run")
    args = parser.parse_args()
    os.chdir(ROOT)
    runs: dict[str, list[dict]] = {"small": [], "large": []}
    sides = (("small", args.small, args.small_cache), ("large", args.large, args.large_cache))
    # The larger size picks the month and the organisations (its busiest); both sizes then measure
    # those same ones, so a ratio compares one dashboard at two sizes, not two organisations.
    first = _measure(args.large, args.large_cache, args.repeat, [])
    same = ["--month", first["month"]]
    for level, m in first["levels"].items():
        same += ["--at", f"{LEVELS[level]}={m['path']}"]
    for round_no in range(args.rounds):
        for name, url, cache in sides if round_no % 2 == 0 else sides[::-1]:
            runs[name].append(_measure(url, cache, args.repeat, same))
    out: dict = {
        "facts": {name: runs[name][0]["facts"] for name in runs},
        "month": {name: runs[name][0]["month"] for name in runs},
        "rounds": args.rounds,
        "repeat": args.repeat,
        "levels": {},
    }
    for level in runs["large"][0]["levels"]:
        if level not in runs["small"][0]["levels"]:
            continue
        row: dict = {}
        for key in ("dashboard_ms", "miss_ms"):
            small = [run["levels"][level][key] for run in runs["small"]]
            large = [run["levels"][level][key] for run in runs["large"]]
            row[key] = {
                "small": small,
                "large": large,
                "r8a": statistics.median(large) / statistics.median(small),
                "r8a_min": min(large) / max(small),
                "r8a_max": max(large) / min(small),
            }
        row["organisation"] = {name: runs[name][0]["levels"][level]["organisation"] for name in runs}
        out["levels"][level] = row
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
