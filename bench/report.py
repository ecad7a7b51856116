"""Write benchmark results into docs/performance.md between markers; the text above them stays."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

START = "<!-- bench:results:start (written by `make bench`; edit above this line only) -->"
END = "<!-- bench:results:end -->"


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

    def summary(self) -> str:
        flag = "  ⚠ CV > 10 % or errors: rerun" if self.flagged else ""
        return (
            f"ratio {self.ratio_median:.3f} ({self.ratio_min:.3f}–{self.ratio_max:.3f}), "
            f"CV {self.cv_numerator:.1%} / {self.cv_denominator:.1%}, "
            f"{self.rps_numerator:.0f} / {self.rps_denominator:.0f} rps, errors {self.errors}{flag}"
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


def database(env: dict[str, str]) -> str:
    url = env.get("DATABASE_URL", "")
    if not url:
        return f"SQLite {sqlite3.sqlite_version} (WAL) file under var/bench/"
    parts = urlsplit(url)
    return f"{parts.scheme} at {parts.hostname}:{parts.port or ''}{parts.path} (BENCH_DATABASE_URL)"


def render(rows: list[Row], generator: str, seconds: float, pairs: int, env: dict[str, str]) -> str:
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    if _git("status", "--porcelain", "--untracked-files=no"):
        commit += " + uncommitted changes"
    lines = [
        START,
        "",
        "## Latest results",
        "",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}",
        f"- Database: {database(env)}",
        f"- Git commit: {commit}",
        f"- Server: `sifa serve` (granian WSGI), {env.get('SIFA_WEB_WORKERS', '2')} workers × "
        f"{env.get('SIFA_WEB_THREADS', '4')} threads, DEBUG off",
        f"- Load generator: {generator}; {pairs} A/B pairs × {seconds:g} s after a discarded warm-up",
        "",
        "| Workload | Denominator | Ratio (median) | Min–max | CV workload / denominator | rps workload / denominator | Note |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.skipped:
            lines.append(
                f"| {row.key}: {row.title} | {row.baseline} | – | – | – | – | skipped: {_cell(row.skipped)} |"
            )
            continue
        note = "⚠ CV > 10 % or errors: rerun before trusting" if row.flagged else "ok"
        if row.errors:
            note += f" ({row.errors} errors)"
        lines.append(
            f"| {row.key}: {row.title} | {row.baseline} | **{row.ratio_median:.3f}** | "
            f"{row.ratio_min:.3f}–{row.ratio_max:.3f} | {row.cv_numerator:.1%} / {row.cv_denominator:.1%} | "
            f"{row.rps_numerator:.0f} / {row.rps_denominator:.0f} | {note} |"
        )
    lines += ["", "Absolute rps are shown for context only; the ratios are the result.", "", END]
    return "\n".join(lines) + "\n"


def write_report(
    path: Path, rows: list[Row], generator: str, seconds: float, pairs: int, env: dict[str, str]
) -> None:
    block = render(rows, generator, seconds, pairs, env)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")
