"""Write benchmark results into docs/performance.md, one marker block per database kind.

A SQLite run replaces only the SQLite block and a PostgreSQL run only the PostgreSQL block, so both
latest results stay in the document; the text outside the blocks is never touched. A workload with
its own block (``Row.block``, e.g. W7's law-library search with its corpus sizes and import times)
is written into ``bench:results:<kind>:<block>``, and a run writes only the blocks it has rows for:
``--only W7`` leaves the other workloads' latest results in place.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LEGACY_START = "<!-- bench:results:start (written by `make bench`; edit above this line only) -->"
LEGACY_END = "<!-- bench:results:end -->"


BLOCK_TITLES = {
    "": "",
    "W7": "W7, article search over the law library",
    "W8": "W8, performance dashboard (绩效考核) over the roll-ups",
    "W9": "W9, exchange gateway signed round trip",
    "W10": "W10, satisfaction rating write",
    "scale": "growth from the demo data to the generated cases",
}

P95_TARGETS_MS = {"W1": 50.0, "W1h": 50.0, "W2": 50.0, "W5": 50.0, "W6a": 50.0, "W4": 100.0}
"""Open-loop p95 targets at half of the saturation rate (issue 16; scale.md §7.2), per workload."""

GROWTH_LIMIT = 0.10
"""A workload's ratio at N generated cases may differ from its ratio on the demo data by ±10 %."""


def markers(kind: str, block: str = "") -> tuple[str, str]:
    """The block markers of one database kind (``sqlite`` or ``postgresql``) and block."""
    name = f"{kind}:{block}" if block else kind
    return (
        f"<!-- bench:results:{name}:start (written by `make bench`; do not edit inside) -->",
        f"<!-- bench:results:{name}:end -->",
    )


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    baseline: str
    skipped: str = ""
    ratio_median: float = 0.0
    ratio_min: float = 0.0
    ratio_max: float = 0.0
    cv_numerator: float = 0.0
    cv_denominator: float = 0.0
    rps_numerator: float = 0.0
    rps_denominator: float = 0.0
    errors: int = 0
    flagged: bool = False
    notes: tuple[str, ...] = ()
    block: str = ""
    """The results block the row goes to ("" is the main table; see ``BLOCK_TITLES``)."""
    unit: str = "rps"
    """What the two measured values are: ``rps`` (rates) or ``ms`` (latencies, e.g. a p95)."""
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    """Open-loop latency percentiles of the numerator at ``latency_rate`` (``--latency``)."""
    latency_rate: float = 0.0
    latency_count: int = 0
    latency_errors: int = 0
    latency_late: int = 0
    """Requests sent more than 100 ms after their due time (the generator itself fell behind)."""

    @property
    def p95_target_ms(self) -> float | None:
        return P95_TARGETS_MS.get(self.key)

    def latency_summary(self) -> str:
        if self.p95_ms is None:
            return ""
        target = self.p95_target_ms
        verdict = "" if target is None else (" ✓" if self.p95_ms <= target else " ✗") + f" (≤ {target:g} ms)"
        return (
            f"open loop {self.latency_rate:.1f}/s: p50 {self.p50_ms:.1f} / p95 {self.p95_ms:.1f}{verdict} / "
            f"p99 {self.p99_ms:.1f} ms, {self.latency_count} answers, {self.latency_errors} errors, "
            f"{self.latency_late} late"
        )

    def summary(self) -> str:
        flag = "  ⚠ CV > 10 % or errors: rerun" if self.flagged else ""
        return (
            f"ratio {self.ratio_median:.3f} ({self.ratio_min:.3f}–{self.ratio_max:.3f}), "
            f"CV {self.cv_numerator:.1%} / {self.cv_denominator:.1%}, "
            f"{self.rps_numerator:.0f} / {self.rps_denominator:.0f} {self.unit}, errors {self.errors}{flag}"
        )


def _rate(value: float) -> str:
    """Whole numbers, except the slow flows (a few per second), which need one decimal."""
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _values(row: Row) -> str:
    if row.unit == "rps":
        return f"{_rate(row.rps_numerator)} / {_rate(row.rps_denominator)}"
    return f"{row.rps_numerator:.1f} {row.unit} / {row.rps_denominator:.1f} {row.unit}"


