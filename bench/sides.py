"""The two sides of a ratio: anything that can be measured for N seconds and gives a rate.

- :class:`HttpSide`: one request repeated by the closed-loop generator (wrk, or the Python client).
- :class:`FlowSide`: a multi-step flow run by :class:`bench.loadgen.FlowRunner` (W3, W4 and the
  denominators measured with the same runner, so the generator's cost is the same on both sides).
- :class:`PgbenchSide`: ``pgbench`` with a built-in script, 8 clients (PostgreSQL limits).
- :class:`CommandSide`: a command that prints a rate (``openssl speed``, the in-process SM2 loop).
- :class:`MinSide`: the smaller of several sides measured back to back (the W3 denominator).

:func:`measure_pair` alternates two sides A B A B A B after a warm-up (scale.md §7.1.1).
"""

from __future__ import annotations

import re
import statistics
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.loadgen import (
    CONNECTIONS,
    Flow,
    FlowRunner,
    Job,
    Latencies,
    LoadGenerator,
    Request,
    Sample,
    open_loop,
    request_job,
)


@dataclass(frozen=True)
class Measured:
    ratios: list[float]
    numerator_rps: list[float]
    denominator_rps: list[float]
    errors: int


def cv(values: list[float]) -> float:
    """Coefficient of variation: standard deviation ÷ mean."""
    mean = statistics.fmean(values)
    return statistics.pstdev(values) / mean if mean else float("inf")


def measure_pair(a: Side, b: Side, seconds: float, pairs: int) -> Measured:
    for side in (a, b):  # warm-up: connections, caches, lazy imports; discarded
        side.warm(min(2.0, seconds))
    ratios, num, den, errors = [], [], [], 0
    for _ in range(pairs):
        sample_a = a.measure(seconds)
        sample_b = b.measure(seconds)
        num.append(sample_a.requests_per_second)
        den.append(sample_b.requests_per_second)
        ratios.append(sample_a.requests_per_second / sample_b.requests_per_second)
        errors += sample_a.errors + sample_b.errors
    return Measured(ratios, num, den, errors)


@dataclass
class Side:
    title: str
    warmup: bool = True
    detail: dict[str, list[float]] = field(default_factory=dict)
    """Per-component rates of every sample (MinSide), for the report's note."""

    def measure(self, seconds: float) -> Sample:
        raise NotImplementedError

    def notes(self) -> list[str]:
        """Extra facts for the report row (components of a minimum, peak RSS)."""
        return []

    def warm(self, seconds: float) -> None:
        """Discarded run before the pairs: connections, caches, lazy imports."""
        if self.warmup:
            self.measure(seconds)

    def latencies(self, rate: float, seconds: float) -> Latencies | None:
        """Open-loop latencies at a constant ``rate`` (see ``bench.loadgen.open_loop``), or None
        when this side has no single request to schedule (pgbench, a command, a W3 flow)."""
        return None


@dataclass
class HttpSide(Side):
    gen: LoadGenerator | None = None
    host: str = "127.0.0.1"
    port: int = 0
    request: Request | None = None

    def measure(self, seconds: float) -> Sample:
        return self.gen.measure(self.host, self.port, self.request, seconds)

    def latencies(self, rate: float, seconds: float) -> Latencies | None:
        return open_loop(rate, seconds, request_job(self.host, self.port, self.request))


@dataclass
class FlowSide(Side):
    runner: FlowRunner | None = None
    host: str = "127.0.0.1"
    port: int = 0
    make_flow: Callable[[int], Flow] | None = None
    server_pids: Callable[[], list[int]] | None = None
    """When set, the peak RSS of these processes is recorded for every sample (``peak_rss``)."""
    peak_rss: list[int] = field(default_factory=list)
    idle_rss: int = 0
    open_job: Callable[[], tuple[Job, Callable[[], None]]] | None = None
    """When set, the flow's latency is measured open loop: it returns the job (one unit, e.g. one
    transition, on a connection of its own) and a clean-up run after the run (e.g. resume the cases
    it left suspended, so the next pairs start from the state they expect)."""

    def latencies(self, rate: float, seconds: float) -> Latencies | None:
        if self.open_job is None:
            return None
        job, finish = self.open_job()
        try:
            return open_loop(rate, seconds, job)
        finally:
            finish()

    def warm(self, seconds: float) -> None:
        self.runner.measure(self.host, self.port, self.make_flow, seconds)

    def notes(self) -> list[str]:
        if not self.peak_rss:
            return []
        peak = max(self.peak_rss)
        return [
            f"server RSS (Σ over granian processes): idle {self.idle_rss / 1024:.0f} MB, "
            f"peak {peak / 1024:.0f} MB (+{(peak - self.idle_rss) / 1024:.0f} MB)"
        ]

    def measure(self, seconds: float) -> Sample:
        if self.server_pids is None:
            return self.runner.measure(self.host, self.port, self.make_flow, seconds)
        pids = self.server_pids()
        self.idle_rss = self.idle_rss or sum(_status_kib(pid, "VmRSS") for pid in pids)
        for pid in pids:
            _reset_peak_rss(pid)
        sample = self.runner.measure(self.host, self.port, self.make_flow, seconds)
        self.peak_rss.append(sum(_status_kib(pid, "VmHWM") for pid in pids))
        return sample


def _status_kib(pid: int, key: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _reset_peak_rss(pid: int) -> None:
    """Writing 5 to clear_refs resets VmHWM (Linux ≥ 4.0), so each sample has its own peak."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (granian's main process and its workers)."""
    pids, frontier = [root], [root]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            pids.append(child)
            frontier.append(child)
    return pids


@dataclass
class PgbenchSide(Side):
    """``pgbench -n -b <script> -c 8 -j 2 -T <s>``; TPS excluding connection set-up."""

    url: str = ""
    script: str = "simple-update"
    warmup: bool = False

    def measure(self, seconds: float) -> Sample:
        argv = ["pgbench", "-n", "-b", self.script, "-c", str(CONNECTIONS), "-j", "2"]
        argv += ["-T", str(max(1, round(seconds))), self.url]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout  # noqa: S603
        tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))
        failed = re.search(r"number of failed transactions: (\d+)", out)
        return Sample(tps, int(failed.group(1)) if failed else 0)


@dataclass
class CommandSide(Side):
    """A command run for ``seconds`` whose output ``parse`` turns into a rate (single thread)."""

    argv: Callable[[float], list[str]] | None = None
    parse: Callable[[str], float] | None = None
    env: dict[str, str] | None = None
    warmup: bool = False

    def measure(self, seconds: float) -> Sample:
        result = subprocess.run(  # noqa: S603
            self.argv(seconds), capture_output=True, text=True, check=True, env=self.env
        )
        return Sample(self.parse(result.stdout + result.stderr), 0)


@dataclass
class MinSide(Side):
    """Measure every part for the full interval, one after another; the rate is the smallest."""

    parts: list[Side] = field(default_factory=list)

    def warm(self, seconds: float) -> None:
        for part in self.parts:
            part.warm(seconds)

    def notes(self) -> list[str]:
        return [
            "denominator parts (median): "
            + "; ".join(f"{title} {statistics.median(rates):.0f}/s" for title, rates in self.detail.items())
        ]

    def measure(self, seconds: float) -> Sample:
        samples = []
        for part in self.parts:
            sample = part.measure(seconds)
            self.detail.setdefault(part.title, []).append(sample.requests_per_second)
            samples.append(sample)
        return Sample(min(s.requests_per_second for s in samples), sum(s.errors for s in samples))