def _latency_cells(row: Row) -> str:
    """The p50 / p95 / p99 and the p95 target cells of a row."""
    target = row.p95_target_ms
    target_cell = "–" if target is None else f"≤ {target:g}"
    if row.p95_ms is None:
        return f"– | {target_cell}"
    if target is not None:
        target_cell += " ✓" if row.p95_ms <= target else " **✗**"
    late = f", {row.latency_late} late" if row.latency_late else ""
    errors = f", {row.latency_errors} errors" if row.latency_errors else ""
    return (
        f"{row.p50_ms:.1f} / {row.p95_ms:.1f} / {row.p99_ms:.1f} at {_rate(row.latency_rate)}/s "
        f"(n={row.latency_count}{errors}{late}) | {target_cell}"
    )


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _git(*args: str) -> str:
    try:
        return subprocess.run(  # noqa: S603
            ["git", *args],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine() -> str:
    memory_kib = 0
    model = platform.processor() or platform.machine()
    try:
        meminfo = Path("/proc/meminfo").read_text()
        memory_kib = int(
            next(line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal"))
        )
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = next(
            line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} CPU ({model}), {memory_kib / 1024 / 1024:.0f} GiB RAM, Python {platform.python_version()}"


def database_kind(env: dict[str, str]) -> str:
    return "postgresql" if env.get("DATABASE_URL") else "sqlite"


def _psql(url: str, query: str) -> str:
    try:
        return subprocess.run(  # noqa: S603
            ["psql", "-At", "-c", query, url],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def cache_store(env: dict[str, str]) -> str:
    """Where the benchmarked server keeps the public page cache (``BENCH_CACHE_URL``)."""
    url = env.get("SIFA_CACHE_URL", "")
    if not url:
        return "the database store (table `core_pagecacheentry`; no BENCH_CACHE_URL)"
    return (
        f"Redis {url.split('@')[-1]} (BENCH_CACHE_URL); W1cd/W1hcd/W2cd: the database store "
        "(`/bench/dbcache/…`)"
    )


def database(env: dict[str, str]) -> str:
    url = env.get("DATABASE_URL", "")
    if not url:
        return f"SQLite {sqlite3.sqlite_version} (WAL) file under var/bench/"
    parts = urlsplit(url)
    version = _psql(url, "SHOW server_version")
    buffers = _psql(url, "SHOW shared_buffers")
    return (
        f"PostgreSQL {version} at {parts.hostname}:{parts.port or ''}{parts.path} (BENCH_DATABASE_URL), "
        f"shared_buffers {buffers}"
    )


def render(
    rows: list[Row], generator: str, seconds: float, pairs: int, env: dict[str, str], block: str = ""
) -> str:
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    if _git("status", "--porcelain", "--untracked-files=no"):
        commit += " + uncommitted changes"
    kind = database_kind(env)
    start, end = markers(kind, block)
    heading = "PostgreSQL" if kind == "postgresql" else "SQLite"
    if block:
        heading = f"{BLOCK_TITLES.get(block, block)}: {heading}"
    lines = [
        start,
        "",
        f"### Latest results: {heading}",
        "",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}",
        f"- Database: {database(env)}",
        f"- Public page cache: {cache_store(env)}",
        f"- Git commit: {commit}",
        f"- Server: granian WSGI as `sifa serve` runs it, {env.get('SIFA_WEB_WORKERS', '2')} workers × "
        f"{env.get('SIFA_WEB_THREADS', '4')} threads, DEBUG off",
        f"- Load generators: {generator}; {pairs} A/B pairs × {seconds:g} s after a discarded warm-up",
        "",
        "| Workload | Denominator | Ratio (median) | Min–max | CV workload / denominator | "
        "rps (or ms) workload / denominator | p50 / p95 / p99 ms, open loop at ½ saturation | "
        "p95 target ms | Note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.skipped:
            lines.append(
                f"| {row.key}: {row.title} | {row.baseline} | – | – | – | – | {_latency_cells(row)} | "
                f"skipped: {_cell(row.skipped)} |"
            )
            continue
        note = "⚠ CV > 10 % or errors: rerun before trusting" if row.flagged else "ok"
        if row.errors:
            note += f" ({row.errors} errors)"
        for extra in row.notes:
            note += f"; {_cell(extra)}"
        lines.append(
            f"| {row.key}: {row.title} | {row.baseline} | **{row.ratio_median:.3f}** | "
            f"{row.ratio_min:.3f}–{row.ratio_max:.3f} | {row.cv_numerator:.1%} / {row.cv_denominator:.1%} | "
            f"{_values(row)} | {_latency_cells(row)} | {note} |"
        )
    lines += ["", "Absolute rates are shown for context only; the ratios are the result."]
    if any(row.p95_ms is not None for row in rows):
        lines += [
            "",
            "Latency: after a workload's pairs, its numerator alone, open loop at half its median "
            "measured rate (request *i* due at *i* ÷ rate, latency from the due time, a new "
            "connection per request, 32 sender threads; `bench.loadgen.open_loop`), nearest-rank "
            "percentiles; W4 schedules single transitions. *late* = sent over 100 ms after the due "
            "time (the generator fell behind: the percentiles then understate).",
        ]
    lines += ["", end]
    return "\n".join(lines) + "\n"


def _replace_block(text: str, rendered: str, kind: str, name: str) -> str:
    start, end = markers(kind, name)
    candidates = [(start, end)] if name else [(start, end), (LEGACY_START, LEGACY_END)]
    for old_start, old_end in candidates:
        if old_start in text and old_end in text:
            head, rest = text.split(old_start, 1)
            return head + rendered + rest.split(old_end, 1)[1].lstrip("\n")
    return text.rstrip("\n") + "\n\n" + rendered


def write_report(
    path: Path, rows: list[Row], generator: str, seconds: float, pairs: int, env: dict[str, str]
) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n\n"
    for name in dict.fromkeys(row.block for row in rows):
        rendered = render([r for r in rows if r.block == name], generator, seconds, pairs, env, name)
        text = _replace_block(text, rendered, database_kind(env), name)
    path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Growth:
    """One workload's ratio on the demo data and at N generated cases."""

    key: str
    title: str
    demo: Row
    scaled: Row

    @property
    def growth(self) -> float | None:
        """ratio at N ÷ ratio on the demo data (None when either side was not measured)."""
        if self.demo.skipped or self.scaled.skipped or not self.demo.ratio_median:
            return None
        return self.scaled.ratio_median / self.demo.ratio_median

    @property
    def flagged(self) -> bool:
        growth = self.growth
        return growth is not None and abs(growth - 1) > GROWTH_LIMIT


def growth_rows(demo: list[Row], scaled: list[Row]) -> list[Growth]:
    """Pair the rows of the two passes by workload key, in the demo pass's order."""
    at_scale = {row.key: row for row in scaled}
    return [Growth(row.key, row.title, row, at_scale[row.key]) for row in demo if row.key in at_scale]


def _p95(row: Row) -> str:
    return "–" if row.p95_ms is None or row.skipped else f"{row.p95_ms:.1f}"


def render_growth(growths: list[Growth], cases: int, seed: int, generation: str, env: dict[str, str]) -> str:
    kind = database_kind(env)
    start, end = markers(kind, "scale")
    heading = "PostgreSQL" if kind == "postgresql" else "SQLite"
    lines = [
        start,
        "",
        f"### Latest results: growth from the demo data to {cases:,} generated cases: {heading}",
        "",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Database: {database(env)}",
        f"- Generated cases: `sifa generate-cases --cases {cases} --seed {seed}` ({generation})",
        "- Growth = ratio at N ÷ ratio on the demo data, same harness and settings, two passes of one "
        f"`make bench`; flagged when outside 1 ± {GROWTH_LIMIT:.0%}. The demo-data pass runs without "
        "generated cases; W4 and W5 read generated cases in the pass at N (see Method).",
        "",
        "| Workload | Ratio, demo data | Ratio at N | Growth | p95 ms, demo / at N | Note |",
        "|---|---|---|---|---|---|",
    ]
    for g in growths:
        growth = g.growth
        if growth is None:
            reason = g.demo.skipped or g.scaled.skipped or "not measured"
            lines.append(f"| {g.key}: {g.title} | – | – | – | – | skipped: {_cell(reason)} |")
            continue
        note = f"⚠ outside ±{GROWTH_LIMIT:.0%}" if g.flagged else "ok"
        if g.demo.flagged or g.scaled.flagged:
            note += "; a side's CV > 10 % or errors"
        lines.append(
            f"| {g.key}: {g.title} | {g.demo.ratio_median:.3f} | {g.scaled.ratio_median:.3f} | "
            f"**{growth:.2f}** | {_p95(g.demo)} / {_p95(g.scaled)} | {note} |"
        )
    lines += ["", end]
    return "\n".join(lines) + "\n"


def write_growth(
    path: Path, growths: list[Growth], cases: int, seed: int, generation: str, env: dict[str, str]
) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n\n"
    rendered = render_growth(growths, cases, seed, generation, env)
    path.write_text(_replace_block(text, rendered, database_kind(env), "scale"), encoding="utf-8")
